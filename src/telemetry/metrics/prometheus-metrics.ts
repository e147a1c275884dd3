// Prometheus metrics fed by Keel's telemetry events: GenAI semconv families, Keel's own, and HTTP server metrics.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerTransition } from '../../reliability/breaker-registry.js';
import type { EventBus } from '../event-bus.js';
import type { AttemptEndEvent, CacheLookupEvent, RequestEndEvent } from '../events.js';
import { statusClass } from '../request-record.js';
import {
  chatOperationName,
  operationDurationBuckets,
  semconvProviderName,
  timeToFirstTokenBuckets,
  tokenUsageBuckets,
} from './gen-ai-semconv.js';
import {
  breakerStateValues,
  createMetricLabels,
  failedOver,
  otherModel,
  type MetricsSubscribeOptions,
} from './metric-labels.js';

export type { MetricsSubscribeOptions } from './metric-labels.js';

export interface PrometheusMetricsOptions {
  /** Where the metric families are registered; a fresh registry by default, never prom-client's global one. */
  registry?: Registry | undefined;
  /** Also collect prom-client's process and Node.js runtime metrics (default true). */
  collectDefault?: boolean | undefined;
}

export interface PrometheusMetrics {
  registry: Registry;
  /** Feeds the metrics from the bus; returns a function that stops it. */
  subscribe(events: EventBus, options?: MetricsSubscribeOptions): () => void;
  /** Counts and times every HTTP response of `app` (add before `listen`; routes added earlier are covered). */
  instrumentHttp(app: FastifyInstance): void;
  /** `keel_cache_hits_total`, fed by the response cache's cache:lookup events. */
  cacheHits: Counter<'model'>;
}

type GenAiLabel =
  'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model' | 'gen_ai_response_model';
type GenAiLabels = Partial<Record<GenAiLabel, string>>;

/** Keel's own work per request is sub-millisecond to tens of milliseconds. */
const overheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
/** OpenTelemetry's http.server.request.duration boundaries, plus 30 s to 2 min for long LLM streams. */
const httpDurationBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120,
];

