// The telemetry store contract: raw request records plus per-minute rollups; SQLite now, PostgreSQL later.
import type { RequestRecord, StatusClass } from '../telemetry/request-record.js';

/** A rollup dimension to group or split by. `model` is the model the client asked for. */
export type StoreDimension = 'provider' | 'model' | 'environment' | 'application';

/** Every dimension, in the order group keys list them. */
export const STORE_DIMENSIONS: readonly StoreDimension[] = [
  'environment',
  'application',
  'provider',
  'model',
];

/**
 * Filters that rollups can answer. `provider` is '' for requests that reached no provider
 * (e.g. refused before routing); `model` is the requested model (alias or provider/model).
 */
export interface RollupFilters {
  environment?: string | undefined;
  application?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  statusClass?: StatusClass | undefined;
}

/**
 * Time ranges are [fromMs, toMs). Rollup queries (stats, timeseries) are minute-granular: a minute
 * counts when its start lies in [fromMs rounded down to the minute, toMs).
 */
export interface StatsQuery {
  fromMs: number;
  toMs: number;
  filters?: RollupFilters | undefined;
  /** Without it, one group (key `{}`) with the totals, present even when nothing matched. */
  groupBy?: readonly StoreDimension[] | undefined;
  /**
   * A latency threshold in ms (>= 0): when given, each group also has `latencyBelow`, the estimated
   * number of its requests whose totalMs was below it (SLO "good" counts; add
   * `filters.statusClass: '2xx'` for "status ok and latency below").
   */
  latencyBelowMs?: number | undefined;
}

/** Quantiles in milliseconds; null when the group has no value (e.g. TTFT without streams). */
export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Quantiles come from sketches (1 % relative error); avg, min and max are exact. */
export interface LatencySummary extends Quantiles {
  avg: number | null;
  min: number | null;
  max: number | null;
}

export interface StatsGroup {
  /** The grouped dimensions' values, e.g. `{ provider: 'openai' }`. */
  key: Record<string, string>;
  requests: number;
  ok: number;
  errors: number;
  /** errors / requests; 0 when there are no requests. */
  errorRate: number;
  /** ok / requests; 0 when there are no requests. */
  successRate: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** Sum over requests with a known price. */
  costUsd: number;
  cacheHits: number;
  /** Of totalMs. */
  latency: LatencySummary;
  upstream: Quantiles;
  overhead: Quantiles;
  ttft: Quantiles;
  /** Requests that went to more than one target (failed over, whether or not that saved them). */
  failovers: number;
  /** failovers / requests; 0 when there are no requests. */
  failoverRate: number;
  /** Answer quality (src/quality): only successful requests are scored. */
  quality: QualitySummary;
  /**
   * With StatsQuery.latencyBelowMs: requests (of every status class the filters let through) whose
   * totalMs was below it, counted from the merged latency sketch. Requests within the sketch's 1 %
   * of the threshold may land on either side: the count lies between the exact counts of totalMs
   * <= latencyBelowMs / 1.01 and of totalMs < latencyBelowMs / 0.99.
   */
  latencyBelow?: number;
}

/** Average quality score of the scored requests. */
export interface QualitySummary {
  /** 0..1; null when no request in the group was scored. */
  avg: number | null;
  /** Requests with a score. */
  scored: number;
}

export interface StatsResult {
  fromMs: number;
  toMs: number;
  /** Sorted by requests, most first. */
  groups: StatsGroup[];
}

/** Filters on raw records, on top of the rollup ones. */
export interface RequestFilters extends RollupFilters {
  status?: number | undefined;
  outcome?: 'ok' | 'error' | undefined;
  errorCode?: string | undefined;
  experimentId?: string | undefined;
  variantId?: string | undefined;
  featureVersion?: string | undefined;
  promptVersion?: string | undefined;
  /** The gateway key's id. */
  keyId?: string | undefined;
  team?: string | undefined;
}

export const DEFAULT_REQUESTS_LIMIT = 100;
export const MAX_REQUESTS_LIMIT = 1000;

