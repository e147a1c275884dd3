// Wires the synthetic probes: their store on the ops database, the loop, its API and metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KeelConfig } from '../config/index.js';
import { createProbeRoutes } from '../http/probe-routes.js';
import type { OpsDatabase } from '../ops/ops-database.js';
import { ProbeRunner } from '../probes/probe-runner.js';
import { SqliteProbeStore } from '../probes/probe-store.js';
import type { ProbeOutcome } from '../probes/run-probe.js';
import { timerScheduler, type Clock, type Scheduler } from '../spec/index.js';
import { registerProbeMetrics, type ProbeMetrics } from '../telemetry/metrics/probe-metrics.js';
import { computeCostUsd, createPriceBook } from '../telemetry/pricing/index.js';

export interface Probes {
  store: SqliteProbeStore;
  /** Undefined when `probes.enabled` is false. */
  runner: ProbeRunner | undefined;
  routes: FastifyPluginAsync;
  registerMetrics(registry: Registry): void;
  /** Starts the loop; `selfUrl` is this Keel's base URL, probed in simple mode without probes.baseUrl. */
  start(selfUrl: string): void;
  close(): Promise<void>;
}

/** A probe's cost from Keel's price book: the provider that answered (when a Keel says) and the served model. */
function probeCost(config: Readonly<KeelConfig>): (outcome: ProbeOutcome) => number | null {
  const priceBook = createPriceBook({ overrides: config.pricing.overrides });
  const providerTypes = new Map(config.providers.map((provider) => [provider.id, provider.type as string]));
  return (outcome) => {
    if (outcome.promptTokens === null && outcome.completionTokens === null) return null;
    const providerId = outcome.provider ?? '';
    const price = priceBook.priceFor({
      providerType: providerTypes.get(providerId) ?? providerId,
      providerId,
      model: outcome.servedModel ?? outcome.model,
    });
    if (price === undefined) return null;
    const inputTokens = outcome.promptTokens ?? 0;
    const outputTokens = outcome.completionTokens ?? 0;
    return computeCostUsd({ inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, price);
  };
}

/**
 * The probes section as the loop runs it. A simple-mode loop that probes this Keel and names no
 * model anywhere (no models, no usage endpoint) probes every configured alias: `probes.enabled:
 * true` alone watches what this Keel serves.
 */
export function effectiveProbesConfig(config: Readonly<KeelConfig>): KeelConfig['probes'] {
  const probes = config.probes;
  const namesNone =
    probes.models.length === 0 &&
    probes.usageUrl === undefined &&
    probes.environments.every(
      (environment) => environment.models.length === 0 && environment.usageUrl === undefined,
    );
  if (probes.mode !== 'simple' || probes.baseUrl !== undefined || !namesNone) return probes;
  return { ...probes, models: config.models.map((model) => model.name) };
}

/** Builds the probes from the config; nothing runs until {@link Probes.start}. */
export function createProbes(options: {
  config: Readonly<KeelConfig>;
  db: OpsDatabase;
  clock: Clock;
  logger: Logger;
  scheduler?: Scheduler | undefined;
}): Probes {
  const { config, clock, logger } = options;
  const store = new SqliteProbeStore(options.db);
  let metrics: ProbeMetrics | undefined;
  const loggedAtMs = new Map<string, number>();
  const runner = config.probes.enabled
    ? new ProbeRunner({
        config: effectiveProbesConfig(config),
        store,
        clock,
        scheduler: options.scheduler ?? timerScheduler,
        costUsd: probeCost(config),
        onMeasurement: (measurement) => metrics?.observe(measurement),
        onCycleEnd: (probed) => metrics?.retain(probed),
        onError: (error, context) => {
          // At most once a minute per environment and stage: a usage endpoint down is not a log flood.
          const key = `${context.environment}:${context.stage}`;
          const nowMs = clock.now();
          if (nowMs - (loggedAtMs.get(key) ?? Number.NEGATIVE_INFINITY) < 60_000) return;
          loggedAtMs.set(key, nowMs);
          logger.warn({ err: error, ...context }, 'probe loop problem; probing goes on');
        },
      })
    : undefined;
  if (runner === undefined) {
    // Measurements kept from a run with probes age out while probes are off too: here, while Keel
    // is being built and serves nothing yet, in batches until nothing old is left (at most 1M rows).
    for (let batch = 0; batch < 200; batch += 1) {
      if (store.prune(clock.now() - config.probes.retentionMs) === 0) break;
    }
  }
  return {
    store,
    runner,
    routes: createProbeRoutes({ store, runner, now: () => clock.now() }),
    registerMetrics: (registry) => {
      metrics = registerProbeMetrics(registry);
    },
    start: (selfUrl) => runner?.start(selfUrl),
    close: async () => {
      await runner?.stop();
    },
  };
}
