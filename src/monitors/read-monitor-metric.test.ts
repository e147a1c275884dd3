// Tests of monitor metric reading against a real in-memory SQLite store filled with synthetic records.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SKETCH_RELATIVE_ACCURACY } from '../store/latency-sketch.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { TelemetryStore } from '../store/store.js';
import { makeSyntheticRecords } from '../store/synthetic-records.js';
import { failoverPathFailedOver } from '../telemetry/metrics/metric-labels.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import {
  MONITOR_METRICS,
  STORE_MONITOR_METRICS,
  parseMonitorMetric,
  parseWindow,
  readMonitorMetric,
  type MonitorMetric,
} from './read-monitor-metric.js';

const START_MS = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
// The sketch bound plus floating-point rounding of the log mapping (as in sqlite-store.test.ts).
const TOLERANCE = SKETCH_RELATIVE_ACCURACY * (1 + 1e-9);

const RECORDS: RequestRecord[] = makeSyntheticRecords({ count: 3_000, startMs: START_MS }).map(
  (record, index) => ({ ...record, cacheHit: index % 7 === 0 }),
);

let store: TelemetryStore;

beforeEach(async () => {
  store = new SqliteStore({ path: ':memory:' });
  await store.insert(RECORDS);
});

afterEach(async () => {
  await store.close();
});

function exactQuantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? null;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

const QUANTILE_FIELDS = {
  latency: (record: RequestRecord) => record.totalMs,
  upstream: (record: RequestRecord) => record.upstreamMs,
  overhead: (record: RequestRecord) => record.overheadMs,
  ttft: (record: RequestRecord) => record.ttftMs,
} as const;

/** The metric computed the slow way from the records; `quantile` says the store may be 1 % off. */
function expected(
  metric: MonitorMetric,
  records: readonly RequestRecord[],
): { value: number | null; quantile: boolean } {
  const count = records.length;
  const rate = (amount: number) => ({ value: count > 0 ? amount / count : null, quantile: false });
  switch (metric) {
    case 'requests':
      return { value: count, quantile: false };
    case 'error_rate':
      return rate(records.filter((record) => record.outcome === 'error').length);
    case 'latency.avg':
      return rate(sum(records.map((record) => record.totalMs)));
    case 'tokens.sum':
      return { value: sum(records.map((record) => record.totalTokens)), quantile: false };
    case 'tokens.avg':
      return rate(sum(records.map((record) => record.totalTokens)));
    case 'cost.sum':
      return { value: sum(records.map((record) => record.costUsd ?? 0)), quantile: false };
    case 'cache_hit_rate':
      return rate(records.filter((record) => record.cacheHit).length);
    case 'failover_rate':
      return rate(records.filter((record) => failoverPathFailedOver(record.failoverPath)).length);
    case 'quality.score': {
      const scores = records.flatMap((record) =>
        record.quality === undefined ? [] : [record.quality.score],
      );
      return { value: scores.length > 0 ? sum(scores) / scores.length : null, quantile: false };
    }
    default: {
      const [field, quantile] = metric.split('.') as [keyof typeof QUANTILE_FIELDS, 'p50' | 'p95' | 'p99'];
      const values = records
        .map(QUANTILE_FIELDS[field])
        .filter((value): value is number => value !== undefined);
      return { value: exactQuantile(values, Number(quantile.slice(1)) / 100), quantile: true };
    }
  }
}

function expectMetric(actual: number | null, metric: MonitorMetric, records: readonly RequestRecord[]): void {
  const want = expected(metric, records);
  if (want.value === null) {
    expect(actual, metric).toBeNull();
    return;
  }
  expect(actual, metric).not.toBeNull();
  const relativeError = Math.abs((actual ?? NaN) - want.value) / Math.max(Math.abs(want.value), 1e-12);
  // Counts and token sums are integers and must be exact; float sums and averages differ only by summation order.
  if (Number.isInteger(want.value)) expect(actual, metric).toBe(want.value);
  else expect(relativeError, metric).toBeLessThanOrEqual(want.quantile ? TOLERANCE : 1e-9);
}