export interface RequestsQuery {
  fromMs: number;
  toMs: number;
  filters?: RequestFilters | undefined;
  /** 1 to 1000; default 100. */
  limit?: number | undefined;
  /** `nextCursor` of the previous page, opaque. Pages run newest first (timeMs desc, requestId desc). */
  cursor?: string | undefined;
}

export interface RequestsPage {
  items: RequestRecord[];
  /** Present when more records may follow. */
  nextCursor?: string;
}

export type TimeseriesMetric =
  | 'requests'
  | 'errors'
  | 'error_rate'
  | 'latency_p50'
  | 'latency_p95'
  | 'latency_p99'
  | 'overhead_p99'
  | 'upstream_p95'
  | 'ttft_p95'
  | 'tokens'
  | 'cost'
  | 'failovers'
  | 'failover_rate'
  | 'quality_score';

export const TIMESERIES_METRICS: readonly TimeseriesMetric[] = [
  'requests',
  'errors',
  'error_rate',
  'latency_p50',
  'latency_p95',
  'latency_p99',
  'overhead_p99',
  'upstream_p95',
  'ttft_p95',
  'tokens',
  'cost',
  'failovers',
  'failover_rate',
  'quality_score',
];

/** Largest number of points per series a timeseries query may ask for. */
export const MAX_TIMESERIES_POINTS = 10_000;

export interface TimeseriesQuery {
  metric: TimeseriesMetric;
  /** One series per value of this dimension; without it, one series with key `{}`. */
  by?: StoreDimension | undefined;
  fromMs: number;
  toMs: number;
  /** Bucket width, a positive multiple of 60_000 (1 min). Buckets start at multiples of stepMs since the epoch. */
  stepMs: number;
  filters?: RollupFilters | undefined;
}

export interface TimeseriesPoint {
  /** Bucket start, epoch ms. */
  tMs: number;
  value: number;
}

export interface TimeseriesSeries {
  key: Record<string, string>;
  /**
   * Ascending. Counting metrics (requests, errors, tokens, cost, failovers) have a point for every
   * bucket, 0 when empty; rates, quantiles and quality_score only for buckets with a value
   * (requests; streams, for TTFT; scored answers, for quality_score).
   */
  points: TimeseriesPoint[];
}

export interface TimeseriesResult {
  metric: TimeseriesMetric;
  stepMs: number;
  series: TimeseriesSeries[];
}

/** An A/B experiment's requests in a time range, split by variant. */
export interface ExperimentReportQuery {
  experimentId: string;
  fromMs: number;
  toMs: number;
}

export interface ExperimentReport {
  experimentId: string;
  fromMs: number;
  toMs: number;
  /** One group per variant seen (key `{ variant }`), sorted by variant id; totals exact, quantiles within 1 %. */
  variants: StatsGroup[];
}

/**
 * Where request records are kept and queried. Implementations: SQLite (one file, default) and,
 * for several replicas, PostgreSQL; both must pass the same contract tests.
 *
 * Inserting is idempotent: a record already stored (same requestId and timeMs; a record never
 * changes once made) is ignored, raw row and rollups alike, so a batch may be retried or replayed
 * safely.
 */
export interface TelemetryStore {
  insert(records: readonly RequestRecord[]): Promise<void>;
  /** Totals and latency summaries, from rollups (never a scan of raw records). */
  stats(query: StatsQuery): Promise<StatsResult>;
  /** Raw records, newest first, a page at a time. */
  requests(query: RequestsQuery): Promise<RequestsPage>;
  /** One metric over time, from rollups. */
  timeseries(query: TimeseriesQuery): Promise<TimeseriesResult>;
  /** Per-variant figures of an experiment, from its raw records (rollups do not split by variant). */
  experimentReport(query: ExperimentReportQuery): Promise<ExperimentReport>;
  /** Deletes raw records and rollups older than their retention, counted from `nowMs`. */
  prune(nowMs: number): Promise<{ rawDeleted: number; rollupsDeleted: number }>;
  close(): Promise<void>;
}
