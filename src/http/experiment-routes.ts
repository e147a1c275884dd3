// GET /api/experiments and /api/experiments/:id/report: the A/B experiments and their per-variant figures.
import type { FastifyPluginAsync } from 'fastify';
import type { ExperimentConfig } from '../config/experiments-schema.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import type { StatsGroup, TelemetryStore } from '../store/store.js';
import { timeRange, type Query } from './stats-routes.js';

export interface ExperimentRoutesOptions {
  store: TelemetryStore;
  experiments: readonly ExperimentConfig[];
  /** Called before each read so records still buffered in memory are counted. */
  beforeRead: () => Promise<void>;
  now?: () => number;
}

/** A variant's figures, with what a request cost and how it compared with the control. */
interface VariantReport extends StatsGroup {
  variant: string;
  /** Configured traffic share (0..1); absent for a variant no longer in the config. */
  weightShare: number | undefined;
  tokensPerRequest: number | null;
  costPerRequestUsd: number | null;
  /** Against the control (the first variant): differences of rates, ratios of the rest. */
  vsControl: {
    errorRateDifference: number | null;
    latencyP95Ratio: number | null;
    costPerRequestRatio: number | null;
  } | null;
}

function ratio(value: number | null, base: number | null): number | null {
  return value === null || base === null || base === 0 ? null : value / base;
}

export function createExperimentRoutes(options: ExperimentRoutesOptions): FastifyPluginAsync {
  const now = options.now ?? Date.now;
  const byId = new Map(options.experiments.map((experiment) => [experiment.id, experiment]));
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/experiments', () => ({ experiments: options.experiments }));

    api.get('/api/experiments/:id/report', async (request) => {
      const { id } = request.params as { id: string };
      const experiment = byId.get(id);
      if (experiment === undefined) {
        throw new KeelError({
          code: ErrorCodes.routeNotFound,
          status: 404,
          message: `No experiment "${id}"; GET /api/experiments lists them.`,
        });
      }
      const range = timeRange(request.query as Query, now(), '7d');
      await options.beforeRead();
      const report = await options.store.experimentReport({ experimentId: id, ...range });
      const totalWeight = experiment.variants.reduce((sum, variant) => sum + variant.weight, 0);
      const perRequest = (group: StatsGroup | undefined, value: (group: StatsGroup) => number) =>
        group === undefined || group.requests === 0 ? null : value(group) / group.requests;
      const control = report.variants.find((group) => group.key.variant === experiment.variants[0]?.id);
      const variants: VariantReport[] = report.variants.map((group) => {
        const variant = group.key.variant ?? '';
        const configured = experiment.variants.find((candidate) => candidate.id === variant);
        const costPerRequestUsd = perRequest(group, (g) => g.costUsd);
        return {
          ...group,
          variant,
          weightShare:
            configured === undefined || totalWeight === 0 ? undefined : configured.weight / totalWeight,
          tokensPerRequest: perRequest(group, (g) => g.totalTokens),
          costPerRequestUsd,
          vsControl:
            control === undefined || group === control
              ? null
              : {
                  errorRateDifference: group.errorRate - control.errorRate,
                  latencyP95Ratio: ratio(group.latency.p95, control.latency.p95),
                  costPerRequestRatio: ratio(
                    costPerRequestUsd,
                    perRequest(control, (g) => g.costUsd),
                  ),
                },
        };
      });
      return {
        experimentId: id,
        model: experiment.model,
        control: experiment.variants[0]?.id,
        fromMs: report.fromMs,
        toMs: report.toMs,
        variants,
      };
    });
  };
}
