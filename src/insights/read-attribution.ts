// Reads two periods from the store and attributes a metric's change to each dimension's values.
import type { StatsGroup, StoreDimension, TelemetryStore } from '../store/store.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import {
  attributeChange,
  type AttributionGroup,
  type AttributionKind,
  type Contribution,
} from './attribute-change.js';
import { scanRecords } from './scan-records.js';

/** Metrics the attribution can split. */
export const ATTRIBUTION_METRICS = [
  'requests',
  'errors',
  'error_rate',
  'cost',
  'tokens',
  'input_tokens',
  'output_tokens',
  'cache_hits',
  'latency.p50',
  'latency.p95',
  'latency.p99',
] as const;
export type AttributionMetric = (typeof ATTRIBUTION_METRICS)[number];

/** Dimensions the rollups split by. */
export const ROLLUP_ATTRIBUTION_DIMENSIONS: readonly StoreDimension[] = [
  'provider',
  'model',
  'environment',
  'application',
];
/** Dimensions only raw records carry: read by a bounded scan. */
export const RECORD_ATTRIBUTION_DIMENSIONS = [
  'promptVersion',
  'featureVersion',
  'keyId',
  'team',
  'route',
  'servedModel',
] as const;
export type RecordAttributionDimension = (typeof RECORD_ATTRIBUTION_DIMENSIONS)[number];
export type AttributionDimension = StoreDimension | RecordAttributionDimension;
export const ATTRIBUTION_DIMENSIONS: readonly AttributionDimension[] = [
  ...ROLLUP_ATTRIBUTION_DIMENSIONS,
  ...RECORD_ATTRIBUTION_DIMENSIONS,
];
/** Default dimensions when the request names none. */
export const DEFAULT_ATTRIBUTION_DIMENSIONS: readonly AttributionDimension[] = [
  'provider',
  'model',
  'environment',
  'application',
  'promptVersion',
  'featureVersion',
  'keyId',
];
/** Raw records read per period for the record-only dimensions (the newest ones). */
export const ATTRIBUTION_SCAN_CAP = 20_000;
/** Label of records without a value in a record-only dimension. */
export const NO_VALUE = '(none)';

interface MetricDefinition {
  kind: AttributionKind;
  /** The value of a rollup group. */
  ofGroup(group: StatsGroup): number | null;
  /** The value over some raw records (never empty). */
  ofRecords(records: readonly RequestRecord[]): number | null;
}

const sumOf = (records: readonly RequestRecord[], pick: (record: RequestRecord) => number) =>
  records.reduce((sum, record) => sum + pick(record), 0);

/** Nearest-rank quantile of total latency: exact over the records read. */
function latencyQuantile(records: readonly RequestRecord[], quantile: number): number | null {
  if (records.length === 0) return null;
  const sorted = records.map((record) => record.totalMs).sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? null;
}

const METRICS: Record<AttributionMetric, MetricDefinition> = {
  requests: { kind: 'sum', ofGroup: (group) => group.requests, ofRecords: (records) => records.length },
  errors: {
    kind: 'sum',
    ofGroup: (group) => group.errors,
    ofRecords: (records) => records.filter((record) => record.outcome === 'error').length,
  },
  error_rate: {
    kind: 'mean',
    ofGroup: (group) => (group.requests === 0 ? null : group.errorRate),
    ofRecords: (records) => records.filter((record) => record.outcome === 'error').length / records.length,
  },
  cost: {
    kind: 'sum',
    ofGroup: (group) => group.costUsd,
    ofRecords: (records) => sumOf(records, (record) => record.costUsd ?? 0),
  },
  tokens: {
    kind: 'sum',
    ofGroup: (group) => group.totalTokens,
    ofRecords: (records) => sumOf(records, (record) => record.totalTokens),
  },
  input_tokens: {
    kind: 'sum',
    ofGroup: (group) => group.inputTokens,
    ofRecords: (records) => sumOf(records, (record) => record.inputTokens),
  },
  output_tokens: {
    kind: 'sum',
    ofGroup: (group) => group.outputTokens,
    ofRecords: (records) => sumOf(records, (record) => record.outputTokens),
  },
  cache_hits: {
    kind: 'sum',
    ofGroup: (group) => group.cacheHits,
    ofRecords: (records) => records.filter((record) => record.cacheHit).length,
  },
  'latency.p50': {
    kind: 'mean',
    ofGroup: (group) => group.latency.p50,
    ofRecords: (records) => latencyQuantile(records, 0.5),
  },
  'latency.p95': {
    kind: 'mean',
    ofGroup: (group) => group.latency.p95,
    ofRecords: (records) => latencyQuantile(records, 0.95),
  },
  'latency.p99': {
    kind: 'mean',
    ofGroup: (group) => group.latency.p99,
    ofRecords: (records) => latencyQuantile(records, 0.99),
  },
};

export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

