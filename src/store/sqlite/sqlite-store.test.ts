import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeelError } from '../../spec/errors.js';
import { failoverPathFailedOver } from '../../telemetry/metrics/metric-labels.js';
import { statusClass, type RequestRecord } from '../../telemetry/request-record.js';
import { SKETCH_RELATIVE_ACCURACY } from '../latency-sketch.js';
import { MINUTE_MS, minuteOf } from '../rollup.js';
import type { RequestFilters, StatsGroup, TelemetryStore } from '../store.js';
import { logNormal, makeSyntheticRecords, seededRandom } from '../synthetic-records.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { WorkerSqliteStore } from './sqlite-worker-store.js';

const START_MS = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// The sketch bound (latency-sketch.ts) plus floating-point rounding of the log mapping.
const TOLERANCE = SKETCH_RELATIVE_ACCURACY * (1 + 1e-9);

let directory: string;
let stores: TelemetryStore[];
/** The implementation under test: both run this whole suite. */
let StoreClass: new (options: SqliteStoreOptions) => TelemetryStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'keel-store-'));
  stores = [];
});

afterEach(async () => {
  for (const store of stores) await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function openStore(
  options: {
    file?: string;
    rawRetentionMs?: number;
    rollupRetentionMs?: number;
    hourlyRollupRetentionMs?: number;
  } = {},
) {
  const store = new StoreClass({
    path: join(directory, options.file ?? 'nested/dir/keel.db'),
    rawRetentionMs: options.rawRetentionMs,
    rollupRetentionMs: options.rollupRetentionMs,
    hourlyRollupRetentionMs: options.hourlyRollupRetentionMs,
  });
  stores.push(store);
  return store;
}

function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
}

function expectWithinSketchError(estimate: number | null, exact: number, label: string): void {
  expect(estimate, label).not.toBeNull();
  expect(Math.abs((estimate ?? NaN) - exact) / exact, label).toBeLessThanOrEqual(TOLERANCE);
}

/** What stats must say about `records`, computed the slow way. */
function expectTotals(group: StatsGroup | undefined, records: readonly RequestRecord[]): void {
  expect(group).toBeDefined();
  const ok = records.filter((record) => record.outcome === 'ok').length;
  const sum = (pick: (record: RequestRecord) => number) => records.reduce((total, r) => total + pick(r), 0);
  expect(group?.requests).toBe(records.length);
  expect(group?.ok).toBe(ok);
  expect(group?.errors).toBe(records.length - ok);
  expect(group?.errorRate).toBeCloseTo((records.length - ok) / records.length, 12);
  expect(group?.successRate).toBeCloseTo(ok / records.length, 12);
  expect(group?.inputTokens).toBe(sum((r) => r.inputTokens));
  expect(group?.outputTokens).toBe(sum((r) => r.outputTokens));
  expect(group?.totalTokens).toBe(sum((r) => r.totalTokens));
  expect(group?.costUsd).toBeCloseTo(
    sum((r) => r.costUsd ?? 0),
    9,
  );
  expect(group?.latency.min).toBe(Math.min(...records.map((r) => r.totalMs)));
  expect(group?.latency.max).toBe(Math.max(...records.map((r) => r.totalMs)));
  expect(group?.latency.avg).toBeCloseTo(sum((r) => r.totalMs) / records.length, 6);
  const failovers = records.filter((r) => failoverPathFailedOver(r.failoverPath)).length;
  expect(group?.failovers).toBe(failovers);
  expect(group?.failoverRate).toBeCloseTo(failovers / records.length, 12);
  const scores = records.flatMap((r) => (r.quality === undefined ? [] : [r.quality.score]));
  expect(group?.quality.scored).toBe(scores.length);
  if (scores.length === 0) expect(group?.quality.avg).toBeNull();
  else expect(group?.quality.avg).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 9);
}

