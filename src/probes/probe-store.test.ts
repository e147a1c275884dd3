// SqliteProbeStore on a real in-memory ops database: listing, windows for monitors, models seen, latest, prune.
import { beforeEach, describe, expect, it } from 'vitest';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import { probeMeasurement, type NewProbeMeasurement } from '../../test/support/probe-measurements.js';
import { SqliteProbeStore } from './probe-store.js';

type NewMeasurement = NewProbeMeasurement;

const T0 = Date.parse('2026-01-01T00:00:00Z');

const measurement = (overrides: Partial<NewMeasurement> = {}): NewMeasurement =>
  probeMeasurement({ atMs: T0, ...overrides });

const failure = (overrides: Partial<NewMeasurement> = {}): NewMeasurement =>
  measurement({
    success: false,
    status: 503,
    latencyMs: 90,
    ttftMs: null,
    errorCode: 'overloaded',
    error: 'try later',
    ...overrides,
  });

let db: OpsDatabase;
let store: SqliteProbeStore;

beforeEach(() => {
  db = openOpsDatabase(':memory:');
  store = new SqliteProbeStore(db);
});

describe('SqliteProbeStore.add and list', () => {
  it('stores every field and gives ids in insertion order', () => {
    const stored = store.add([measurement(), failure({ atMs: T0 + 1 })]);
    expect(stored.map((row) => row.id)).toEqual([1, 2]);
    expect(store.list({ skip: 0, limit: 10 }).items).toEqual([
      { ...failure({ atMs: T0 + 1 }), id: 2 },
      { ...measurement(), id: 1 },
    ]);
  });

  it('keeps nulls as nulls (a call that got no response)', () => {
    const none = measurement({
      success: false,
      status: null,
      latencyMs: null,
      ttftMs: null,
      promptTokens: null,
      completionTokens: null,
      totalTokens: null,
      costUsd: null,
      provider: null,
      servedModel: null,
      errorCode: 'KEEL_PROBE_UNREACHABLE',
      error: 'connect ECONNREFUSED',
    });
    store.add([none]);
    expect(store.list({ skip: 0, limit: 1 }).items).toEqual([{ ...none, id: 1 }]);
  });

  it('stores a second instance over the same database without recreating its tables', () => {
    store.add([measurement()]);
    const again = new SqliteProbeStore(db);
    expect(again.list({ skip: 0, limit: 10 }).total).toBe(1);
  });

  describe('filters, pages and counts newest first', () => {
    beforeEach(() => {
      store.add([
        measurement({ atMs: T0, environment: 'prod', model: 'a' }),
        measurement({ atMs: T0 + 1000, environment: 'prod', model: 'b' }),
        measurement({ atMs: T0 + 2000, environment: 'dev', model: 'a' }),
        measurement({ atMs: T0 + 3000, environment: 'prod', model: 'a' }),
        // Same instant as the one before: the later insert comes first.
        measurement({ atMs: T0 + 3000, environment: 'dev', model: 'b' }),
      ]);
    });

    it.each<[string, Parameters<SqliteProbeStore['list']>[0], number, number[]]>([
      ['everything', { skip: 0, limit: 100 }, 5, [5, 4, 3, 2, 1]],
      ['the first page', { skip: 0, limit: 2 }, 5, [5, 4]],
      ['the second page', { skip: 2, limit: 2 }, 5, [3, 2]],
      ['past the end', { skip: 10, limit: 2 }, 5, []],
      ['one environment', { environment: 'prod', skip: 0, limit: 100 }, 3, [4, 2, 1]],
      ['one model', { model: 'a', skip: 0, limit: 100 }, 3, [4, 3, 1]],
      ['an environment and a model', { environment: 'dev', model: 'b', skip: 0, limit: 100 }, 1, [5]],
      ['from (inclusive)', { fromMs: T0 + 2000, skip: 0, limit: 100 }, 3, [5, 4, 3]],
      ['to (exclusive)', { toMs: T0 + 2000, skip: 0, limit: 100 }, 2, [2, 1]],
      ['a window and a page', { fromMs: T0 + 1000, toMs: T0 + 3001, skip: 1, limit: 2 }, 4, [4, 3]],
      ['an unknown environment', { environment: 'qa', skip: 0, limit: 100 }, 0, []],
    ])('%s', (_name, query, total, ids) => {
      const page = store.list(query);
      expect(page.total).toBe(total);
      expect(page.items.map((item) => item.id)).toEqual(ids);
    });
  });
});

