// Reads a monitor's metric per group from the telemetry store: one stats query over the trailing window.
import type { RollupFilters, StatsGroup, StoreDimension, TelemetryStore } from '../store/store.js';

/** Every metric a monitor query may name, as written in the config (`metric: latency.p95`). */
export const MONITOR_METRICS = [
  'requests',
  'error_rate',
  'latency.p50',
  'latency.p95',
  'latency.p99',
  'latency.avg',
  'overhead.p50',
  'overhead.p95',
  'overhead.p99',
  'upstream.p50',
  'upstream.p95',
  'upstream.p99',
  'ttft.p50',
  'ttft.p95',
  'ttft.p99',
  'tokens.sum',
  'tokens.avg',
  'cost.sum',
  'cache_hit_rate',
  'failover_rate',
  'quality.score',
  'breaker.open',
  'probe.count',
  'probe.failure_rate',
  'probe.latency.p50',
  'probe.latency.p95',
  'probe.latency.avg',
  'probe.ttft.p95',
] as const;

/**
 * A metric a monitor can watch. Latencies are in milliseconds (quantiles within the sketch's 1 %),
 * `error_rate`, `cache_hit_rate` and `failover_rate` (requests that went to more than one target)
 * are fractions 0..1 of requests, `tokens.avg` is total tokens per request, `cost.sum` is in USD
 * over the window and `quality.score` is the average quality score 0..1 of the scored (successful)
 * answers, null when none was scored (see src/quality). `probe.*` are read from the synthetic probes'
 * measurements (src/probes), by environment and model: `probe.failure_rate` is the fraction of
 * probes that failed, `probe.latency.*` and `probe.ttft.p95` are over the successful ones (ms).
 */
export type MonitorMetric = (typeof MONITOR_METRICS)[number];

const METRIC_SET: ReadonlySet<string> = new Set(MONITOR_METRICS);

/** Whether a metric is read from the probe measurements rather than the telemetry store. */
export function isProbeMetric(metric: string): boolean {
  return metric.startsWith('probe.');
}

/**
 * The metrics read from the telemetry store (all but `breaker.open`, which is live breaker state,
 * and the `probe.*` metrics).
 */
export const STORE_MONITOR_METRICS: readonly MonitorMetric[] = MONITOR_METRICS.filter(
  (metric) => metric !== 'breaker.open' && !isProbeMetric(metric),
);

/**
 * Checks that `text` names a monitor metric.
 *
 * @throws RangeError naming the bad value and every valid metric.
 * @example parseMonitorMetric('latency.p95') // 'latency.p95'
 */
export function parseMonitorMetric(text: string): MonitorMetric {
  if (METRIC_SET.has(text)) return text as MonitorMetric;
  throw new RangeError(
    `unknown monitor metric ${JSON.stringify(text)}; write one of: ${MONITOR_METRICS.join(', ')}`,
  );
}

const WINDOW_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Converts a window such as `5m`, `1h` or `30d` to milliseconds. Units: s, m, h, d; the amount is a
 * positive whole number.
 *
 * @throws RangeError naming the bad value and the accepted form.
 * @example parseWindow('5m') // 300_000
 */
export function parseWindow(text: string): number {
  const match = /^([1-9]\d*)([smhd])$/.exec(text);
  const unitMs = match?.[2] === undefined ? undefined : WINDOW_UNIT_MS[match[2]];
  if (match?.[1] === undefined || unitMs === undefined) {
    throw new RangeError(
      `invalid window ${JSON.stringify(text)}; write a positive whole number and a unit s, m, h or d, e.g. 5m, 1h, 30d`,
    );
  }
  const windowMs = Number(match[1]) * unitMs;
  if (!Number.isSafeInteger(windowMs)) {
    throw new RangeError(`window ${JSON.stringify(text)} is too long; write at most a few years, e.g. 365d`);
  }
  return windowMs;
}