/**
 * Creates Keel's metric families on a registry. Nothing is counted until `subscribe` and `instrumentHttp`.
 * @example
 * const metrics = createPrometheusMetrics();
 * metrics.subscribe(keel.events, { costUsd, providers: config.providers });
 * metrics.instrumentHttp(keel.server.app);
 * registerMetricsRoute(keel.server.app, { registry: metrics.registry });
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });

  const operationDuration = new Histogram<GenAiLabel | 'error_type'>({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'GenAI operation duration: a chat request from arrival at Keel to its last byte, all attempts included.',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_response_model',
      'error_type',
    ],
    buckets: [...operationDurationBuckets],
    registers,
  });
  const tokenUsage = new Histogram<GenAiLabel | 'gen_ai_token_type'>({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens used per request, by token type (input, output).',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_response_model',
      'gen_ai_token_type',
    ],
    buckets: [...tokenUsageBuckets],
    registers,
  });
  const timeToFirstToken = new Histogram<GenAiLabel>({
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'Streams answered successfully: time from arrival at Keel to the first content byte sent.',
    labelNames: [
      'gen_ai_operation_name',
      'gen_ai_provider_name',
      'gen_ai_request_model',
      'gen_ai_response_model',
    ],
    buckets: [...timeToFirstTokenBuckets],
    registers,
  });
  const requests = new Counter<'provider' | 'model' | 'status_class' | 'outcome'>({
    name: 'keel_requests_total',
    help: 'Chat requests ended, by serving (or last tried) provider, requested model, status class and outcome.',
    labelNames: ['provider', 'model', 'status_class', 'outcome'],
    registers,
  });
  const requestErrors = new Counter<'provider' | 'model' | 'code'>({
    name: 'keel_request_errors_total',
    help: 'Chat requests that ended in error, by Keel error code.',
    labelNames: ['provider', 'model', 'code'],
    registers,
  });
  const cost = new Counter<'provider' | 'model'>({
    name: 'keel_cost_usd_total',
    help: 'Cost of answered usage in US dollars, for models with a known price.',
    labelNames: ['provider', 'model'],
    registers,
  });
  const overhead = new Histogram({
    name: 'keel_overhead_seconds',
    help: "Keel's own time per request: total minus upstream waits and retry backoff.",
    buckets: overheadBuckets,
    registers,
  });
  const upstreamDuration = new Histogram<'provider'>({
    name: 'keel_upstream_duration_seconds',
    help: 'Time waiting on the upstream per attempt (to the first part, for streams).',
    labelNames: ['provider'],
    buckets: [...operationDurationBuckets],
    registers,
  });
  const attempts = new Counter<'provider' | 'model' | 'outcome'>({
    name: 'keel_attempts_total',
    help: 'Calls to targets (model = the target model), by outcome: ok, error, or skipped by an open breaker.',
    labelNames: ['provider', 'model', 'outcome'],
    registers,
  });
  const failovers = new Counter<'model'>({
    name: 'keel_failovers_total',
    help: 'Requests that went to more than one target, by requested model.',
    labelNames: ['model'],
    registers,
  });
  const breakerState = new Gauge<'target'>({
    name: 'keel_circuit_breaker_state',
    help: 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['target'],
    registers,
  });
  const cacheHits = new Counter<'model'>({
    name: 'keel_cache_hits_total',
    help: 'Requests answered from the response cache, by requested model.',
    labelNames: ['model'],
    registers,
  });
  const cacheMisses = new Counter<'model'>({
    name: 'keel_cache_misses_total',
    help: 'Requests looked up in the response cache and not found there (or too old for their max-age), by requested model.',
    labelNames: ['model'],
    registers,
  });
  const httpRequests = new Counter<'handler' | 'method' | 'status'>({
    name: 'http_requests_total',
    help: 'HTTP responses sent, by route pattern ("unmatched" when no route matched), method and status.',
    labelNames: ['handler', 'method', 'status'],
    registers,
  });
  const httpDuration = new Histogram<'handler' | 'method'>({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration from arrival to the response sent, by route pattern and method.',
    labelNames: ['handler', 'method'],
    buckets: httpDurationBuckets,
    registers,
  });

  const subscribe = (events: EventBus, subscribeOptions: MetricsSubscribeOptions = {}): (() => void) => {
    const { costUsd } = subscribeOptions;
    const labels = createMetricLabels(subscribeOptions);

    const onRequestEnd = (event: RequestEndEvent): void => {
      const provider = labels.provider(event);
      const model = labels.requestedModel(event);
      const { outcome, usage } = event;
      requests.inc({ provider, model, status_class: statusClass(event.status), outcome });
      if (outcome === 'error') requestErrors.inc({ provider, model, code: event.errorCode ?? 'unknown' });
      if (failedOver(event.attempts)) failovers.inc({ model });
      overhead.observe(event.overheadMs / 1000);

      const genAi: GenAiLabels = { gen_ai_operation_name: chatOperationName, gen_ai_request_model: model };
      const providerType = labels.providerType(event);
      if (providerType !== undefined) genAi.gen_ai_provider_name = semconvProviderName(providerType);
      // A provider echoes a direct request's model name back: bound it like the request's.
      if (event.servedModel !== undefined) {
        genAi.gen_ai_response_model = model === otherModel ? otherModel : event.servedModel;
      }
      // error.type is set only when the operation failed (semconv: conditionally required).
      operationDuration.observe(
        outcome === 'error' ? { ...genAi, error_type: event.errorCode ?? '_OTHER' } : genAi,
        event.totalMs / 1000,
      );
      // The semconv defines time to first token for successful responses only.
      if (event.ttftMs !== undefined && outcome === 'ok')
        timeToFirstToken.observe(genAi, event.ttftMs / 1000);
      if (usage === undefined) return;
      tokenUsage.observe({ ...genAi, gen_ai_token_type: 'input' }, usage.inputTokens);
      tokenUsage.observe({ ...genAi, gen_ai_token_type: 'output' }, usage.outputTokens);
      const costOfUsage = costUsd?.(event);
      if (costOfUsage !== undefined && Number.isFinite(costOfUsage) && costOfUsage >= 0) {
        cost.inc({ provider, model }, costOfUsage);
      }
    };
    const onAttemptEnd = ({ attempt }: AttemptEndEvent): void => {
      attempts.inc({
        provider: attempt.providerId,
        model: labels.model(attempt.modelId),
        outcome: attempt.outcome,
      });
      if (attempt.outcome !== 'skipped') {
        upstreamDuration.observe({ provider: attempt.providerId }, attempt.durationMs / 1000);
      }
    };
    const onCacheLookup = (lookup: CacheLookupEvent): void => {
      // Bypasses (Cache-Control no-cache, no-store) are neither: the hit ratio stays hits / (hits + misses).
      if (lookup.result === 'hit') cacheHits.inc({ model: labels.model(lookup.model) });
      else if (lookup.result === 'miss') cacheMisses.inc({ model: labels.model(lookup.model) });
    };
    const onBreakerTransition = (transition: BreakerTransition): void => {
      breakerState.set({ target: transition.target }, breakerStateValues[transition.to]);
    };

    const unsubscribers = [
      events.on('request:end', onRequestEnd),
      events.on('attempt:end', onAttemptEnd),
      events.on('breaker:transition', onBreakerTransition),
      events.on('cache:lookup', onCacheLookup),
    ];
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
  };

  const instrumentHttp = (app: FastifyInstance): void => {
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, never the raw URL: ids and query strings would make a series per request.
      const handler = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      httpRequests.inc({ handler, method, status: reply.statusCode });
      httpDuration.observe({ handler, method }, reply.elapsedTime / 1000);
      done();
    });
  };

  return { registry, subscribe, instrumentHttp, cacheHits };
}
