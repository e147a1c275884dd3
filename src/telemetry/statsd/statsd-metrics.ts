// StatsD/DogStatsD metrics fed by Keel's telemetry events: the Prometheus meanings, sent through a hot-shots client.
import type { StatsD, Tags } from 'hot-shots';
import type { BreakerTransition } from '../../reliability/breaker-registry.js';
import type { EventBus } from '../event-bus.js';
import type { AttemptEndEvent, RequestEndEvent } from '../events.js';
import {
  breakerStateValues,
  createMetricLabels,
  failedOver,
  type MetricsSubscribeOptions,
} from '../metrics/metric-labels.js';
import { statusClass } from '../request-record.js';

/** "dogstatsd" sends dimensions as tags; "statsd" has no tags and puts them into the metric name. */
export type StatsdProtocol = 'dogstatsd' | 'statsd';
/** Wire type of durations: `d`, `h` (DogStatsD only) or `ms`. */
export type StatsdDurationType = 'distribution' | 'histogram' | 'timer';

/** Client metadata values allowed as tag values; an empty list means the tag is not sent. */
export interface MetadataTagValues {
  environment: readonly string[];
  application: readonly string[];
}

export interface StatsdMetricsOptions extends MetricsSubscribeOptions {
  /** Where metrics go; its prefix and global tags are its own (see createStatsdExporter). */
  client: Pick<StatsD, 'increment' | 'gauge' | 'distribution' | 'histogram' | 'timing'>;
  protocol: StatsdProtocol;
  durationType: StatsdDurationType;
  /** Share of per-request metrics sent (0 < rate <= 1); breaker metrics are always sent. */
  sampleRate: number;
  metadataTags?: MetadataTagValues | undefined;
  /** Called instead of throwing when a metric cannot be sent. */
  onError: (error: unknown) => void;
}

/** Label value for a metadata header outside the allowed values. */
const otherValue = 'other';
/** Label value for a metadata header the client did not send (what /api/stats calls it too). */
const absentValue = 'default';

/** Dimensions of one metric, in the order plain StatsD names take them. */
type Dimensions = readonly (readonly [key: string, value: string])[];

/**
 * One segment of a plain StatsD metric name: anything but letters, digits, "_" and "-" becomes "_",
 * so a "provider/model" target or a dotted model id stays one segment and the line stays parseable.
 */
