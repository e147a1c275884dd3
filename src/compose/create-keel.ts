// The composition root: config in, a wired gateway and HTTP server out.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import { Gateway } from '../gateway/gateway.js';
import { buildServer, type EdgeServer } from '../http/server.js';
import { BreakerRegistry } from '../reliability/breaker-registry.js';
import { Executor } from '../reliability/executor.js';
import { SharedBreakerSync } from '../reliability/shared-breaker-sync.js';
import { LatencyTracker } from '../routing/latency-tracker.js';
import { targetKey, type ModelRoute, type RouteCatalog } from '../routing/plan-route.js';
import {
  ErrorCodes,
  KeelError,
  systemClock,
  timerScheduler,
  type Clock,
  type Scheduler,
} from '../spec/index.js';
import { EventBus } from '../telemetry/event-bus.js';
import { subscribeRequestLogger } from '../telemetry/request-logger.js';
import { registerMetricsRoute } from '../http/metrics-route.js';
import { createHealthScoreCompute, registerHealthScoreMetrics } from '../insights/health-score-metrics.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../telemetry/metrics/prometheus-metrics.js';
import { registerPipelineMetrics } from '../telemetry/metrics/pipeline-metrics.js';
import { registerStateMetrics } from '../telemetry/metrics/state-metrics.js';
import { registerPolicyMetrics } from '../telemetry/metrics/policy-metrics.js';
import { createStatsdExporter, type StatsdExporter } from '../telemetry/statsd/statsd-exporter.js';
import { ExperimentRouter } from '../policy/experiment-router.js';
import type { RequestPolicy } from '../policy/request-policy.js';
import { ChaosRegistry } from '../chaos/chaos-registry.js';
import { recordChaosOnIncidents } from '../chaos/record-chaos-on-incidents.js';
import { createChatModels, type DispatcherFactory } from './create-chat-models.js';
import { createPolicies, type Policies } from './create-policies.js';
import { createMetricOptions } from './create-metric-options.js';
import { createRecordOptions } from './create-record-options.js';
import { createTelemetry, type Telemetry } from './create-telemetry.js';
import { createTracing, type Tracing } from './create-tracing.js';
import { createKeys, type Keys } from './create-keys.js';
import type { KeyStore } from '../keys/key-store.js';
import { createOperations, type Operations } from './create-operations.js';
import { createApiRoutes } from './create-api-routes.js';
import { createQualityJudge, type QualityJudgeParts } from '../quality/judge/create-quality-judge.js';

export interface KeelOptions {
  config: Readonly<KeelConfig>;
  clock?: Clock | undefined;
  random?: (() => number) | undefined;
  logger?: Logger | undefined;
  dispatcherFactory?: DispatcherFactory | undefined;
  /** Guards /api/*; without it the control API is served to loopback clients only. */
  adminToken?: string | undefined;
  /** Request policies run after the configured ones (embedding, tests). */
  policies?: readonly RequestPolicy[] | undefined;
  /** Where gateway keys live; default: a SqliteKeyStore on keys.path. */
  keyStore?: KeyStore | undefined;
  /** Runs the monitor ticks; default: timers every monitors.evaluationIntervalMs. */
  monitorScheduler?: Scheduler | undefined;
  /** Runs the probe cycles; default: timers every probes.intervalMs. */
  probeScheduler?: Scheduler | undefined;
  /** The built dashboard served at /ui; default: dist/ui of this package. */
  uiDirectory?: string | undefined;
}

export interface Keel {
  config: Readonly<KeelConfig>;
  gateway: Gateway;
  events: EventBus;
  telemetry: Telemetry;
  /** OpenTelemetry trace export, when enabled. */
  tracing: Tracing | undefined;
  /** The configured request policies and their shared state. */
  policies: Policies;
  /** Gateway keys: the store, and the in-memory ring the edge authenticates against. */
  keys: Keys;
  /** Monitors, incidents and notifications, on the ops database (ops.path). */
  operations: Operations;
  /** The quality judge (quality.judge.enabled), on the ops database. */
  qualityJudge: QualityJudgeParts | undefined;
  /** Prometheus metrics, when enabled. */
  metrics: PrometheusMetrics | undefined;
  /** The StatsD/DogStatsD exporter, when enabled. */
  statsd: StatsdExporter | undefined;
  breakers: BreakerRegistry;
  /** Runtime fault injection per provider target (/api/chaos, `keel chaos`). */
  chaos: ChaosRegistry;
  /** Shares breaker open/closed decisions with the other replicas (state.shareBreakers). */
  breakerSync: SharedBreakerSync | undefined;
  server: EdgeServer;
  logger: Logger;
  /** Starts listening; returns the base URL. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /**
   * Graceful stop: refuse new requests, let in-flight ones finish for up to `graceMs`, then cut
   * the rest with KEEL_SHUTTING_DOWN and close upstream pools.
   */
  close(graceMs?: number): Promise<{ drained: boolean }>;
}

