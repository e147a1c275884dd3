// Per-minute and per-hour rollups: building them from records and reading them back into stats and time series.
import { failoverPathFailedOver } from '../telemetry/metrics/metric-labels.js';
import {
  recordStatusClass,
  type RecordQuality,
  type RequestRecord,
  type StatusClass,
} from '../telemetry/request-record.js';
import { LatencySketch } from './latency-sketch.js';
import type { StatsGroup, StoreDimension, TimeseriesMetric } from './store.js';

export {
  HOUR_MS,
  MINUTE_MS,
  minuteOf,
  planRollupReads,
  TIER_MS,
  type RollupRead,
  type RollupTier,
} from './plan-rollup-reads.js';
import { MINUTE_MS } from './plan-rollup-reads.js';

/** What one rollup row is keyed by. `provider` is '' when no provider was reached. */
export interface RollupKey {
  /** Start of the row's minute (or hour, in hourly rollups). */
  startMs: number;
  environment: string;
  application: string;
  provider: string;
  /** The requested model. */
  model: string;
  /** '' in rows summed across status classes. */
  statusClass: StatusClass | '';
}

/** Additive columns of a rollup row. */
export interface RollupTotals {
  requests: number;
  ok: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  costUsd: number;
  cacheHits: number;
  totalMsSum: number;
  /** Sum of the quality scores of the scored requests (see RequestRecord.quality). */
  qualitySum: number;
  /** Requests with a quality score. */
  qualityCount: number;
  /** Requests that failed over: went to more than one target (see failedOver). */
  failovers: number;
  /** Exact min/max of totalMs; Infinity/-Infinity while empty. */
  totalMsMin: number;
  totalMsMax: number;
}

export type SketchName = 'totalMs' | 'upstreamMs' | 'overheadMs' | 'ttftMs';

export const SKETCH_NAMES: readonly SketchName[] = ['totalMs', 'upstreamMs', 'overheadMs', 'ttftMs'];

/**
 * A rollup row's worth of new data, to be added to what the store already holds. Latencies are
 * kept as plain values: the store accepts them straight into the stored sketch it has decoded,
 * cheaper than building a sketch per delta and merging it.
 */
export interface RollupDelta {
  key: RollupKey;
  totals: RollupTotals;
  samples: Record<SketchName, number[]>;
}

/** The stored sketch (or a new one) with the delta's samples added. */
export function sketchWithSamples(
  stored: Uint8Array | null | undefined,
  samples: readonly number[],
): LatencySketch {
  const sketch = stored === undefined || stored === null ? new LatencySketch() : LatencySketch.decode(stored);
  for (const value of samples) sketch.accept(value);
  return sketch;
}

export function emptyTotals(): RollupTotals {
  return {
    requests: 0,
    ok: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    cacheHits: 0,
    totalMsSum: 0,
    qualitySum: 0,
    qualityCount: 0,
    failovers: 0,
    totalMsMin: Infinity,
    totalMsMax: -Infinity,
  };
}

/** The fields of a record that rollups count (of its quality, only the score). */
export type CountedRecord = Pick<
  RequestRecord,
  | 'failoverPath'
  | 'outcome'
  | 'inputTokens'
  | 'outputTokens'
  | 'totalTokens'
  | 'cachedInputTokens'
  | 'reasoningTokens'
  | 'costUsd'
  | 'cacheHit'
  | 'totalMs'
  | 'upstreamMs'
  | 'overheadMs'
  | 'ttftMs'
> & { quality?: Pick<RecordQuality, 'score'> | undefined };

/** Counts one record into `totals`. */
export function addRecordToTotals(totals: RollupTotals, record: CountedRecord): void {
  totals.requests++;
  if (record.outcome === 'ok') totals.ok++;
  else totals.errors++;
  totals.inputTokens += record.inputTokens;
  totals.outputTokens += record.outputTokens;
  totals.totalTokens += record.totalTokens;
  totals.cachedInputTokens += record.cachedInputTokens;
  totals.reasoningTokens += record.reasoningTokens;
  totals.costUsd += record.costUsd ?? 0;
  if (record.cacheHit) totals.cacheHits++;
  totals.totalMsSum += record.totalMs;
  if (record.quality !== undefined) {
    totals.qualitySum += record.quality.score;
    totals.qualityCount++;
  }
  if (failoverPathFailedOver(record.failoverPath)) totals.failovers++;
  totals.totalMsMin = Math.min(totals.totalMsMin, record.totalMs);
  totals.totalMsMax = Math.max(totals.totalMsMax, record.totalMs);
}

