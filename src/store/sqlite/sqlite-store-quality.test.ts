// Store contract tests for version 3: quality scores, failover counts, SLO counts below a latency, and the v2 -> v3 migration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failoverPathFailedOver } from '../../telemetry/metrics/metric-labels.js';
import { statusClass, type RequestRecord } from '../../telemetry/request-record.js';
import { SKETCH_RELATIVE_ACCURACY } from '../latency-sketch.js';
import type { TelemetryStore } from '../store.js';
import { makeSyntheticRecords } from '../synthetic-records.js';
import { ROLLUP_TABLE_NAMES, SCHEMA_VERSION } from './sqlite-schema.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { WorkerSqliteStore } from './sqlite-worker-store.js';

const START_MS = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

let directory: string;
let stores: TelemetryStore[];
let StoreClass: new (options: SqliteStoreOptions) => TelemetryStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'keel-store-quality-'));
  stores = [];
});

afterEach(async () => {
  for (const store of stores) await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function openStore(file = 'keel.db'): TelemetryStore {
  const store = new StoreClass({ path: join(directory, file) });
  stores.push(store);
  return store;
}

async function insertAll(store: TelemetryStore, records: readonly RequestRecord[]): Promise<void> {
  for (let start = 0; start < records.length; start += 500)
    await store.insert(records.slice(start, start + 500));
}

const average = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The exact counts the estimate of "totalMs below thresholdMs" must lie between (see StatsGroup.latencyBelow). */
function latencyBelowBounds(records: readonly RequestRecord[], thresholdMs: number): [number, number] {
  const a = SKETCH_RELATIVE_ACCURACY;
  const rounding = 1 + 1e-9;
  return [
    records.filter((r) => r.totalMs <= thresholdMs / (1 + a) / rounding).length,
    records.filter((r) => r.totalMs < (thresholdMs / (1 - a)) * rounding).length,
  ];
}

describe.each([
  { name: 'SqliteStore', Implementation: SqliteStore },
  { name: 'WorkerSqliteStore (on a worker thread)', Implementation: WorkerSqliteStore },
])('$name', ({ Implementation }) => {
  beforeAll(() => {
    StoreClass = Implementation;
  });
  // Two days: whole days and hours are read from the coarse tiers, rebuilt from the minute rows.
  const records = makeSyntheticRecords({ count: 8_000, startMs: START_MS, spanMs: 2 * DAY_MS, seed: 8 });
  const everything = { fromMs: START_MS, toMs: START_MS + 2 * DAY_MS };

  it('averages quality scores and counts failovers per group, from every tier', async () => {
    const store = openStore();
    await insertAll(store, records);
    const { groups } = await store.stats({ ...everything, groupBy: ['provider'] });
    for (const group of groups) {
      const mine = records.filter((r) => (r.provider ?? '') === group.key.provider);
      const scores = mine.flatMap((r) => (r.quality === undefined ? [] : [r.quality.score]));
      const failovers = mine.filter((r) => failoverPathFailedOver(r.failoverPath)).length;
      expect(group.quality.scored, group.key.provider).toBe(scores.length);
      if (scores.length === 0) expect(group.quality.avg).toBeNull();
      else expect(group.quality.avg).toBeCloseTo(average(scores), 9);
      expect(group.failovers, group.key.provider).toBe(failovers);
      expect(group.failoverRate).toBeCloseTo(failovers / mine.length, 12);
    }
    // Requests that reached no provider (refused) failed over nowhere and were not scored.
    const refused = groups.find((group) => group.key.provider === '');
    expect(refused?.failovers).toBe(0);
    expect(refused?.quality).toEqual({ avg: null, scored: 0 });
    expect(groups.reduce((total, group) => total + group.failovers, 0)).toBeGreaterThan(100);
  });

  it('counts requests below a latency within the sketch error, per status class', async () => {
    const store = openStore();
    await insertAll(store, records);
    for (const latencyBelowMs of [100, 400, 1_000, 5_000]) {
      const all = await store.stats({ ...everything, latencyBelowMs });
      const [low, high] = latencyBelowBounds(records, latencyBelowMs);
      expect(all.groups[0]?.latencyBelow, `${latencyBelowMs} ms`).toBeGreaterThanOrEqual(low);
      expect(all.groups[0]?.latencyBelow, `${latencyBelowMs} ms`).toBeLessThanOrEqual(high);
      // "status ok and latency below": the good events of a latency SLO.
      const okOnly = await store.stats({ ...everything, latencyBelowMs, filters: { statusClass: '2xx' } });
      const [okLow, okHigh] = latencyBelowBounds(
        records.filter((r) => statusClass(r.status) === '2xx'),
        latencyBelowMs,
      );
      expect(okOnly.groups[0]?.latencyBelow).toBeGreaterThanOrEqual(okLow);
      expect(okOnly.groups[0]?.latencyBelow).toBeLessThanOrEqual(okHigh);
    }
    const grouped = await store.stats({ ...everything, latencyBelowMs: 1e9, groupBy: ['environment'] });
    for (const group of grouped.groups) expect(group.latencyBelow).toBe(group.requests);
    const without = await store.stats(everything);
    expect(without.groups[0]).not.toHaveProperty('latencyBelow');
    const empty = await store.stats({ fromMs: 0, toMs: 60_000, latencyBelowMs: 500 });
    expect(empty.groups[0]?.latencyBelow).toBe(0);
  });

  it('gives failovers, failover_rate and quality_score over time, per hour bucket, as the records say', async () => {
    const store = openStore();
    await insertAll(store, records);
    // Two hours more than the records span: counts read 0 there, averages have no point.
    const range = { fromMs: START_MS, toMs: START_MS + 2 * DAY_MS + 2 * HOUR_MS, stepMs: HOUR_MS };
    const failovers = await store.timeseries({ ...range, metric: 'failovers' });
    const rate = await store.timeseries({ ...range, metric: 'failover_rate' });
    const quality = await store.timeseries({ ...range, metric: 'quality_score' });
    expect(failovers.series[0]?.points).toHaveLength(50);
    expect(rate.series[0]?.points).toHaveLength(48);
    expect(quality.series[0]?.points).toHaveLength(48);
    for (const point of failovers.series[0]?.points ?? []) {
      const inBucket = records.filter((r) => r.timeMs >= point.tMs && r.timeMs < point.tMs + HOUR_MS);
      expect(point.value).toBe(inBucket.filter((r) => failoverPathFailedOver(r.failoverPath)).length);
    }
    for (const point of quality.series[0]?.points ?? []) {
      const inBucket = records.filter((r) => r.timeMs >= point.tMs && r.timeMs < point.tMs + HOUR_MS);
      const scores = inBucket.flatMap((r) => (r.quality === undefined ? [] : [r.quality.score]));
      expect(point.value).toBeCloseTo(average(scores), 9);
    }
  });

  it("stores each record's quality and reads it back, flags in order", async () => {
    const store = openStore();
    const base = records[0] as RequestRecord;
    const stored: RequestRecord[] = [
      { ...base, requestId: 'clean', quality: { score: 1, flags: [] } },
      { ...base, requestId: 'flagged', quality: { score: 0, flags: ['truncated', 'invalid_json'] } },
      { ...base, requestId: 'unscored', quality: undefined, outcome: 'error', status: 502 },
    ];
    await store.insert(stored);
    const page = await store.requests({ fromMs: base.timeMs, toMs: base.timeMs + 1 });
    const byId = new Map(page.items.map((item) => [item.requestId, item.quality]));
    expect(byId.get('clean')).toEqual({ score: 1, flags: [] });
    expect(byId.get('flagged')).toEqual({ score: 0, flags: ['truncated', 'invalid_json'] });
    expect(byId.get('unscored')).toBeUndefined();
  });

  it('reports quality and failovers per experiment variant', async () => {
    const store = openStore();
    await insertAll(store, records);
    const report = await store.experimentReport({ experimentId: 'exp-1', ...everything });
    for (const variant of report.variants) {
      const mine = records.filter((r) => r.experimentId === 'exp-1' && r.variantId === variant.key.variant);
      const scores = mine.flatMap((r) => (r.quality === undefined ? [] : [r.quality.score]));
      expect(variant.quality.scored).toBe(scores.length);
      expect(variant.quality.avg).toBeCloseTo(average(scores), 9);
      expect(variant.failovers).toBe(mine.filter((r) => failoverPathFailedOver(r.failoverPath)).length);
    }
  });

  it('migrates a version-2 file: old rows count no score and no failover, new ones count in every tier', async () => {
    const file = 'v2.db';
    const first = openStore(file);
    const old = records.slice(0, 4_000);
    await insertAll(first, old);
    // Builds the coarse rows, so the migration meets day and hour rows as well as minutes.
    await first.stats(everything);
    await first.close();
    // What version 2 had: neither the quality columns nor the new rollup counts.
    const raw = new Database(join(directory, file));
    raw.exec(
      'ALTER TABLE requests DROP COLUMN quality_score; ALTER TABLE requests DROP COLUMN quality_flags;',
    );
    for (const table of ROLLUP_TABLE_NAMES) {
      raw.exec(
        `ALTER TABLE ${table} DROP COLUMN quality_sum; ALTER TABLE ${table} DROP COLUMN quality_count; ` +
          `ALTER TABLE ${table} DROP COLUMN failovers;`,
      );
    }
    raw.pragma('user_version = 2');
    raw.close();

    const reopened = openStore(file);
    const before = await reopened.stats(everything);
    expect(before.groups[0]?.requests).toBe(old.length);
    expect(before.groups[0]?.quality).toEqual({ avg: null, scored: 0 });
    expect(before.groups[0]?.failovers).toBe(0);
    const page = await reopened.requests({ ...everything, limit: 5 });
    for (const item of page.items) expect(item.quality).toBeUndefined();

    const fresh = records.slice(4_000);
    await insertAll(reopened, fresh);
    const after = await reopened.stats(everything);
    const scores = fresh.flatMap((r) => (r.quality === undefined ? [] : [r.quality.score]));
    expect(after.groups[0]?.requests).toBe(records.length);
    expect(after.groups[0]?.quality.scored).toBe(scores.length);
    expect(after.groups[0]?.quality.avg).toBeCloseTo(average(scores), 9);
    expect(after.groups[0]?.failovers).toBe(
      fresh.filter((r) => failoverPathFailedOver(r.failoverPath)).length,
    );
    await reopened.close();

    const check = new Database(join(directory, file), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });
});
