import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import type { NotificationMessage } from './notification.js';
import { SqliteOutbox } from './sqlite-outbox.js';

const windowMs = 600_000;

function message(dedupeKey: string, atMs = 0): NotificationMessage {
  return { kind: 'test', title: `Test ${dedupeKey}`, text: 'body', fields: { n: 1 }, dedupeKey, atMs };
}

function sequentialIds(prefix = 'n'): () => string {
  let next = 0;
  return () => `${prefix}${++next}`;
}

describe('SqliteOutbox', () => {
  const open: OpsDatabase[] = [];
  const directories: string[] = [];
  const database = (path = ':memory:') => {
    const db = openOpsDatabase(path);
    open.push(db);
    return db;
  };
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('stores one pending row per target, deduplicating repeated targets', () => {
    const outbox = new SqliteOutbox({ db: database() });
    const result = outbox.enqueue({
      targets: ['a', 'b', 'a'],
      message: message('k1'),
      nowMs: 1000,
      dedupeWindowMs: windowMs,
      generateId: sequentialIds(),
    });
    expect(result.queued.map((entry) => [entry.id, entry.target])).toEqual([
      ['n1', 'a'],
      ['n2', 'b'],
    ]);
    expect(outbox.get('n1')).toMatchObject({
      status: 'pending',
      attempts: 0,
      nextAttemptAtMs: 1000,
      dedupeKey: 'k1',
      message: message('k1'),
    });
    expect(outbox.pendingByTarget()).toEqual({ a: 1, b: 1 });
  });

  it('keeps what was enqueued across a close and reopen of the file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-outbox-'));
    directories.push(directory);
    const path = join(directory, 'ops.db');
    const first = database(path);
    new SqliteOutbox({ db: first }).enqueue({
      targets: ['a'],
      message: message('k1'),
      nowMs: 1000,
      dedupeWindowMs: windowMs,
      generateId: sequentialIds(),
    });
    first.close();
    const reopened = new SqliteOutbox({ db: database(path) });
    expect(reopened.dueTargets(1000)).toEqual(['a']);
    expect(reopened.nextDue('a', 1000)).toMatchObject({ id: 'n1', message: message('k1') });
  });

  it.each([
    ['pending, any age', 'pending', 0, 10_000_000, true],
    ['delivered within the window', 'delivered', 1000, 1000 + windowMs - 1, true],
    ['delivered longer ago than the window', 'delivered', 1000, 1000 + windowMs, false],
    ['failed', 'failed', 1000, 1001, false],
    ['rate-limited', 'rate-limited', 1000, 1001, false],
  ] as const)(
    'a second enqueue of the same key is dropped when the first is %s',
    (_name, status, updatedAtMs, nowMs, dropped) => {
      const outbox = new SqliteOutbox({ db: database() });
      const generateId = sequentialIds();
      outbox.enqueue({
        targets: ['a'],
        message: message('k'),
        nowMs: 0,
        dedupeWindowMs: windowMs,
        generateId,
      });
      if (status !== 'pending') outbox.update({ id: 'n1', status, attempts: 1, nowMs: updatedAtMs });
      const second = outbox.enqueue({
        targets: ['a', 'b'],
        message: message('k'),
        nowMs,
        dedupeWindowMs: windowMs,
        generateId,
      });
      expect(second.deduplicated).toEqual(dropped ? ['a'] : []);
      expect(second.queued.map((entry) => entry.target)).toEqual(dropped ? ['b'] : ['a', 'b']);
    },
  );

  it('hands out due rows per target, earliest next attempt first', () => {
    const outbox = new SqliteOutbox({ db: database() });
    const generateId = sequentialIds();
    for (const key of ['k1', 'k2', 'k3']) {
      outbox.enqueue({
        targets: ['a'],
        message: message(key),
        nowMs: 0,
        dedupeWindowMs: windowMs,
        generateId,
      });
    }
    outbox.update({ id: 'n1', status: 'pending', attempts: 1, nextAttemptAtMs: 5000, nowMs: 10 });
    expect(outbox.nextDue('a', 100)?.id).toBe('n2');
    outbox.update({ id: 'n2', status: 'delivered', attempts: 1, nowMs: 100 });
    outbox.update({ id: 'n3', status: 'delivered', attempts: 1, nowMs: 100 });
    expect(outbox.nextDue('a', 4999)).toBeUndefined();
    expect(outbox.dueTargets(4999)).toEqual([]);
    expect(outbox.nextDue('a', 5000)?.id).toBe('n1');
  });

  it('sheds the oldest pending rows past the cap, never one being sent', () => {
    const outbox = new SqliteOutbox({ db: database() });
    const generateId = sequentialIds();
    for (const [index, key] of ['k1', 'k2', 'k3', 'k4'].entries()) {
      outbox.enqueue({
        targets: ['a'],
        message: message(key),
        nowMs: index,
        dedupeWindowMs: windowMs,
        generateId,
      });
    }
    const shed = outbox.shedOverflow({ target: 'a', maxPending: 2, exclude: new Set(['n1']), nowMs: 10 });
    expect(shed.map((entry) => [entry.id, entry.status])).toEqual([
      ['n2', 'rate-limited'],
      ['n3', 'rate-limited'],
    ]);
    expect(outbox.get('n2')?.lastError).toBe('dropped: more than 2 notifications waiting for this target');
    expect(outbox.pendingByTarget()).toEqual({ a: 2 });
    expect(outbox.shedOverflow({ target: 'a', maxPending: 2, exclude: new Set(), nowMs: 11 })).toEqual([]);
  });

  it('prunes finished rows older than the cut-off and keeps pending ones', () => {
    const outbox = new SqliteOutbox({ db: database() });
    const generateId = sequentialIds();
    for (const key of ['k1', 'k2', 'k3']) {
      outbox.enqueue({
        targets: ['a'],
        message: message(key),
        nowMs: 0,
        dedupeWindowMs: windowMs,
        generateId,
      });
    }
    outbox.update({ id: 'n1', status: 'delivered', attempts: 1, nowMs: 100 });
    outbox.update({ id: 'n2', status: 'failed', attempts: 8, nowMs: 5000 });
    expect(outbox.prune(1000)).toBe(1);
    expect(outbox.get('n1')).toBeUndefined();
    expect(outbox.get('n2')?.status).toBe('failed');
    expect(outbox.get('n3')?.status).toBe('pending');
  });
});