/** Options of {@link readMonitorMetric}. */
export interface ReadMonitorMetricOptions {
  store: TelemetryStore;
  metric: MonitorMetric;
  /** Length of the trailing window, e.g. `parseWindow('5m')`. */
  windowMs: number;
  /** End of the window (exclusive), epoch ms. */
  nowMs: number;
  /** One value per combination of these dimensions; without it, one group with key `{}`. */
  groupBy?: readonly StoreDimension[] | undefined;
  filters?: RollupFilters | undefined;
}

/** One group's metric value over the window and how many requests it came from. */
export interface MonitorMetricValue {
  /** The grouped dimensions' values, e.g. `{ provider: 'openai' }`; `{}` without groupBy. */
  key: Record<string, string>;
  /** null when the window holds no value: a rate, average or quantile over no requests (or no streams, for TTFT). */
  value: number | null;
  requests: number;
}

/** A fraction of the group's requests, or null over none (a rate of nothing is no data, not 0). */
function perRequest(amount: number, requests: number): number | null {
  return requests > 0 ? amount / requests : null;
}

/** The metric's value in one stats group. */
export function monitorMetricValue(group: StatsGroup, metric: MonitorMetric): number | null {
  switch (metric) {
    case 'requests':
      return group.requests;
    case 'error_rate':
      return perRequest(group.errors, group.requests);
    case 'latency.p50':
      return group.latency.p50;
    case 'latency.p95':
      return group.latency.p95;
    case 'latency.p99':
      return group.latency.p99;
    case 'latency.avg':
      return group.requests > 0 ? group.latency.avg : null;
    case 'overhead.p50':
      return group.overhead.p50;
    case 'overhead.p95':
      return group.overhead.p95;
    case 'overhead.p99':
      return group.overhead.p99;
    case 'upstream.p50':
      return group.upstream.p50;
    case 'upstream.p95':
      return group.upstream.p95;
    case 'upstream.p99':
      return group.upstream.p99;
    case 'ttft.p50':
      return group.ttft.p50;
    case 'ttft.p95':
      return group.ttft.p95;
    case 'ttft.p99':
      return group.ttft.p99;
    case 'tokens.sum':
      return group.totalTokens;
    case 'tokens.avg':
      return perRequest(group.totalTokens, group.requests);
    case 'cost.sum':
      return group.costUsd;
    case 'cache_hit_rate':
      return perRequest(group.cacheHits, group.requests);
    case 'failover_rate':
      return perRequest(group.failovers, group.requests);
    case 'quality.score':
      return group.quality.avg;
    case 'breaker.open':
    case 'probe.count':
    case 'probe.failure_rate':
    case 'probe.latency.p50':
    case 'probe.latency.p95':
    case 'probe.latency.avg':
    case 'probe.ttft.p95':
      // Not in the telemetry store: observeMonitor reads the breakers and the probe measurements.
      return null;
  }
}

/**
 * The metric per group over [nowMs − windowMs, nowMs), from one stats query (rollups, so the window
 * is minute-granular: see StatsQuery).
 *
 * An empty window gives, without groupBy, one group `{ key: {}, requests: 0 }` whose value is 0 for
 * counts and sums (requests, tokens.sum, cost.sum) and null for everything else; with groupBy it
 * gives `[]`, since no group was seen. Groups come in the store's order (most requests first).
 *
 * @example
 * const samples = await readMonitorMetric({ store, metric: 'latency.p95', windowMs: parseWindow('5m'), nowMs, groupBy: ['provider'] });
 */
export async function readMonitorMetric(options: ReadMonitorMetricOptions): Promise<MonitorMetricValue[]> {
  if (!(Number.isFinite(options.windowMs) && options.windowMs > 0)) {
    throw new RangeError(`monitor windowMs must be a positive number, got ${options.windowMs}`);
  }
  const result = await options.store.stats({
    fromMs: options.nowMs - options.windowMs,
    toMs: options.nowMs,
    filters: options.filters,
    groupBy: options.groupBy,
  });
  return result.groups.map((group) => ({
    key: group.key,
    value: monitorMetricValue(group, options.metric),
    requests: group.requests,
  }));
}