export function sanitizeNameSegment(value: string): string {
  return value === '' ? '_' : value.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Subscribes the StatsD metrics to the bus; returns a function that stops them. Sending is
 * fire-and-forget: a failure goes to `onError`, never to the request.
 * @example
 * const stop = subscribeStatsdMetrics(keel.events, {
 *   client: new StatsD({ prefix: 'keel.', maxBufferSize: 1432 }),
 *   protocol: 'dogstatsd',
 *   durationType: 'distribution',
 *   sampleRate: 1,
 *   onError: (error) => logger.warn({ err: error }, 'statsd send failed'),
 * });
 */
export function subscribeStatsdMetrics(events: EventBus, options: StatsdMetricsOptions): () => void {
  const { client, protocol, durationType, sampleRate, costUsd, onError } = options;
  const labels = createMetricLabels(options);
  const allowed = {
    environment: new Set(options.metadataTags?.environment ?? []),
    application: new Set(options.metadataTags?.application ?? []),
  };

  const send = (
    type: 'count' | 'gauge' | 'duration',
    metric: { name: string; value: number; dimensions: Dimensions; rate?: number },
  ): void => {
    const rate = metric.rate ?? sampleRate;
    let stat = metric.name;
    let tags: Tags | undefined;
    if (protocol === 'dogstatsd') {
      tags = metric.dimensions.map(([key, value]) => `${key}:${value}`);
    } else {
      for (const [, value] of metric.dimensions) stat += `.${sanitizeNameSegment(value)}`;
    }
    const metricOptions = { sampleRate: rate, tags };
    if (type === 'count') client.increment(stat, metric.value, metricOptions);
    else if (type === 'gauge') client.gauge(stat, metric.value, metricOptions);
    else if (durationType === 'distribution') client.distribution(stat, metric.value, metricOptions);
    else if (durationType === 'histogram') client.histogram(stat, metric.value, metricOptions);
    else client.timing(stat, metric.value, metricOptions);
  };
  const metadataDimensions = (event: RequestEndEvent): Dimensions => {
    const dimensions: [string, string][] = [];
    for (const key of ['environment', 'application'] as const) {
      if (allowed[key].size === 0) continue;
      const value = event.metadata[key];
      dimensions.push([
        key,
        value === undefined ? absentValue : allowed[key].has(value) ? value : otherValue,
      ]);
    }
    return dimensions;
  };

  const onRequestEnd = (event: RequestEndEvent): void => {
    const provider = labels.provider(event);
    const model = labels.requestedModel(event);
    const { outcome, usage } = event;
    const target: Dimensions = [
      ['provider', provider],
      ['model', model],
    ];
    send('count', {
      name: 'requests',
      value: 1,
      dimensions: [
        ...target,
        ['status_class', statusClass(event.status)],
        ['outcome', outcome],
        ...metadataDimensions(event),
      ],
    });
    if (outcome === 'error') {
      send('count', {
        name: 'request.errors',
        value: 1,
        dimensions: [...target, ['code', event.errorCode ?? 'unknown']],
      });
    }
    if (failedOver(event.attempts))
      send('count', { name: 'failovers', value: 1, dimensions: [['model', model]] });
    send('duration', {
      name: 'request.duration',
      value: event.totalMs,
      dimensions: [...target, ['outcome', outcome]],
    });
    send('duration', { name: 'request.upstream_duration', value: event.upstreamMs, dimensions: target });
    send('duration', { name: 'request.overhead', value: event.overheadMs, dimensions: [] });
    // Time to first token is defined for successful streams only (as in the GenAI semconv).
    if (event.ttftMs !== undefined && outcome === 'ok') {
      send('duration', { name: 'request.ttft', value: event.ttftMs, dimensions: target });
    }
    if (usage === undefined) return;
    const tokens: [string, number | undefined][] = [
      ['input', usage.inputTokens],
      ['output', usage.outputTokens],
      ['cached_input', usage.cachedInputTokens],
      ['reasoning', usage.reasoningTokens],
    ];
    for (const [tokenType, count] of tokens) {
      if (count === undefined) continue;
      send('count', { name: 'tokens', value: count, dimensions: [...target, ['token_type', tokenType]] });
    }
    const costOfUsage = costUsd?.(event);
    if (costOfUsage !== undefined && Number.isFinite(costOfUsage) && costOfUsage >= 0) {
      send('count', { name: 'cost_usd', value: costOfUsage, dimensions: target });
    }
  };
  const onAttemptEnd = ({ attempt }: AttemptEndEvent): void => {
    const dimensions: Dimensions = [
      ['provider', attempt.providerId],
      ['model', labels.model(attempt.modelId)],
      ['outcome', attempt.outcome],
    ];
    send('count', { name: 'attempts', value: 1, dimensions });
    if (attempt.outcome !== 'skipped') {
      send('duration', { name: 'attempt.duration', value: attempt.durationMs, dimensions });
    }
  };
  const onBreakerTransition = (transition: BreakerTransition): void => {
    // A direct "provider/anything" target has a breaker too: bound it like a model name.
    const target = labels.model(transition.target);
    // Transitions are rare and each one matters: never sampled.
    send('gauge', {
      name: 'circuit_breaker.state',
      value: breakerStateValues[transition.to],
      dimensions: [['target', target]],
      rate: 1,
    });
    send('count', {
      name: 'circuit_breaker.transitions',
      value: 1,
      dimensions: [
        ['target', target],
        ['from', transition.from],
        ['to', transition.to],
      ],
      rate: 1,
    });
  };

  const guarded =
    <T>(handler: (payload: T) => void) =>
    (payload: T): void => {
      try {
        handler(payload);
      } catch (error) {
        onError(error);
      }
    };
  const unsubscribers = [
    events.on('request:end', guarded(onRequestEnd)),
    events.on('attempt:end', guarded(onAttemptEnd)),
    events.on('breaker:transition', guarded(onBreakerTransition)),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
