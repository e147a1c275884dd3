// Wires the optional quality judge: config, gateway call, request:end sampling, ops-database store, API and metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QualityConfig } from '../../config/quality-schema.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { OpsDatabase } from '../../ops/ops-database.js';
import { ErrorCodes, KeelError, type Clock } from '../../spec/index.js';
import type { EventBus } from '../../telemetry/event-bus.js';
import { createGatewayJudge } from './create-gateway-judge.js';
import { registerJudgeMetrics } from './judge-metrics.js';
import { createJudgementRoutes } from './judgement-routes.js';
import { JudgementStore } from './judgement-store.js';
import { QualityJudge, type JudgeCall } from './quality-judge.js';

/** The running judge and what the composition root mounts. */
export interface QualityJudgeParts {
  judge: QualityJudge;
  store: JudgementStore;
  /** GET /api/quality/judgements, to mount behind the admin guard. */
  routes: FastifyPluginAsync;
  /** `knownModels`: the metric options' bounded model names (createMetricOptions). */
  registerMetrics(registry: Registry, knownModels?: ReadonlySet<string>): void;
  /** Stops sampling, drops what is queued, aborts the judge calls in flight and waits for them to end. */
  close(): Promise<void>;
}

/**
 * Builds the quality judge when `quality.judge.enabled`, else returns undefined. It starts at once:
 * each request:end is considered (O(1)); judge calls go through `gateway` as application keel-judge.
 * Close it before the gateway's upstreams and the ops database close.
 *
 * @example
 * const quality = createQualityJudge({ config, gateway, events, db: operations.db, clock, logger });
 */
export function createQualityJudge(options: {
  config: { quality: QualityConfig };
  gateway: Pick<Gateway, 'complete'>;
  events: EventBus;
  db: OpsDatabase;
  clock: Clock;
  logger: Logger;
  /** Default Math.random. */
  random?: (() => number) | undefined;
  /** Replaces the gateway call (tests). */
  judgeCall?: JudgeCall | undefined;
}): QualityJudgeParts | undefined {
  const settings = options.config.quality.judge;
  // checkQuality refuses an enabled judge without a model; this only narrows the type.
  if (!settings.enabled || settings.model === undefined) return undefined;
  const { clock, logger } = options;
  const now = () => clock.now();
  const shutdown = new AbortController();
  const store = new JudgementStore({ db: options.db, retentionMs: settings.retentionMs, now });
  const judge = new QualityJudge({
    settings,
    judgeModel: settings.model,
    judge:
      options.judgeCall ??
      createGatewayJudge({
        gateway: options.gateway,
        model: settings.model,
        timeoutMs: settings.timeoutMs,
        signal: shutdown.signal,
      }),
    random: options.random ?? Math.random,
    now,
    onJudgement: (judgement) => store.insert(judgement),
    onFailure: (error, requestId) => logger.warn({ err: error, requestId }, 'quality judge failed'),
  });
  const unsubscribe = options.events.on('request:end', (event) => {
    judge.consider(event);
  });
  return {
    judge,
    store,
    routes: createJudgementRoutes({ store, counters: () => judge.counters(), now }),
    registerMetrics: (registry, knownModels) => registerJudgeMetrics(registry, judge, { knownModels }),
    close: async () => {
      unsubscribe();
      // A judge call may take up to timeoutMs: shutdown does not wait for it.
      shutdown.abort(
        new KeelError({ code: ErrorCodes.shuttingDown, status: 503, message: 'Keel is shutting down' }),
      );
      await judge.close();
    },
  };
}