export function addTotals(target: RollupTotals, source: RollupTotals): void {
  target.requests += source.requests;
  target.ok += source.ok;
  target.errors += source.errors;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.totalTokens += source.totalTokens;
  target.cachedInputTokens += source.cachedInputTokens;
  target.reasoningTokens += source.reasoningTokens;
  target.costUsd += source.costUsd;
  target.cacheHits += source.cacheHits;
  target.totalMsSum += source.totalMsSum;
  target.qualitySum += source.qualitySum;
  target.qualityCount += source.qualityCount;
  target.failovers += source.failovers;
  target.totalMsMin = Math.min(target.totalMsMin, source.totalMsMin);
  target.totalMsMax = Math.max(target.totalMsMax, source.totalMsMax);
}

/** Groups records of one insert into rollup deltas, one per (bucket, dimensions, status class). */
export class RollupBatch {
  readonly #deltas = new Map<string, RollupDelta>();
  readonly #bucketMs: number;

  /** `bucketMs`: MINUTE_MS or HOUR_MS, the width of the rows the deltas are for. */
  constructor(bucketMs: number = MINUTE_MS) {
    this.#bucketMs = bucketMs;
  }

  add(record: RequestRecord): void {
    const key: RollupKey = {
      startMs: Math.floor(record.timeMs / this.#bucketMs) * this.#bucketMs,
      environment: record.environment,
      application: record.application,
      provider: record.provider ?? '',
      model: record.requestedModel,
      statusClass: recordStatusClass(record),
    };
    const id = rollupKeyId(key);
    let delta = this.#deltas.get(id);
    if (delta === undefined) {
      delta = {
        key,
        totals: emptyTotals(),
        samples: { totalMs: [], upstreamMs: [], overheadMs: [], ttftMs: [] },
      };
      this.#deltas.set(id, delta);
    }
    addRecordToTotals(delta.totals, record);
    delta.samples.totalMs.push(record.totalMs);
    delta.samples.upstreamMs.push(record.upstreamMs);
    delta.samples.overheadMs.push(record.overheadMs);
    if (record.ttftMs !== undefined) delta.samples.ttftMs.push(record.ttftMs);
  }

  get size(): number {
    return this.#deltas.size;
  }

  deltas(): IterableIterator<RollupDelta> {
    return this.#deltas.values();
  }
}

function rollupKeyId(key: RollupKey): string {
  return `${key.startMs}\u0000${key.environment}\u0000${key.application}\u0000${key.provider}\u0000${key.model}\u0000${key.statusClass}`;
}

/** A stored rollup row as queries read it; sketches not selected are undefined, empty ones null. */
export interface RollupReadRow {
  key: RollupKey;
  totals: RollupTotals;
  sketches: Partial<Record<SketchName, Uint8Array | null>>;
}

/** Sums rollup rows (totals add, sketches merge) and answers stats and metric values. */
export class RollupAggregate {
  readonly totals = emptyTotals();
  readonly #sketches: Partial<Record<SketchName, LatencySketch>> = {};