describe.each([
  { name: 'SqliteStore', Implementation: SqliteStore },
  { name: 'WorkerSqliteStore (on a worker thread)', Implementation: WorkerSqliteStore },
])('$name', ({ Implementation }) => {
  beforeAll(() => {
    StoreClass = Implementation;
  });
  const records = makeSyntheticRecords({ count: 6_000, startMs: START_MS, spanMs: HOUR_MS, seed: 42 });
  const range = { fromMs: START_MS, toMs: START_MS + HOUR_MS };

  it('counts every inserted record in stats, and still does after reopening the file', async () => {
    const store = openStore();
    for (let start = 0; start < records.length; start += 500) {
      await store.insert(records.slice(start, start + 500));
    }
    const { groups } = await store.stats(range);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.key).toEqual({});
    expectTotals(groups[0], records);
    expect(groups[0]?.errors).toBeGreaterThan(300);

    await store.close();
    const reopened = openStore();
    const again = await reopened.stats(range);
    expect(again.groups).toEqual(groups);
    expect(await countRequests(reopened, {})).toBe(records.length);
  });

  it('creates the directory and uses WAL journal mode', async () => {
    const store = openStore({ file: 'a/b/wal.db' });
    await store.insert(records.slice(0, 10));
    const raw = new Database(join(directory, 'a/b/wal.db'), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('is idempotent per requestId: a repeated batch changes neither rows nor rollups', async () => {
    const store = openStore();
    const batch = records.slice(0, 800);
    await store.insert(batch);
    const before = await store.stats(range);
    await store.insert(batch);
    await store.insert([...batch.slice(0, 10), ...batch.slice(0, 10)]);
    // As the StoreWriter replays them: through JSON, undefined fields dropped.
    await store.insert(JSON.parse(JSON.stringify(batch.slice(0, 300))) as RequestRecord[]);
    expect(await store.stats(range)).toEqual(before);
    expect(await countRequests(store, {})).toBe(800);
  });

  it('gives p50/p95/p99 from merged rollups within the sketch error of the exact values (50,000 records)', async () => {
    const store = openStore();
    const many = makeSyntheticRecords({ count: 50_000, startMs: START_MS, spanMs: 6 * HOUR_MS, seed: 5 });
    // Wider spread than the generator's: log-normal around 800 ms.
    const random = seededRandom(99);
    for (const record of many) {
      record.upstreamMs = logNormal(random, Math.log(800), 1);
      record.totalMs = record.upstreamMs + record.overheadMs;
      if (record.ttftMs !== undefined) record.ttftMs = record.upstreamMs * 0.3;
    }
    for (let start = 0; start < many.length; start += 500) await store.insert(many.slice(start, start + 500));
    const { groups } = await store.stats({ fromMs: START_MS, toMs: START_MS + 6 * HOUR_MS });
    const group = groups[0];
    const total = many.map((r) => r.totalMs);
    for (const [name, q] of [
      ['p50', 0.5],
      ['p95', 0.95],
      ['p99', 0.99],
    ] as const) {
      expectWithinSketchError(group?.latency[name] ?? null, exactQuantile(total, q), `latency ${name}`);
      expectWithinSketchError(
        group?.upstream[name] ?? null,
        exactQuantile(
          many.map((r) => r.upstreamMs),
          q,
        ),
        `upstream ${name}`,
      );
      expectWithinSketchError(
        group?.overhead[name] ?? null,
        exactQuantile(
          many.map((r) => r.overheadMs),
          q,
        ),
        `overhead ${name}`,
      );
      expectWithinSketchError(
        group?.ttft[name] ?? null,
        exactQuantile(
          many.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs])),
          q,
        ),
        `ttft ${name}`,
      );
    }
  });

  it('answers ragged ranges from hourly and minute rollups exactly as the raw records say', async () => {
    const store = openStore();
    const many = makeSyntheticRecords({ count: 20_000, startMs: START_MS, spanMs: 2 * DAY_MS, seed: 11 });
    for (let start = 0; start < many.length; start += 500) await store.insert(many.slice(start, start + 500));
    const random = seededRandom(3);
    for (let trial = 0; trial < 20; trial++) {
      const fromMs = START_MS + Math.floor(random() * DAY_MS);
      const toMs = fromMs + Math.floor(random() * DAY_MS);
      const inRange = many.filter((r) => r.timeMs >= minuteOf(fromMs) && minuteOf(r.timeMs) < toMs);
      const { groups } = await store.stats({ fromMs, toMs, groupBy: ['provider'] });
      for (const group of groups) {
        const mine = inRange.filter((r) => (r.provider ?? '') === group.key.provider);
        expectTotals(group, mine);
        expectWithinSketchError(
          group.latency.p95,
          exactQuantile(
            mine.map((r) => r.totalMs),
            0.95,
          ),
          `p95 of ${group.key.provider ?? ''} in trial ${trial}`,
        );
      }
      expect(groups.reduce((sum, group) => sum + group.requests, 0)).toBe(inRange.length);
    }
    // Hour-wide steps read hourly rows; minute steps read minute rows; both count the same.
    const wide = { fromMs: START_MS, toMs: START_MS + 2 * DAY_MS, metric: 'requests' as const };
    const hourly = await store.timeseries({ ...wide, stepMs: HOUR_MS });
    const minutely = await store.timeseries({ ...wide, stepMs: MINUTE_MS });
    const sum = (points: { value: number }[] | undefined) =>
      (points ?? []).reduce((total, point) => total + point.value, 0);
    expect(sum(hourly.series[0]?.points)).toBe(20_000);
    expect(sum(minutely.series[0]?.points)).toBe(20_000);
  });

  it('builds the coarser rollups from minute rollups when opening a version-1 file', async () => {
    const file = 'v1.db';
    const first = openStore({ file });
    await first.insert(records);
    const before = await first.stats({ ...range, groupBy: ['provider'] });
    await first.close();
    const raw = new Database(join(directory, file));
    // What version 1 had: raw rows and minute rollups only.
    raw.exec('DROP TABLE rollups_5m; DROP TABLE rollups_hour; DROP TABLE rollups_day;');
    raw.exec('DROP TABLE rollup_dirty; DROP TABLE store_meta;');
    raw.pragma('user_version = 1');
    raw.close();
    const reopened = openStore({ file });
    const wholeHours = { fromMs: minuteOf(range.fromMs) - HOUR_MS, toMs: range.toMs + 2 * HOUR_MS };
    // Sums in another order: equal up to floating-point rounding.
    const rounded = (value: unknown) =>
      JSON.parse(
        JSON.stringify(value, (_key, field: unknown) =>
          typeof field === 'number' ? Number(field.toPrecision(12)) : field,
        ),
      ) as unknown;
    const after = await reopened.stats({ ...wholeHours, groupBy: ['provider'] });
    expect(rounded(after.groups)).toEqual(rounded(before.groups));
    const check = new Database(join(directory, file), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(
      (check.prepare('SELECT count(*) AS n FROM rollups_hour').get() as { n: number }).n,
    ).toBeGreaterThan(0);
    check.close();
  });

  it('adds key_id and team to a version-2 file made before they existed, keeping its rows', async () => {
    const file = 'v2-before-keys.db';
    const first = openStore({ file });
    await first.insert(records.slice(0, 100));
    await first.close();
    const raw = new Database(join(directory, file));
    raw.exec(
      'DROP INDEX requests_key_time; ALTER TABLE requests DROP COLUMN key_id; ALTER TABLE requests DROP COLUMN team;',
    );
    raw.close();
    const reopened = openStore({ file });
    const keyed = {
      ...records[100]!,
      requestId: 'with-key',
      keyId: 'key_0123456789abcdef',
      team: 'payments',
    };
    await reopened.insert([keyed]);
    const page = await reopened.requests({ ...range, filters: { keyId: 'key_0123456789abcdef' } });
    expect(page.items.map((item) => [item.requestId, item.keyId, item.team])).toEqual([
      ['with-key', 'key_0123456789abcdef', 'payments'],
    ]);
    expect(await countRequests(reopened, { team: 'payments' })).toBe(1);
    expect(await countRequests(reopened, {})).toBe(101);
  });

  it('groups by provider, by model, and by several dimensions', async () => {
    const store = openStore();
    await store.insert(records);
    const byProvider = await store.stats({ ...range, groupBy: ['provider'] });
    const providers = [...new Set(records.map((r) => r.provider ?? ''))];
    expect(byProvider.groups.map((g) => g.key.provider).sort()).toEqual(providers.sort());
    for (const provider of providers) {
      const group = byProvider.groups.find((g) => g.key.provider === provider);
      expectTotals(
        group,
        records.filter((r) => (r.provider ?? '') === provider),
      );
    }
    const counts = byProvider.groups.map((g) => g.requests);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));

    const byModel = await store.stats({ ...range, groupBy: ['model'] });
    for (const group of byModel.groups) {
      expectTotals(
        group,
        records.filter((r) => r.requestedModel === group.key.model),
      );
    }

    const byTwo = await store.stats({ ...range, groupBy: ['provider', 'environment'] });
    expect(byTwo.groups.reduce((total, g) => total + g.requests, 0)).toBe(records.length);
    const sample = byTwo.groups[0];
    expect(Object.keys(sample?.key ?? {})).toEqual(['provider', 'environment']);
    expectTotals(
      sample,
      records.filter(
        (r) => (r.provider ?? '') === sample?.key.provider && r.environment === sample.key.environment,
      ),
    );
  });

  it('filters stats by environment, application, provider, model and status class', async () => {
    const store = openStore();
    await store.insert(records);
    const cases: [RequestFilters, (record: RequestRecord) => boolean][] = [
      [{ environment: 'staging' }, (r) => r.environment === 'staging'],
      [
        { application: 'search', provider: 'openai' },
        (r) => r.application === 'search' && r.provider === 'openai',
      ],
      [{ model: 'gemini/gemini-2.0-flash' }, (r) => r.requestedModel === 'gemini/gemini-2.0-flash'],
      [{ statusClass: '5xx' }, (r) => statusClass(r.status) === '5xx'],
      [{ provider: '' }, (r) => r.provider === undefined],
    ];
    for (const [filters, keep] of cases) {
      const { groups } = await store.stats({ ...range, filters });
      expectTotals(groups[0], records.filter(keep));
    }
    const none = await store.stats({ ...range, filters: { environment: 'nowhere' } });
    expect(none.groups).toHaveLength(1);
    expect(none.groups[0]).toMatchObject({ key: {}, requests: 0, errorRate: 0, latency: { p95: null } });
  });

  it('builds time series from rollups, one point per step, split by a dimension', async () => {
    const store = openStore();
    await store.insert(records);
    const perMinute = await store.timeseries({ ...range, metric: 'requests', stepMs: MINUTE_MS });
    expect(perMinute.series).toHaveLength(1);
    const points = perMinute.series[0]?.points ?? [];
    expect(points).toHaveLength(60);
    for (const point of points) {
      expect(point.value).toBe(records.filter((r) => minuteOf(r.timeMs) === point.tMs).length);
    }

    const fiveMinutes = await store.timeseries({
      ...range,
      metric: 'errors',
      stepMs: 5 * MINUTE_MS,
      by: 'provider',
    });
    const openai = fiveMinutes.series.find((s) => s.key.provider === 'openai');
    expect(openai?.points).toHaveLength(12);
    for (const point of openai?.points ?? []) {
      const inBucket = records.filter(
        (r) =>
          r.provider === 'openai' &&
          r.outcome === 'error' &&
          r.timeMs >= point.tMs &&
          r.timeMs < point.tMs + 5 * MINUTE_MS,
      );
      expect(point.value).toBe(inBucket.length);
    }

    const p95 = await store.timeseries({ ...range, metric: 'latency_p95', stepMs: 10 * MINUTE_MS });
    for (const point of p95.series[0]?.points ?? []) {
      const inBucket = records.filter((r) => r.timeMs >= point.tMs && r.timeMs < point.tMs + 10 * MINUTE_MS);
      expectWithinSketchError(
        point.value,
        exactQuantile(
          inBucket.map((r) => r.totalMs),
          0.95,
        ),
        `t=${point.tMs}`,
      );
    }
  });

  it('fills empty buckets with 0 for counts and leaves them out for rates and quantiles', async () => {
    const store = openStore();
    await store.insert(records.filter((r) => r.timeMs < START_MS + 10 * MINUTE_MS));
    const wider = { fromMs: START_MS, toMs: START_MS + 30 * MINUTE_MS, stepMs: 5 * MINUTE_MS };
    const cost = await store.timeseries({ ...wider, metric: 'cost' });
    expect(cost.series[0]?.points.map((p) => p.value > 0)).toEqual([true, true, false, false, false, false]);
    const errorRate = await store.timeseries({ ...wider, metric: 'error_rate' });
    expect(errorRate.series[0]?.points.map((p) => p.tMs)).toEqual([START_MS, START_MS + 5 * MINUTE_MS]);
    const ttft = await store.timeseries({ ...wider, metric: 'ttft_p95', filters: { statusClass: '5xx' } });
    expect(ttft.series[0]?.points).toEqual([]);
  });

  it('pages through requests newest first, each record exactly once, ties on timeMs included', async () => {
    const store = openStore();
    // 3,000 records over 500 ms: many share a timeMs.
    const crowded = makeSyntheticRecords({ count: 3_000, startMs: START_MS, spanMs: 500, seed: 8 });
    await store.insert(crowded);
    const seen: RequestRecord[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.requests({ fromMs: START_MS, toMs: START_MS + 1_000, limit: 97, cursor });
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(Math.ceil(3_000 / 97));
    expect(new Set(seen.map((r) => r.requestId)).size).toBe(3_000);
    for (let index = 1; index < seen.length; index++) {
      const previous = seen[index - 1] as RequestRecord;
      const current = seen[index] as RequestRecord;
      expect(
        previous.timeMs > current.timeMs ||
          (previous.timeMs === current.timeMs && previous.requestId > current.requestId),
      ).toBe(true);
    }
    const byId = new Map(crowded.map((r) => [r.requestId, r]));
    for (const record of seen) expect(record).toEqual(byId.get(record.requestId));
  });

  it('filters requests on every raw field it offers', async () => {
    const store = openStore();
    await store.insert(records);
    const cases: [RequestFilters, (record: RequestRecord) => boolean][] = [
      [{ status: 429 }, (r) => r.status === 429],
      [{ status: 200, application: 'chat' }, (r) => r.status === 200 && r.application === 'chat'],
      [
        { outcome: 'error', provider: 'anthropic' },
        (r) => r.outcome === 'error' && r.provider === 'anthropic',
      ],
      [{ errorCode: 'KEEL_UPSTREAM_SERVER_ERROR' }, (r) => r.errorCode === 'KEEL_UPSTREAM_SERVER_ERROR'],
      [{ experimentId: 'exp-1', variantId: 'b' }, (r) => r.experimentId === 'exp-1' && r.variantId === 'b'],
      [
        { featureVersion: 'v2', promptVersion: 'p1' },
        (r) => r.featureVersion === 'v2' && r.promptVersion === 'p1',
      ],
      [
        { statusClass: '4xx', environment: 'production' },
        (r) => r.status >= 400 && r.status < 500 && r.environment === 'production',
      ],
      [{ provider: '' }, (r) => r.provider === undefined],
      [
        { model: 'openai/gpt-4o-mini', application: 'chat' },
        (r) => r.requestedModel === 'openai/gpt-4o-mini' && r.application === 'chat',
      ],
    ];
    for (const [filters, keep] of cases) {
      const expected = records.filter(keep).length;
      expect(expected, JSON.stringify(filters)).toBeGreaterThan(0);
      expect(await countRequests(store, filters), JSON.stringify(filters)).toBe(expected);
    }
    const window = await store.requests({
      fromMs: START_MS + 10 * MINUTE_MS,
      toMs: START_MS + 11 * MINUTE_MS,
      limit: 1000,
    });
    expect(window.items).toHaveLength(
      records.filter((r) => r.timeMs >= START_MS + 10 * MINUTE_MS && r.timeMs < START_MS + 11 * MINUTE_MS)
        .length,
    );
  });

  it('rejects bad queries with KEEL_INVALID_REQUEST naming the field', async () => {
    const store = openStore();
    const rejects = async (promise: () => Promise<unknown>, param: string) => {
      const error: unknown = await promise().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KeelError);
      expect((error as KeelError).code).toBe('KEEL_INVALID_REQUEST');
      expect((error as KeelError).param).toBe(param);
    };
    await rejects(() => store.requests({ ...range, cursor: 'not-a-cursor' }), 'cursor');
    await rejects(() => store.requests({ ...range, limit: 1_001 }), 'limit');
    await rejects(() => store.timeseries({ ...range, metric: 'requests', stepMs: 90_000 }), 'stepMs');
    await rejects(
      () => store.timeseries({ fromMs: 0, toMs: 365 * DAY_MS, metric: 'requests', stepMs: MINUTE_MS }),
      'stepMs',
    );
    await rejects(() => store.stats({ fromMs: 10, toMs: 5 }), 'toMs');
    await rejects(() => store.stats({ ...range, latencyBelowMs: -1 }), 'latencyBelowMs');
    await rejects(() => store.stats({ ...range, latencyBelowMs: Number.NaN }), 'latencyBelowMs');
  });

  it('prunes raw rows and rollups by their own retention', async () => {
    const store = openStore({
      rawRetentionMs: 2 * HOUR_MS,
      rollupRetentionMs: DAY_MS,
      hourlyRollupRetentionMs: DAY_MS,
    });
    const nowMs = START_MS + 3 * DAY_MS;
    const at = (offsetMs: number, prefix: string) =>
      makeSyntheticRecords({
        count: 1_200,
        startMs: nowMs - offsetMs,
        spanMs: 10 * MINUTE_MS,
        idPrefix: prefix,
      });
    const fresh = at(HOUR_MS, 'fresh');
    const oldRaw = at(5 * HOUR_MS, 'old-raw');
    const ancient = at(2 * DAY_MS, 'ancient');
    await store.insert([...fresh, ...oldRaw, ...ancient]);
    const everything = { fromMs: nowMs - 3 * DAY_MS, toMs: nowMs };
    const rollupsBefore = (await store.timeseries({ ...everything, metric: 'requests', stepMs: HOUR_MS }))
      .series[0];

    const result = await store.prune(nowMs);
    expect(result.rawDeleted).toBe(oldRaw.length + ancient.length);
    expect(result.rollupsDeleted).toBeGreaterThan(0);
    expect(await countRequests(store, {}, everything)).toBe(fresh.length);
    // Rollups outlive raw rows: the 5-hour-old minutes are still counted.
    const { groups } = await store.stats(everything);
    expect(groups[0]?.requests).toBe(fresh.length + oldRaw.length);
    const rollupsAfter = (await store.timeseries({ ...everything, metric: 'requests', stepMs: HOUR_MS }))
      .series[0];
    const total = (points: { value: number }[] | undefined) =>
      (points ?? []).reduce((sum, p) => sum + p.value, 0);
    expect(total(rollupsBefore?.points)).toBe(3_600);
    expect(total(rollupsAfter?.points)).toBe(2_400);

    expect(await store.prune(nowMs)).toEqual({ rawDeleted: 0, rollupsDeleted: 0 });
  });

  it('keeps hourly rollups longer than minute rollups: old whole hours are still answered', async () => {
    const store = openStore({ rollupRetentionMs: DAY_MS, hourlyRollupRetentionMs: 30 * DAY_MS });
    const nowMs = START_MS + 10 * DAY_MS;
    const old = makeSyntheticRecords({ count: 600, startMs: START_MS + 5 * DAY_MS, spanMs: HOUR_MS });
    await store.insert(old);
    const result = await store.prune(nowMs);
    expect(result.rollupsDeleted).toBeGreaterThan(0); // the minutes went
    const hourAligned = { fromMs: START_MS, toMs: nowMs };
    expect((await store.stats(hourAligned)).groups[0]?.requests).toBe(600);
    const byDay = await store.timeseries({ ...hourAligned, metric: 'requests', stepMs: DAY_MS });
    expect(byDay.series[0]?.points.find((point) => point.value > 0)).toEqual({
      tMs: START_MS + 5 * DAY_MS,
      value: 600,
    });
    // A range that cuts into that hour needs its minutes, which are gone.
    const ragged = { fromMs: START_MS + 5 * DAY_MS + 30 * MINUTE_MS, toMs: nowMs };
    expect((await store.stats(ragged)).groups[0]?.requests).toBe(0);
  });

  it('rebuilds coarse rows that late records changed, and counts records older than the minute rows', async () => {
    const store = openStore({ rollupRetentionMs: DAY_MS, hourlyRollupRetentionMs: 30 * DAY_MS });
    const day5 = START_MS + 5 * DAY_MS;
    const wholeDays = { fromMs: START_MS, toMs: START_MS + 20 * DAY_MS };
    await store.insert(makeSyntheticRecords({ count: 300, startMs: day5, spanMs: HOUR_MS, idPrefix: 'a' }));
    expect((await store.stats(wholeDays)).groups[0]?.requests).toBe(300); // builds day 5's rows
    // A late batch for the same hour (a spool replay) dirties them again.
    await store.insert(makeSyntheticRecords({ count: 200, startMs: day5, spanMs: HOUR_MS, idPrefix: 'b' }));
    expect((await store.stats(wholeDays)).groups[0]?.requests).toBe(500);
    // Minute rows of day 5 go; its hour and day rows stay.
    await store.prune(START_MS + 10 * DAY_MS);
    expect((await store.stats(wholeDays)).groups[0]?.requests).toBe(500);
    // Records that old now go straight into their hour (and day); their minutes would be gone already.
    await store.insert(makeSyntheticRecords({ count: 50, startMs: day5, spanMs: HOUR_MS, idPrefix: 'c' }));
    expect((await store.stats(wholeDays)).groups[0]?.requests).toBe(550);
    const hourly = await store.timeseries({ ...wholeDays, metric: 'requests', stepMs: HOUR_MS });
    expect(hourly.series[0]?.points.find((point) => point.tMs === day5)?.value).toBe(550);
    // Older than the hourly retention: kept as raw rows only.
    await store.insert(makeSyntheticRecords({ count: 10, startMs: START_MS - 40 * DAY_MS, idPrefix: 'd' }));
    const everything = { fromMs: START_MS - 50 * DAY_MS, toMs: START_MS + 20 * DAY_MS };
    expect((await store.stats(everything)).groups[0]?.requests).toBe(550);
    expect(await countRequests(store, {}, everything)).toBe(560); // every raw row is kept
  });

  it('reports an experiment per variant from its raw records', async () => {
    const store = openStore();
    await store.insert(records);
    const report = await store.experimentReport({ experimentId: 'exp-1', ...range });
    expect(report.variants.map((group) => group.key)).toEqual([{ variant: 'a' }, { variant: 'b' }]);
    for (const group of report.variants) {
      const mine = records.filter((r) => r.experimentId === 'exp-1' && r.variantId === group.key.variant);
      expectTotals(group, mine);
      expectWithinSketchError(
        group.latency.p95,
        exactQuantile(
          mine.map((r) => r.totalMs),
          0.95,
        ),
        `p95 of variant ${group.key.variant ?? ''}`,
      );
    }
    expect((await store.experimentReport({ experimentId: 'none', ...range })).variants).toEqual([]);
  });

  it('prunes more raw rows than one chunk', async () => {
    const store = openStore({ rawRetentionMs: HOUR_MS });
    const old = makeSyntheticRecords({ count: 12_345, startMs: START_MS, spanMs: HOUR_MS });
    await store.insert(old);
    const result = await store.prune(START_MS + 3 * HOUR_MS);
    expect(result.rawDeleted).toBe(12_345);
  });

  it('refuses a file written by a newer schema', () => {
    const file = join(directory, 'future.db');
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openStore({ file: 'future.db' })).toThrow(/schema version 99/);
  });
});

async function countRequests(
  store: TelemetryStore,
  filters: RequestFilters,
  range = { fromMs: START_MS - 10 * DAY_MS, toMs: START_MS + 10 * DAY_MS },
): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await store.requests({ ...range, filters, limit: 1_000, cursor });
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return count;
}