describe('readMonitorMetric', () => {
  it.each(STORE_MONITOR_METRICS)('reads %s over the whole window as the records say', async (metric) => {
    const values = await readMonitorMetric({ store, metric, windowMs: HOUR_MS, nowMs: START_MS + HOUR_MS });
    expect(values).toHaveLength(1);
    expect(values[0]?.key).toEqual({});
    expect(values[0]?.requests).toBe(RECORDS.length);
    expectMetric(values[0]?.value ?? null, metric, RECORDS);
  });

  it('reads only the trailing window [nowMs - windowMs, nowMs)', async () => {
    const nowMs = START_MS + 45 * 60_000;
    const inWindow = RECORDS.filter(
      (record) => record.timeMs >= nowMs - 15 * 60_000 && record.timeMs < nowMs,
    );
    for (const metric of STORE_MONITOR_METRICS) {
      const values = await readMonitorMetric({ store, metric, windowMs: parseWindow('15m'), nowMs });
      expect(values[0]?.requests).toBe(inWindow.length);
      expectMetric(values[0]?.value ?? null, metric, inWindow);
    }
  });

  it('gives one value per provider, each from that provider’s records', async () => {
    const providers = [...new Set(RECORDS.map((record) => record.provider ?? ''))];
    for (const metric of STORE_MONITOR_METRICS) {
      const values = await readMonitorMetric({
        store,
        metric,
        windowMs: HOUR_MS,
        nowMs: START_MS + HOUR_MS,
        groupBy: ['provider'],
      });
      expect(values.map((value) => value.key.provider).sort()).toEqual([...providers].sort());
      for (const value of values) {
        const records = RECORDS.filter((record) => (record.provider ?? '') === value.key.provider);
        expect(value.requests).toBe(records.length);
        expectMetric(value.value, metric, records);
      }
    }
  });

  it('applies filters', async () => {
    const records = RECORDS.filter((record) => record.environment === 'staging');
    const values = await readMonitorMetric({
      store,
      metric: 'error_rate',
      windowMs: HOUR_MS,
      nowMs: START_MS + HOUR_MS,
      filters: { environment: 'staging' },
    });
    expect(values[0]?.requests).toBe(records.length);
    expectMetric(values[0]?.value ?? null, 'error_rate', records);
  });

  it('reads quality.score as null where no answer was scored (errors get no score)', async () => {
    const values = await readMonitorMetric({
      store,
      metric: 'quality.score',
      windowMs: HOUR_MS,
      nowMs: START_MS + HOUR_MS,
      filters: { statusClass: '5xx' },
    });
    expect(values[0]?.requests).toBeGreaterThan(0);
    expect(values[0]?.value).toBeNull();
  });

  it('gives null values for rates and quantiles of no requests (TTFT of refused requests)', async () => {
    // Refused requests (provider '') never stream a token, so their TTFT has no value.
    const values = await readMonitorMetric({
      store,
      metric: 'ttft.p95',
      windowMs: HOUR_MS,
      nowMs: START_MS + HOUR_MS,
      groupBy: ['provider'],
    });
    const refused = values.find((value) => value.key.provider === '');
    expect(refused?.requests).toBeGreaterThan(0);
    expect(refused?.value).toBeNull();
  });

  it('reads an empty window without groupBy as one group: 0 for counts and sums, null otherwise', async () => {
    const nowMs = START_MS + 3 * HOUR_MS;
    for (const metric of STORE_MONITOR_METRICS) {
      const values = await readMonitorMetric({ store, metric, windowMs: parseWindow('5m'), nowMs });
      const zero = metric === 'requests' || metric === 'tokens.sum' || metric === 'cost.sum';
      expect(values, metric).toEqual([{ key: {}, value: zero ? 0 : null, requests: 0 }]);
    }
  });

  it('reads an empty window with groupBy as no groups', async () => {
    const values = await readMonitorMetric({
      store,
      metric: 'latency.p95',
      windowMs: parseWindow('5m'),
      nowMs: START_MS - HOUR_MS,
      groupBy: ['provider'],
    });
    expect(values).toEqual([]);
  });

  it('refuses a window that is not positive', async () => {
    await expect(
      readMonitorMetric({ store, metric: 'requests', windowMs: 0, nowMs: START_MS }),
    ).rejects.toThrow(/windowMs must be a positive number, got 0/);
  });
});

describe('parseMonitorMetric', () => {
  it.each(MONITOR_METRICS)('accepts %s', (metric) => {
    expect(parseMonitorMetric(metric)).toBe(metric);
  });

  it.each(['latency_p95', 'latency.p90', 'Latency.p95', '', 'cost'])(
    'refuses %j and names the valid metrics',
    (text) => {
      expect(() => parseMonitorMetric(text)).toThrow(RangeError);
      expect(() => parseMonitorMetric(text)).toThrow(
        `unknown monitor metric ${JSON.stringify(text)}; write one of: requests, error_rate, latency.p50`,
      );
    },
  );
});

describe('parseWindow', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['6h', 21_600_000],
    ['30d', 2_592_000_000],
  ])('reads %s as %d ms', (text, windowMs) => {
    expect(parseWindow(text)).toBe(windowMs);
  });

  it.each(['', '5', 'm', '0m', '-5m', '5 m', '1.5h', '5M', '2w', '05m', '1h30m'])('refuses %j', (text) => {
    expect(() => parseWindow(text)).toThrow(RangeError);
    expect(() => parseWindow(text)).toThrow(
      `invalid window ${JSON.stringify(text)}; write a positive whole number`,
    );
  });

  it('refuses a window too long to count in milliseconds', () => {
    expect(() => parseWindow('999999999999999d')).toThrow(/too long/);
  });
});
