import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { makeSyntheticRecords } from '../store/synthetic-records.js';
import { createHealthScoreCompute, registerHealthScoreMetrics } from './health-score-metrics.js';
import { computeHealthScore, type HealthInputs } from './health-score.js';
import type { HealthScoreReport } from './read-health-score.js';

const inputs: HealthInputs = {
  requests: 10,
  latencyP95Ms: 4_000,
  overheadP95Ms: 1,
  serverErrorRate: 0,
  refusalRate: 0,
};

function report(): HealthScoreReport {
  const scored = computeHealthScore({ inputs });
  return {
    fromMs: 0,
    toMs: 1,
    overall: { ...scored, inputs },
    environments: [{ environment: 'production', ...scored, inputs }],
    notes: [],
  };
}

describe('registerHealthScoreMetrics', () => {
  let store: SqliteStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('exposes the score and sub-scores per environment, computing once per cache period', async () => {
    const registry = new Registry();
    let computes = 0;
    let clockMs = 0;
    registerHealthScoreMetrics(
      registry,
      () => {
        computes += 1;
        return Promise.resolve(report());
      },
      { cacheMs: 5_000, now: () => clockMs },
    );
    const text = await registry.metrics();
    expect(text).toContain('keel_health_score{environment="_all"} 84.6');
    expect(text).toContain('keel_health_score{environment="production"} 84.6');
    expect(text).toContain('keel_health_subscore{environment="production",component="performance"} 60');
    expect(text).not.toContain('component="quality"');
    expect(computes).toBe(1);
    await registry.metrics();
    expect(computes).toBe(1);
    clockMs = 5_000;
    await registry.metrics();
    expect(computes).toBe(2);
  });

  it('never fails the scrape when the compute throws, and keeps the last good values', async () => {
    const registry = new Registry();
    let fail = true;
    let clockMs = 0;
    const errors: unknown[] = [];
    registerHealthScoreMetrics(
      registry,
      () => (fail ? Promise.reject(new Error('store closed')) : Promise.resolve(report())),
      { cacheMs: 1_000, now: () => clockMs, onError: (error) => errors.push(error) },
    );
    const empty = await registry.metrics();
    expect(empty).toContain('# TYPE keel_health_score gauge');
    expect(empty).not.toContain('keel_health_score{');
    expect(errors.length).toBeGreaterThan(0);
    fail = false;
    clockMs = 2_000;
    expect(await registry.metrics()).toContain('keel_health_score{environment="_all"} 84.6');
    fail = true;
    clockMs = 4_000;
    expect(await registry.metrics()).toContain('keel_health_score{environment="_all"} 84.6');
  });

  it('computes from a real store over the last hour', async () => {
    store = new SqliteStore({ path: ':memory:' });
    const nowMs = Date.parse('2026-11-23T12:00:00Z');
    await store.insert(
      makeSyntheticRecords({ count: 200, startMs: nowMs - 30 * 60_000, spanMs: 20 * 60_000 }),
    );
    const registry = new Registry();
    registerHealthScoreMetrics(registry, createHealthScoreCompute({ store, now: () => nowMs }));
    const text = await registry.metrics();
    expect(text).toMatch(/keel_health_score\{environment="production"\} \d+(\.\d)?/);
    expect(text).toMatch(/keel_health_subscore\{environment="staging",component="security"\} 100/);
  });
});
