// GET /api/health-score, /api/insights, /api/insights/roi, /api/forecast/cost and POST /api/insights/attribution.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { forecastCost } from '../insights/forecast-cost.js';
import type { HealthTargets } from '../insights/health-score.js';
import {
  ATTRIBUTION_DIMENSIONS,
  ATTRIBUTION_METRICS,
  readAttribution,
  type AttributionDimension,
} from '../insights/read-attribution.js';
import { readHealthScore } from '../insights/read-health-score.js';
import { readRoi } from '../insights/read-roi.js';
import { recommendActions, type RecommendationThresholds } from '../insights/recommend-actions.js';
import { scanRecords } from '../insights/scan-records.js';
import type { BudgetStatus } from '../policy/budget-policy.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { invalidRequest, type KeelError } from '../spec/index.js';
import type { TelemetryStore } from '../store/store.js';
import { parseDuration, timeRange, type Query } from './stats-routes.js';

/** Raw records the recommendations read, newest first. */
export const RECOMMENDATION_SAMPLE = 5_000;
/** The longest attribution period, forecast history and horizon. */
const MAX_PERIOD_MS = 400 * 86_400_000; // the hourly rollups' retention
const MAX_FORECAST_HOURS = 24 * 92;
const HOUR_MS = 3_600_000;

export interface InsightsRoutesOptions {
  store: TelemetryStore;
  /** Called before each read so records still buffered in memory are counted. */
  beforeRead: () => Promise<void>;
  now?: (() => number) | undefined;
  /** The budget policy's status: the health score's budget pace and ROI's budget figures. */
  budgets?: ((nowMs: number) => Promise<BudgetStatus[]>) | undefined;
  /** Breaker snapshots: the health score's breaker part. */
  breakers?: (() => BreakerSnapshot[]) | undefined;
  healthTargets?: Partial<HealthTargets> | undefined;
  /** E.g. `{ reservedOutputTokens: config.budgets.defaultMaxOutputTokens }`. */
  recommendationThresholds?: Partial<RecommendationThresholds> | undefined;
}

const periodSchema = z
  .object({ fromMs: z.number().int().nonnegative(), toMs: z.number().int().nonnegative() })
  .refine((period) => period.fromMs < period.toMs, { message: 'fromMs must be before toMs' })
  .refine((period) => period.toMs - period.fromMs <= MAX_PERIOD_MS, {
    message: 'a period may span at most 400 days',
  });

/** POST /api/insights/attribution body. */
export const attributionSchema = z.object({
  metric: z.enum(ATTRIBUTION_METRICS),
  baseline: periodSchema,
  current: periodSchema,
  dimensions: z
    .array(
      z.string().refine((name) => (ATTRIBUTION_DIMENSIONS as readonly string[]).includes(name), {
        message: `must be one of ${ATTRIBUTION_DIMENSIONS.join(', ')}`,
      }),
    )
    .min(1)
    .max(ATTRIBUTION_DIMENSIONS.length)
    .optional(),
});

function firstProblem(error: z.ZodError): KeelError {
  const issue = error.issues[0];
  const param = issue === undefined ? undefined : issue.path.map(String).join('.');
  const where = param === undefined || param === '' ? 'body' : param;
  return invalidRequest(
    `${where}: ${issue?.message ?? 'invalid'} (see docs/api.md#post-apiinsightsattribution).`,
    param === '' ? undefined : param,
  );
}

function isDimension(name: string): name is AttributionDimension {
  return (ATTRIBUTION_DIMENSIONS as readonly string[]).includes(name);
}

/** Whole hours from a duration parameter, 1 to `max`. */
function hoursParam(query: Query, name: string, fallback: string, minimum: number): number {
  const durationMs = parseDuration(query[name] ?? fallback, name);
  if (durationMs % HOUR_MS !== 0) throw invalidRequest(`'${name}' must be whole hours (24h, 7d...).`, name);
  const hours = durationMs / HOUR_MS;
  if (hours < minimum || hours > MAX_FORECAST_HOURS) {
    throw invalidRequest(`'${name}' must be ${minimum}h to ${MAX_FORECAST_HOURS / 24}d.`, name);
  }
  return hours;
}

/** A smoothing parameter in (0, 1]. */
function smoothingParam(query: Query, name: string): number | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value <= 1)) throw invalidRequest(`'${name}' must be a number in (0, 1].`, name);
  return value;
}

/**
 * The insights routes; mount behind the admin guard, like the stats routes.
 * @example
 * extensions.push(createInsightsRoutes({ store, beforeRead: () => telemetry.flush(), now: () => clock.now(), budgets: (nowMs) => policies.budgets.status(nowMs), breakers: () => gateway.breakerSnapshots() }))
 */
export function createInsightsRoutes(options: InsightsRoutesOptions): FastifyPluginAsync {
  const { store } = options;
  const now = options.now ?? Date.now;
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/health-score', async (request) => {
      const query = request.query as Query;
      const range = timeRange(query, now());
      const environment = query.environment === '' ? undefined : query.environment;
      await options.beforeRead();
      return readHealthScore({
        store,
        ...range,
        environment,
        breakers: options.breakers,
        budgets: options.budgets,
        targets: options.healthTargets,
      });
    });

    api.post('/api/insights/attribution', async (request) => {
      const parsed = attributionSchema.safeParse(request.body ?? {});
      if (!parsed.success) throw firstProblem(parsed.error);
      const { metric, baseline, current } = parsed.data;
      const dimensions = parsed.data.dimensions?.filter(isDimension);
      await options.beforeRead();
      return readAttribution({ store, metric, baseline, current, dimensions });
    });

    api.get('/api/insights/roi', async (request) => {
      const range = timeRange(request.query as Query, now(), '7d');
      await options.beforeRead();
      return readRoi({ store, ...range, budgets: options.budgets });
    });

    api.get('/api/insights', async (request) => {
      const range = timeRange(request.query as Query, now(), '7d');
      await options.beforeRead();
      const [applicationModels, providers, sample] = await Promise.all([
        store.stats({ ...range, groupBy: ['application', 'model'] }),
        store.stats({ ...range, groupBy: ['provider'] }),
        scanRecords({ store, ...range, maxRecords: RECOMMENDATION_SAMPLE }),
      ]);
      const result = recommendActions({
        windowMs: range.toMs - range.fromMs,
        applicationModelGroups: applicationModels.groups,
        providerGroups: providers.groups,
        sample: sample.records,
        thresholds: options.recommendationThresholds,
      });
      const notes = sample.truncated
        ? [
            `Record-based rules read the newest ${RECOMMENDATION_SAMPLE} records of the window.`,
            ...result.notes,
          ]
        : result.notes;
      return { ...range, recommendations: result.recommendations, notes };
    });

    api.get('/api/forecast/cost', async (request) => {
      const query = request.query as Query;
      const horizonHours = hoursParam(query, 'horizon', '24h', 1);
      const historyHours = hoursParam(query, 'history', '7d', 2);
      const alpha = smoothingParam(query, 'alpha');
      const beta = smoothingParam(query, 'beta');
      await options.beforeRead();
      return forecastCost({ store, nowMs: now(), horizonHours, historyHours, alpha, beta });
    });
  };
}