describe('SqliteProbeStore.window', () => {
  beforeEach(() => {
    store.add([
      measurement({ atMs: T0 - 1, latencyMs: 9_999 }), // before the window
      measurement({ atMs: T0, environment: 'prod', model: 'a', latencyMs: 100, ttftMs: 10 }),
      measurement({ atMs: T0 + 1, environment: 'prod', model: 'a', latencyMs: 300, ttftMs: null }),
      failure({ atMs: T0 + 2, environment: 'prod', model: 'a', latencyMs: 5_000 }),
      failure({ atMs: T0 + 3, environment: 'prod', model: 'b', latencyMs: null }),
      measurement({ atMs: T0 + 4, environment: 'dev', model: 'a', latencyMs: 200, ttftMs: 20 }),
      measurement({ atMs: T0 + 10, latencyMs: 8_888 }), // at toMs: outside
    ]);
  });

  const window = { fromMs: T0, toMs: T0 + 10 };

  it('without groupBy: one group of everything in [fromMs, toMs)', () => {
    expect(store.window({ ...window, groupBy: [] })).toEqual([
      { key: {}, count: 5, failures: 2, latencies: [100, 300, 200], ttfts: [10, 20] },
    ]);
  });

  it('by environment and model: failures counted, latencies and ttfts of successes only', () => {
    expect(store.window({ ...window, groupBy: ['environment', 'model'] })).toEqual([
      { key: { environment: 'prod', model: 'a' }, count: 3, failures: 1, latencies: [100, 300], ttfts: [10] },
      { key: { environment: 'prod', model: 'b' }, count: 1, failures: 1, latencies: [], ttfts: [] },
      { key: { environment: 'dev', model: 'a' }, count: 1, failures: 0, latencies: [200], ttfts: [20] },
    ]);
  });

  it('reads only the values asked for: none for counts, latencies or TTFTs alone', () => {
    expect(store.window({ ...window, groupBy: [], values: 'none' })).toEqual([
      { key: {}, count: 5, failures: 2, latencies: [], ttfts: [] },
    ]);
    expect(store.window({ ...window, groupBy: [], values: 'latency' })[0]).toMatchObject({
      latencies: [100, 300, 200],
      ttfts: [],
    });
    expect(store.window({ ...window, groupBy: [], values: 'ttft' })[0]).toMatchObject({
      latencies: [],
      ttfts: [10, 20],
    });
  });

  it('by model, filtered to one environment', () => {
    expect(store.window({ ...window, groupBy: ['model'], filters: { environment: 'prod' } })).toEqual([
      { key: { model: 'a' }, count: 3, failures: 1, latencies: [100, 300], ttfts: [10] },
      { key: { model: 'b' }, count: 1, failures: 1, latencies: [], ttfts: [] },
    ]);
  });

  it('filtered by model, grouped by environment', () => {
    expect(
      store
        .window({ ...window, groupBy: ['environment'], filters: { model: 'a' } })
        .map((group) => [group.key, group.count]),
    ).toEqual([
      [{ environment: 'prod' }, 3],
      [{ environment: 'dev' }, 1],
    ]);
  });

  it('an empty window has no groups, even without groupBy', () => {
    expect(store.window({ fromMs: T0 + 100, toMs: T0 + 200, groupBy: [] })).toEqual([]);
  });
});

describe('SqliteProbeStore models, latest and prune', () => {
  it('noteModels keeps firstSeen and updates lastSeen and sources', () => {
    store.noteModels(
      'prod',
      new Map([
        ['a', ['config']],
        ['b', ['usage']],
      ]),
      T0,
    );
    store.noteModels('dev', new Map([['a', []]]), T0 + 5);
    store.noteModels('prod', new Map([['a', ['config', 'usage']]]), T0 + 60_000);
    expect(store.models()).toEqual([
      { environment: 'dev', model: 'a', sources: [], firstSeenMs: T0 + 5, lastSeenMs: T0 + 5 },
      {
        environment: 'prod',
        model: 'a',
        sources: ['config', 'usage'],
        firstSeenMs: T0,
        lastSeenMs: T0 + 60_000,
      },
      { environment: 'prod', model: 'b', sources: ['usage'], firstSeenMs: T0, lastSeenMs: T0 },
    ]);
  });

  it('latest is the newest measurement of each environment and model', () => {
    store.add([
      measurement({ atMs: T0, model: 'a', latencyMs: 1 }),
      failure({ atMs: T0 + 1, model: 'a' }),
      measurement({ atMs: T0 + 2, model: 'b', latencyMs: 2 }),
      measurement({ atMs: T0 + 3, environment: 'dev', model: 'a', latencyMs: 3 }),
      measurement({ atMs: T0 + 4, model: 'b', latencyMs: 4 }),
    ]);
    const latest = store.latest().sort((x, y) => x.id - y.id);
    expect(latest.map((row) => [row.environment, row.model, row.id, row.success])).toEqual([
      ['prod', 'a', 2, false],
      ['dev', 'a', 4, true],
      ['prod', 'b', 5, true],
    ]);
  });

  it('latest of an empty store is empty', () => {
    expect(store.latest()).toEqual([]);
  });

  it('prune deletes measurements and models older than the cut, keeping the rest', () => {
    store.add([measurement({ atMs: T0 - 2 }), measurement({ atMs: T0 - 1 }), measurement({ atMs: T0 })]);
    store.noteModels('prod', new Map([['old', ['usage']]]), T0 - 1);
    store.noteModels('prod', new Map([['kept', ['config']]]), T0);
    expect(store.prune(T0)).toBe(2);
    expect(store.list({ skip: 0, limit: 10 }).items.map((row) => row.atMs)).toEqual([T0]);
    expect(store.models().map((row) => row.model)).toEqual(['kept']);
    expect(store.prune(T0)).toBe(0);
  });

  it('prune deletes at most 5000 measurements at a time, oldest first', () => {
    store.add(Array.from({ length: 5_002 }, (_, index) => measurement({ atMs: T0 + index })));
    expect(store.prune(T0 + 10_000)).toBe(5_000);
    expect(store.list({ skip: 0, limit: 10 }).items.map((row) => row.atMs)).toEqual([T0 + 5_001, T0 + 5_000]);
    expect(store.prune(T0 + 10_000)).toBe(2);
    expect(store.list({ skip: 0, limit: 10 }).total).toBe(0);
  });
});
