import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../telemetry/request-record.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { TelemetryStore } from './store.js';
import { StoreWriter, type StoreWriterErrorSource } from './store-writer.js';
import { makeSyntheticRecords } from './synthetic-records.js';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';

const START_MS = Date.parse('2026-01-01T00:00:00Z');

/** Keeps records by requestId; fails while `down`; notes every batch and any duplicate it is offered. */
class MemoryStore implements Pick<TelemetryStore, 'insert'> {
  readonly records = new Map<string, RequestRecord>();
  readonly batches: number[] = [];
  duplicatesOffered = 0;
  down = false;
  /** Fail only the n-th call from now (1-based), when set. */
  failCall: number | undefined;
  #calls = 0;

  insert(records: readonly RequestRecord[]): Promise<void> {
    this.#calls++;
    if (this.down || this.#calls === this.failCall) return Promise.reject(new Error('store is down'));
    this.batches.push(records.length);
    for (const record of records) {
      if (this.records.has(record.requestId)) this.duplicatesOffered++;
      this.records.set(record.requestId, record);
    }
    return Promise.resolve();
  }

  resetCalls(): void {
    this.#calls = 0;
  }
}

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'keel-writer-'));
});

afterEach(() => {
  vi.useRealTimers();
  rmSync(directory, { recursive: true, force: true });
});

function setup(options: { batchSize?: number; retryIntervalMs?: number; spoolPath?: string } = {}) {
  const store = new MemoryStore();
  const scheduler = new ManualScheduler();
  const clock = { nowMs: START_MS, now: () => clock.nowMs };
  const errors: { error: unknown; source: StoreWriterErrorSource }[] = [];
  const writer = new StoreWriter({
    store,
    scheduler,
    clock,
    batchSize: options.batchSize ?? 10,
    retryIntervalMs: options.retryIntervalMs ?? 5_000,
    spoolPath: options.spoolPath ?? join(directory, 'spool', 'spool.jsonl'),
    onError: (error, source) => errors.push({ error, source }),
  });
  return { store, scheduler, clock, errors, writer };
}

function records(count: number, idPrefix = 'req'): RequestRecord[] {
  return makeSyntheticRecords({ count, startMs: START_MS, idPrefix });
}