function buildCatalog(config: Readonly<KeelConfig>): RouteCatalog {
  const models = new Map<string, ModelRoute>();
  for (const model of config.models) {
    models.set(model.name, {
      name: model.name,
      strategy: model.strategy,
      targets: model.targets.map((target) => ({
        providerId: target.provider,
        modelId: target.model,
        weight: target.weight,
        key: targetKey(target.provider, target.model),
      })),
    });
  }
  const directProviders = new Set(
    config.server.allowDirectModels ? config.providers.map((provider) => provider.id) : [],
  );
  return { models, directProviders };
}

/**
 * Breaker decisions shared through the policies' state: on by default with Redis (several
 * replicas), off in memory (one process has no one to tell).
 */
function createBreakerSync(options: {
  config: Readonly<KeelConfig>;
  breakers: BreakerRegistry;
  events: EventBus;
  policies: Policies;
  clock: Clock;
}): SharedBreakerSync | undefined {
  const { config, breakers, events, policies, clock } = options;
  const share = config.state.shareBreakers ?? config.state.redis !== undefined;
  if (!share || policies.state.kind === 'memory') return undefined;
  const sync = new SharedBreakerSync({
    breakers,
    state: policies.state,
    clock,
    scheduler: timerScheduler,
    // Several Keels may run in one process (tests, embedding): the random part tells them apart.
    replicaId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    cooldownMs: config.reliability.circuitBreaker.cooldownMs,
    syncIntervalMs: config.state.breakerSyncIntervalMs,
    // Counted as keel_state_errors_total and logged at most once a minute; requests never see it.
    onError: (error) => policies.failures.report({ policy: 'breaker-sync', mode: 'open', error }),
  });
  events.on('breaker:transition', (transition) => sync.onTransition(transition));
  return sync;
}

