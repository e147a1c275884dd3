import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSyntheticRecords } from '../synthetic-records.js';
import { WorkerSqliteStore } from './sqlite-worker-store.js';

const START_MS = Date.parse('2026-01-01T00:00:00Z');
const range = { fromMs: START_MS, toMs: START_MS + 3_600_000 };

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'keel-worker-store-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('WorkerSqliteStore', () => {
  it('answers calls in the order they were made: a query sees every insert made before it', async () => {
    const store = new WorkerSqliteStore({ path: join(directory, 'keel.db') });
    const records = makeSyntheticRecords({ count: 3_000, startMs: START_MS, spanMs: 3_600_000 });
    const inserts = [];
    for (let start = 0; start < records.length; start += 500) {
      inserts.push(store.insert(records.slice(start, start + 500)));
    }
    // Not awaited in between: the stats call is queued behind the six inserts.
    const stats = store.stats(range);
    await Promise.all(inserts);
    expect((await stats).groups[0]?.requests).toBe(3_000);
    await store.close();
  });

  it('rejects the calls of a worker that dies, and starts a new one for the next call', async () => {
    const store = new WorkerSqliteStore({ path: join(directory, 'keel.db') });
    await store.insert(makeSyntheticRecords({ count: 100, startMs: START_MS, idPrefix: 'before' }));
    const pending = store.stats(range);
    await store.killWorkerForTest();
    await expect(pending).rejects.toThrow(/worker/);
    await store.insert(makeSyntheticRecords({ count: 50, startMs: START_MS, idPrefix: 'after' }));
    expect((await store.stats(range)).groups[0]?.requests).toBe(150);
    expect(store.workersStarted).toBe(2);
    await store.close();
  });

  it('flushes on close: every insert made before close() is in the file afterwards', async () => {
    const path = join(directory, 'keel.db');
    const store = new WorkerSqliteStore({ path });
    void store.insert(makeSyntheticRecords({ count: 2_000, startMs: START_MS }));
    await store.close();
    await expect(store.stats(range)).rejects.toThrow(/closed/);
    const reopened = new WorkerSqliteStore({ path });
    expect((await reopened.stats(range)).groups[0]?.requests).toBe(2_000);
    await reopened.close();
  });

  it('throws at construction for a file it cannot use, as SqliteStore does', () => {
    expect(() => new WorkerSqliteStore({ path: directory })).toThrow();
  });
});