describe('StoreWriter', () => {
  it('only buffers on write, and flushes once batchSize records wait', async () => {
    const { store, scheduler, writer } = setup({ batchSize: 10 });
    const batch = records(25);
    for (const record of batch.slice(0, 9)) writer.write(record);
    expect(scheduler.soonTasks).toHaveLength(0);
    writer.write(batch[9] as RequestRecord);
    for (const record of batch.slice(10)) writer.write(record);
    // Nothing reached the store synchronously, from inside write().
    expect(store.batches).toEqual([]);
    expect(writer.counters.buffered).toBe(25);
    expect(scheduler.soonTasks).toHaveLength(1);
    scheduler.runSoon();
    await vi.waitFor(() => expect(store.batches).toEqual([10, 10, 5]));
    expect(writer.counters).toMatchObject({ buffered: 0, written: 25, spooled: 0, failures: 0 });
  });

  it('flushes what is buffered on every interval tick', async () => {
    const { store, scheduler, writer } = setup({ batchSize: 500 });
    for (const record of records(3)) writer.write(record);
    expect(scheduler.intervals[0]?.intervalMs).toBe(1_000);
    scheduler.tick();
    await vi.waitFor(() => expect(store.batches).toEqual([3]));
    scheduler.tick();
    await writer.flush();
    expect(store.batches).toEqual([3]);
  });

  it('by default keeps no process alive: its interval timer is unref-ed', async () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const writer = new StoreWriter({ store: new MemoryStore(), spoolPath: join(directory, 'spool.jsonl') });
    const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout | undefined;
    expect(timer?.hasRef()).toBe(false);
    await writer.close();
    setIntervalSpy.mockRestore();
  });

  it('by default flushes every flushIntervalMs on a timer', async () => {
    vi.useFakeTimers();
    const store = new MemoryStore();
    const writer = new StoreWriter({
      store,
      spoolPath: join(directory, 'spool.jsonl'),
      flushIntervalMs: 1_000,
    });
    writer.write(records(1)[0] as RequestRecord);
    await vi.advanceTimersByTimeAsync(999);
    expect(store.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(store.batches).toEqual([1]));
    await writer.close();
  });

  it('flushes on close, then drops and counts what is written after', async () => {
    const { store, scheduler, writer } = setup({ batchSize: 500 });
    for (const record of records(7)) writer.write(record);
    await writer.close();
    expect(store.batches).toEqual([7]);
    expect(scheduler.intervals[0]?.cancelled).toBe(true);
    writer.write(records(1, 'late')[0] as RequestRecord);
    expect(writer.counters).toMatchObject({ buffered: 0, written: 7, dropped: 1 });
    await writer.close();
  });

  it('spools batches while the store fails and replays them once, after it recovers', async () => {
    const spoolPath = join(directory, 'spool', 'spool.jsonl');
    const { store, writer, errors } = setup({ batchSize: 100, spoolPath });
    const all = records(1_234);
    store.down = true;
    for (const record of all.slice(0, 1_000)) writer.write(record);
    await writer.flush();
    expect(writer.counters).toMatchObject({ spooled: 1_000, written: 0, failures: 10, buffered: 0 });
    expect(readFileSync(spoolPath, 'utf8').trim().split('\n')).toHaveLength(1_000);
    expect(errors.every((entry) => entry.source === 'insert')).toBe(true);

    store.down = false;
    for (const record of all.slice(1_000)) writer.write(record);
    await writer.flush();
    expect(store.records.size).toBe(1_234);
    expect(store.duplicatesOffered).toBe(0);
    expect(writer.counters).toMatchObject({ written: 234, spooled: 1_000, replayed: 1_000 });
    expect(statSync(spoolPath).size).toBe(0);
  });

  it('while idle, retries the spool every retryIntervalMs of the injected clock', async () => {
    const { store, scheduler, clock, writer } = setup({ batchSize: 50, retryIntervalMs: 5_000 });
    store.down = true;
    for (const record of records(60)) writer.write(record);
    await writer.flush();
    const failuresAfterSpool = writer.counters.failures;

    scheduler.tick();
    await writer.flush();
    expect(writer.counters.failures).toBe(failuresAfterSpool + 1); // one replay attempt
    clock.nowMs += 4_999;
    scheduler.tick();
    await writer.flush();
    expect(writer.counters.failures).toBe(failuresAfterSpool + 1); // too soon: no attempt
    clock.nowMs += 1;
    store.down = false;
    scheduler.tick();
    await writer.flush();
    expect(store.records.size).toBe(60);
  });

  it('resumes an interrupted replay where it stopped, offering no record twice', async () => {
    const spoolPath = join(directory, 'spool.jsonl');
    const { store, writer } = setup({ batchSize: 100, spoolPath });
    store.down = true;
    for (const record of records(450)) writer.write(record);
    await writer.flush();
    store.down = false;
    // Live batch succeeds (call 1), replay batches 1-2 succeed (calls 2-3), batch 3 fails (call 4).
    store.resetCalls();
    store.failCall = 4;
    for (const record of records(5, 'live')) writer.write(record);
    await writer.flush();
    expect(store.records.size).toBe(205);
    expect(writer.counters.replayed).toBe(200);
    store.failCall = undefined;
    for (const record of records(5, 'live-2')) writer.write(record);
    await writer.flush();
    expect(store.records.size).toBe(460);
    expect(store.duplicatesOffered).toBe(0);
    expect(writer.counters.replayed).toBe(450);
    expect(statSync(spoolPath).size).toBe(0);
  });

  it('replays a spool left by an earlier run, skipping lines that are not records', async () => {
    const spoolPath = join(directory, 'left-over.jsonl');
    const earlier = records(30, 'earlier');
    writeFileSync(
      spoolPath,
      `${earlier.map((record) => JSON.stringify(record)).join('\n')}\n{"requestId":"half-writ\n\n`,
    );
    const { store, scheduler, writer, errors } = setup({ batchSize: 100, spoolPath });
    scheduler.tick();
    await writer.flush();
    expect(store.records.size).toBe(30);
    expect(store.records.get('earlier-00000007')).toEqual(earlier[7]);
    expect(errors.map((entry) => entry.source)).toEqual(['replay']);
    expect(statSync(spoolPath).size).toBe(0);
  });

  it('reports a spool it cannot write through onError, counts the loss and never throws', async () => {
    const blocker = join(directory, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const { store, writer, errors } = setup({ batchSize: 10, spoolPath: join(blocker, 'spool.jsonl') });
    store.down = true;
    for (const record of records(15)) writer.write(record);
    await expect(writer.flush()).resolves.toBeUndefined();
    expect(errors.map((entry) => entry.source)).toEqual(['insert', 'spool', 'insert', 'spool']);
    expect(writer.counters).toMatchObject({ spooled: 0, dropped: 15, failures: 4, buffered: 0 });
    await expect(writer.close()).resolves.toBeUndefined();
  });

  it('survives an onError that throws', async () => {
    const store = new MemoryStore();
    store.down = true;
    const writer = new StoreWriter({
      store,
      scheduler: new ManualScheduler(),
      spoolPath: join(directory, 'spool.jsonl'),
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    writer.write(records(1)[0] as RequestRecord);
    await expect(writer.close()).resolves.toBeUndefined();
    expect(writer.counters.spooled).toBe(1);
  });

  it('with a real SQLite store that fails for a while: every record ends up stored exactly once', async () => {
    const sqlite = new SqliteStore({ path: join(directory, 'keel.db') });
    let down = false;
    const flaky: Pick<TelemetryStore, 'insert'> = {
      insert: (batch) => (down ? Promise.reject(new Error('disk on fire')) : sqlite.insert(batch)),
    };
    const scheduler = new ManualScheduler();
    const writer = new StoreWriter({
      store: flaky,
      scheduler,
      batchSize: 100,
      spoolPath: join(directory, 'spool.jsonl'),
    });
    const all = records(3_000);
    const phases = [
      { from: 0, to: 700, down: false },
      { from: 700, to: 2_100, down: true },
      { from: 2_100, to: 3_000, down: false },
    ];
    for (const phase of phases) {
      down = phase.down;
      for (const [index, record] of all.slice(phase.from, phase.to).entries()) {
        writer.write(record);
        if (index % 250 === 249) await writer.flush();
      }
      scheduler.tick();
      await writer.flush();
    }
    await writer.close();
    expect(writer.counters).toMatchObject({ written: 1_600, spooled: 1_400, replayed: 1_400, dropped: 0 });

    const { groups } = await sqlite.stats({ fromMs: START_MS, toMs: START_MS + 3_600_000 });
    expect(groups[0]?.requests).toBe(3_000);
    expect(groups[0]?.ok).toBe(all.filter((record) => record.outcome === 'ok').length);
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await sqlite.requests({
        fromMs: START_MS,
        toMs: START_MS + 3_600_000,
        limit: 1_000,
        cursor,
      });
      for (const record of page.items) ids.add(record.requestId);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(ids.size).toBe(3_000);
    await sqlite.close();
  });
});
