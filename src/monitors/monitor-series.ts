// Which monitor metrics have a stored time series (for anomaly baselines and forecasts), and reading it.
import type { RollupFilters, StoreDimension, TelemetryStore, TimeseriesMetric } from '../store/store.js';
import type { MonitorMetric } from './read-monitor-metric.js';

const SERIES_OF: Partial<Record<MonitorMetric, TimeseriesMetric>> = {
  requests: 'requests',
  error_rate: 'error_rate',
  'latency.p50': 'latency_p50',
  'latency.p95': 'latency_p95',
  'latency.p99': 'latency_p99',
  'overhead.p99': 'overhead_p99',
  'upstream.p95': 'upstream_p95',
  'ttft.p95': 'ttft_p95',
  'tokens.sum': 'tokens',
  'cost.sum': 'cost',
  failover_rate: 'failover_rate',
  'quality.score': 'quality_score',
};

/** Monitor metrics an anomaly or forecast monitor may watch: those with a rollup time series. */
export const SERIES_MONITOR_METRICS = Object.keys(SERIES_OF) as MonitorMetric[];

/** The store's time-series metric for a monitor metric, or undefined when there is none. */
export function seriesMetricOf(metric: MonitorMetric): TimeseriesMetric | undefined {
  return SERIES_OF[metric];
}

/** One group's points, oldest first, keyed like stats groups (`{}` or `{ provider: 'openai' }`). */
export interface GroupSeries {
  key: Record<string, string>;
  points: { tMs: number; value: number }[];
}

/**
 * Reads `metric` in buckets of `stepMs` over [fromMs, toMs), one series per value of `by` (at most one
 * dimension: the store splits series by one). Counting metrics have a point per bucket, 0 when empty;
 * rates and quantiles only where there were requests.
 */
export async function readMonitorSeries(options: {
  store: TelemetryStore;
  metric: MonitorMetric;
  by?: StoreDimension | undefined;
  fromMs: number;
  toMs: number;
  stepMs: number;
  filters?: RollupFilters | undefined;
}): Promise<GroupSeries[]> {
  const seriesMetric = seriesMetricOf(options.metric);
  if (seriesMetric === undefined) {
    throw new RangeError(
      `monitor metric ${options.metric} has no time series; use one of ${SERIES_MONITOR_METRICS.join(', ')}`,
    );
  }
  if (options.toMs <= options.fromMs) return [];
  const result = await options.store.timeseries({
    metric: seriesMetric,
    by: options.by,
    fromMs: options.fromMs,
    toMs: options.toMs,
    stepMs: options.stepMs,
    filters: options.filters,
  });
  return result.series;
}