  add(row: RollupReadRow): void {
    addTotals(this.totals, row.totals);
    for (const name of SKETCH_NAMES) {
      const blob = row.sketches[name];
      if (blob === undefined || blob === null) continue;
      (this.#sketches[name] ??= new LatencySketch()).mergeEncoded(blob);
    }
  }

  /** Counts one raw record (reports over raw rows, such as an experiment's). */
  addRecord(record: CountedRecord): void {
    addRecordToTotals(this.totals, record);
    const values: Record<SketchName, number | undefined> = {
      totalMs: record.totalMs,
      upstreamMs: record.upstreamMs,
      overheadMs: record.overheadMs,
      ttftMs: record.ttftMs,
    };
    for (const name of SKETCH_NAMES) {
      const value = values[name];
      if (value !== undefined) (this.#sketches[name] ??= new LatencySketch()).accept(value);
    }
  }

  quantile(name: SketchName, q: number): number | null {
    return this.#sketches[name]?.quantile(q) ?? null;
  }

  /** Estimated values of the sketch below `valueMs` (see LatencySketch.countBelow); 0 when empty. */
  countBelow(name: SketchName, valueMs: number): number {
    return this.#sketches[name]?.countBelow(valueMs) ?? 0;
  }

  /** With `latencyBelowMs`, the group also says how many requests' totalMs was below it. */
  toStatsGroup(
    key: Record<string, string>,
    options: { latencyBelowMs?: number | undefined } = {},
  ): StatsGroup {
    const totals = this.totals;
    const requests = totals.requests;
    const quantiles = (name: SketchName) => ({
      p50: this.quantile(name, 0.5),
      p95: this.quantile(name, 0.95),
      p99: this.quantile(name, 0.99),
    });
    const group: StatsGroup = {
      key,
      requests,
      ok: totals.ok,
      errors: totals.errors,
      errorRate: requests > 0 ? totals.errors / requests : 0,
      successRate: requests > 0 ? totals.ok / requests : 0,
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      totalTokens: totals.totalTokens,
      cachedInputTokens: totals.cachedInputTokens,
      reasoningTokens: totals.reasoningTokens,
      costUsd: totals.costUsd,
      cacheHits: totals.cacheHits,
      latency: {
        ...quantiles('totalMs'),
        avg: requests > 0 ? totals.totalMsSum / requests : null,
        min: requests > 0 ? totals.totalMsMin : null,
        max: requests > 0 ? totals.totalMsMax : null,
      },
      upstream: quantiles('upstreamMs'),
      overhead: quantiles('overheadMs'),
      ttft: quantiles('ttftMs'),
      failovers: totals.failovers,
      failoverRate: requests > 0 ? totals.failovers / requests : 0,
      quality: {
        avg: totals.qualityCount > 0 ? totals.qualitySum / totals.qualityCount : null,
        scored: totals.qualityCount,
      },
    };
    if (options.latencyBelowMs !== undefined) {
      group.latencyBelow = this.countBelow('totalMs', options.latencyBelowMs);
    }
    return group;
  }

  /** The metric's value, or undefined when it has none (a rate or quantile of nothing). */
  metricValue(metric: TimeseriesMetric): number | undefined {
    const totals = this.totals;
    const sketchQuantile = METRIC_SKETCH[metric];
    if (sketchQuantile !== undefined) {
      return this.quantile(sketchQuantile.sketch, sketchQuantile.q) ?? undefined;
    }
    switch (metric) {
      case 'requests':
        return totals.requests;
      case 'errors':
        return totals.errors;
      case 'error_rate':
        return totals.requests > 0 ? totals.errors / totals.requests : undefined;
      case 'tokens':
        return totals.totalTokens;
      case 'cost':
        return totals.costUsd;
      case 'failovers':
        return totals.failovers;
      case 'failover_rate':
        return totals.requests > 0 ? totals.failovers / totals.requests : undefined;
      case 'quality_score':
        return totals.qualityCount > 0 ? totals.qualitySum / totals.qualityCount : undefined;
      default:
        return undefined;
    }
  }
}

/** Quantile metrics and the sketch each reads. */
export const METRIC_SKETCH: Partial<Record<TimeseriesMetric, { sketch: SketchName; q: number }>> = {
  latency_p50: { sketch: 'totalMs', q: 0.5 },
  latency_p95: { sketch: 'totalMs', q: 0.95 },
  latency_p99: { sketch: 'totalMs', q: 0.99 },
  overhead_p99: { sketch: 'overheadMs', q: 0.99 },
  upstream_p95: { sketch: 'upstreamMs', q: 0.95 },
  ttft_p95: { sketch: 'ttftMs', q: 0.95 },
};

/** Metrics whose empty buckets read 0 (the others have no value there). */
export function isCountingMetric(metric: TimeseriesMetric): boolean {
  return (
    metric === 'requests' ||
    metric === 'errors' ||
    metric === 'tokens' ||
    metric === 'cost' ||
    metric === 'failovers'
  );
}

/** The grouped dimensions of a row, as a result key and as a map id. */
export function groupKeyOf(
  key: RollupKey,
  dimensions: readonly StoreDimension[],
): { key: Record<string, string>; id: string } {
  const result: Record<string, string> = {};
  let id = '';
  for (const dimension of dimensions) {
    result[dimension] = key[dimension];
    id += `${key[dimension]}\u0000`;
  }
  return { key: result, id };
}