export interface ReadAttributionOptions {
  store: TelemetryStore;
  metric: AttributionMetric;
  baseline: TimeWindow;
  current: TimeWindow;
  dimensions?: readonly AttributionDimension[] | undefined;
  /** Raw records read per period for record-only dimensions. Default 20,000. */
  scanCap?: number | undefined;
}

export interface DimensionAttribution {
  dimension: AttributionDimension;
  /** 'rollups' (every request) or 'records' (a scan of raw records, see `sample`). */
  source: 'rollups' | 'records';
  baselineTotal: number | null;
  currentTotal: number | null;
  change: number;
  contributions: Contribution[];
  /** Record dimensions: records read per period and whether the cap cut them short. */
  sample?: { baseline: number; current: number; truncated: boolean };
}

export interface AttributionReport {
  metric: AttributionMetric;
  kind: AttributionKind;
  baseline: TimeWindow & { value: number | null };
  current: TimeWindow & { value: number | null };
  change: number;
  dimensions: DimensionAttribution[];
}

function isRollupDimension(dimension: AttributionDimension): dimension is StoreDimension {
  return (ROLLUP_ATTRIBUTION_DIMENSIONS as readonly string[]).includes(dimension);
}

function groupsOf(groups: readonly StatsGroup[], dimension: StoreDimension, metric: MetricDefinition) {
  return groups.map((group): AttributionGroup => ({
    value: group.key[dimension] || NO_VALUE,
    requests: group.requests,
    metricValue: metric.ofGroup(group),
  }));
}

function recordGroups(
  records: readonly RequestRecord[],
  dimension: RecordAttributionDimension,
  metric: MetricDefinition,
): AttributionGroup[] {
  const byValue = new Map<string, RequestRecord[]>();
  for (const record of records) {
    const value = record[dimension] ?? NO_VALUE;
    const list = byValue.get(value);
    if (list === undefined) byValue.set(value, [record]);
    else list.push(record);
  }
  return [...byValue].map(([value, list]) => ({
    value,
    requests: list.length,
    metricValue: metric.ofRecords(list),
  }));
}

/**
 * Attributes the change of `metric` from `baseline` to `current` to the values of each dimension.
 * Rollup dimensions (provider, model, environment, application) count every request; record
 * dimensions (promptVersion, featureVersion, keyId, team, route, servedModel) read at most
 * `scanCap` of the newest raw records per period, so their figures are a sample when truncated.
 */
export async function readAttribution(options: ReadAttributionOptions): Promise<AttributionReport> {
  const { store, baseline, current } = options;
  const metric = METRICS[options.metric];
  const dimensions = options.dimensions ?? DEFAULT_ATTRIBUTION_DIMENSIONS;
  const [baselineTotal, currentTotal] = await Promise.all([store.stats(baseline), store.stats(current)]);
  const totalValue = (groups: readonly StatsGroup[]) => {
    const group = groups[0];
    return group === undefined || (metric.kind === 'mean' && group.requests === 0)
      ? null
      : metric.ofGroup(group);
  };
  const baselineValue = totalValue(baselineTotal.groups);
  const currentValue = totalValue(currentTotal.groups);

  const needsRecords = dimensions.some((dimension) => !isRollupDimension(dimension));
  const cap = options.scanCap ?? ATTRIBUTION_SCAN_CAP;
  const [baselineRecords, currentRecords] = needsRecords
    ? await Promise.all([
        scanRecords({ store, ...baseline, maxRecords: cap }),
        scanRecords({ store, ...current, maxRecords: cap }),
      ])
    : [undefined, undefined];

  const results: DimensionAttribution[] = [];
  for (const dimension of dimensions) {
    if (isRollupDimension(dimension)) {
      const [before, after] = await Promise.all([
        store.stats({ ...baseline, groupBy: [dimension] }),
        store.stats({ ...current, groupBy: [dimension] }),
      ]);
      const result = attributeChange({
        kind: metric.kind,
        baseline: groupsOf(before.groups, dimension, metric),
        current: groupsOf(after.groups, dimension, metric),
      });
      results.push({ dimension, source: 'rollups', ...result });
    } else if (baselineRecords !== undefined && currentRecords !== undefined) {
      const result = attributeChange({
        kind: metric.kind,
        baseline: recordGroups(baselineRecords.records, dimension, metric),
        current: recordGroups(currentRecords.records, dimension, metric),
      });
      results.push({
        dimension,
        source: 'records',
        ...result,
        sample: {
          baseline: baselineRecords.records.length,
          current: currentRecords.records.length,
          truncated: baselineRecords.truncated || currentRecords.truncated,
        },
      });
    }
  }
  return {
    metric: options.metric,
    kind: metric.kind,
    baseline: { ...baseline, value: baselineValue },
    current: { ...current, value: currentValue },
    change: (currentValue ?? 0) - (baselineValue ?? 0),
    dimensions: results,
  };
}