/** Wires every part of Keel from a validated config. */
export function createKeel(options: KeelOptions): Keel {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: config.logging.level, base: { service: 'keel' } });
  const events = new EventBus({
    onSubscriberError: (error, type) =>
      logger.error({ err: error, event: type }, 'telemetry subscriber failed'),
  });
  subscribeRequestLogger(events, logger);
  const breakers = new BreakerRegistry({
    settings: config.reliability.circuitBreaker,
    clock,
    onTransition: (transition) => events.emit('breaker:transition', transition),
  });
  const latency = new LatencyTracker();
  const chaos = new ChaosRegistry({ clock, onChange: (change) => events.emit('chaos:injection', change) });
  const chatModels = createChatModels({
    providers: config.providers,
    clock,
    dispatcherFactory: options.dispatcherFactory,
    chaos: { registry: chaos, random },
  });
  const { retry } = config.reliability;
  const executor = new Executor({
    models: chatModels.models,
    breakers,
    latency,
    clock,
    random,
    settings: {
      maxAttempts: retry.maxAttempts,
      initialDelayMs: retry.initialDelayMs,
      maxDelayMs: retry.maxDelayMs,
      maxRetryAfterMs: retry.maxRetryAfterMs,
      attemptTimeoutMs: config.reliability.attemptTimeoutMs,
      ttftMs: config.reliability.ttftMs,
      idleMs: config.reliability.idleMs,
    },
    onAttempt: (event) => events.emit('attempt:end', event),
  });
  const recordOptions = createRecordOptions(config);
  const policies = createPolicies({ config, events, logger, clock, recordOptions });
  const breakerSync = createBreakerSync({ config, breakers, events, policies, clock });
  const keys = createKeys({ config, clock, logger, store: options.keyStore });
  const gateway = new Gateway({
    catalog: buildCatalog(config),
    executor,
    breakers,
    latency,
    events,
    clock,
    random,
    timeoutMs: config.reliability.timeoutMs,
    // The key's allowed models come first: a refused call must not reserve budget or rate.
    policies: [keys.policy, ...policies.policies, ...(options.policies ?? [])],
    experiments: new ExperimentRouter(config.experiments),
    onPolicyError: (error) => logger.error({ err: error }, 'request policy failed to settle'),
  });
  const telemetry = createTelemetry({ config, events, logger, clock, recordOptions });
  const tracing = createTracing({
    config,
    events,
    logger,
    clock,
    costUsd: (event) => recordOptions.costUsd(event),
  });
  const metrics = config.telemetry.metrics.enabled ? createPrometheusMetrics() : undefined;
  const metricOptions = createMetricOptions({ config, recordOptions });
  metrics?.subscribe(events, metricOptions);
  const statsdConfig = config.telemetry.statsd;
  const statsd = statsdConfig.enabled
    ? createStatsdExporter({
        ...metricOptions,
        config: statsdConfig,
        events,
        clock,
        onError: (error, failed) =>
          logger.warn(
            { err: error, failed },
            'StatsD metrics not sent; the next failures are counted for a minute',
          ),
      })
    : undefined;
  const operations = createOperations({
    config,
    events,
    telemetry,
    clock,
    logger,
    monitorScheduler: options.monitorScheduler,
    probeScheduler: options.probeScheduler,
    breakers: () => gateway.breakerSnapshots(),
  });
  recordChaosOnIncidents(events, operations.incidents);
  const qualityJudge = createQualityJudge({ config, gateway, events, db: operations.db, clock, logger });
  const budgets = policies.budgets;
  const apiExtensions = createApiRoutes({
    config,
    clock,
    gateway,
    telemetry,
    budgets,
    chaos,
    extra: [...operations.routes, ...(qualityJudge === undefined ? [] : [qualityJudge.routes]), keys.routes],
  });
  const server = buildServer({
    config,
    gateway,
    logger,
    adminToken: options.adminToken,
    apiExtensions,
    keyRing: keys.ring,
    uiDirectory: options.uiDirectory,
  });
  if (metrics !== undefined) {
    registerPipelineMetrics(metrics.registry, {
      store: () => telemetry.counters().store,
      jsonl: () => telemetry.counters().jsonl,
      subscriberErrors: () => events.subscriberErrors,
    });
    registerStateMetrics(metrics.registry, {
      errors: () => policies.failures.counts(),
      up: () => policies.stateUp(),
    });
    registerPolicyMetrics(metrics.registry, {
      events,
      budgets: budgets === undefined ? undefined : () => budgets.status(clock.now()),
    });
    if (telemetry.store !== undefined) {
      registerHealthScoreMetrics(
        metrics.registry,
        createHealthScoreCompute({
          store: telemetry.store,
          beforeRead: () => telemetry.flush(),
          now: () => clock.now(),
          breakers: () => gateway.breakerSnapshots(),
          budgets: budgets === undefined ? undefined : (nowMs) => budgets.status(nowMs),
        }),
        { onError: (error) => logger.warn({ err: error }, 'health score not computed for /metrics') },
      );
    }
    operations.registerMetrics(metrics.registry);
    qualityJudge?.registerMetrics(metrics.registry, metricOptions.knownModels);
    metrics.instrumentHttp(server.app);
    registerMetricsRoute(server.app, { registry: metrics.registry });
  }
  let closing: Promise<{ drained: boolean }> | undefined;
  let stopChaosSweep: (() => void) | undefined;

  return {
    config,
    gateway,
    events,
    telemetry,
    tracing,
    policies,
    keys,
    operations,
    qualityJudge,
    metrics,
    statsd,
    breakers,
    chaos,
    breakerSync,
    server,
    logger,
    listen: async (listenOptions = {}) => {
      await keys.start();
      breakerSync?.start();
      operations.start();
      // Expired injections end (and reach the incident timelines) even while no call reads them.
      stopChaosSweep ??= timerScheduler.every(1000, () => chaos.sweep());
      await server.app.listen({
        port: listenOptions.port ?? config.server.port,
        host: listenOptions.host ?? config.server.host,
      });
      const address = server.app.server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      // Simple-mode probes call this Keel; a wildcard address is reached on loopback.
      const loopback = address.family === 'IPv6' ? '[::1]' : '127.0.0.1';
      const wildcard = address.address === '0.0.0.0' || address.address === '::';
      operations.probes.start(`http://${wildcard ? loopback : host}:${address.port}`);
      return `http://${host}:${address.port}`;
    },
    close: (graceMs = config.server.shutdownGraceMs) => {
      closing ??= (async () => {
        // Probes stop first: a probe of this Keel while it refuses requests is not a failure to store.
        const probesStopped = operations.probes.close();
        server.startClosing();
        stopChaosSweep?.();
        const closed = server.app.close();
        const drained = await server.inFlight.drain(graceMs);
        if (!drained) {
          server.inFlight.abortAll(
            new KeelError({ code: ErrorCodes.shuttingDown, status: 503, message: 'Keel is shutting down' }),
          );
          // Give the aborted streams a moment to write their error events.
          await server.inFlight.drain(1000);
          server.app.server.closeAllConnections();
        }
        // Keep-alive sockets of requests that finished during the drain would otherwise hold close().
        server.app.server.closeIdleConnections();
        await closed;
        // Judge calls in flight are aborted and end before the upstreams and the ops database close.
        await qualityJudge?.close();
        // Monitors stop ticking (and notifications sending) before the store they read closes.
        await probesStopped;
        await operations.close();
        await chatModels.close();
        // Publishes the last decisions before the state it writes to closes.
        await breakerSync?.stop();
        await policies.close();
        await keys.close();
        // Every answered request's record is written before the process exits.
        await telemetry.close();
        // After the last request:end: queued spans are flushed, and a collector that is down only costs a bounded wait.
        // StatsD sends the metrics still buffered. Neither rejects.
        await Promise.all([tracing?.shutdown(), statsd?.close()]);
        return { drained };
      })();
      return closing;
    },
  };
}
