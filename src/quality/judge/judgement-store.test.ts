import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOpsDatabase, type OpsDatabase } from '../../ops/ops-database.js';
import { JudgementStore } from './judgement-store.js';
import type { Judgement } from './quality-judge.js';

const dayMs = 86_400_000;
const startMs = Date.parse('2026-11-01T00:00:00Z');

function judgement(overrides: Partial<Judgement> = {}): Judgement {
  return {
    requestId: 'req-1',
    atMs: startMs,
    model: 'chat-default',
    servedModel: 'gpt-4o-mini',
    judgeModel: 'judge',
    score: 0.5,
    rawScore: 5.5,
    reason: 'fine',
    application: 'search',
    environment: 'prod',
    ...overrides,
  };
}

describe('JudgementStore', () => {
  const databases: OpsDatabase[] = [];
  afterEach(() => {
    for (const db of databases.splice(0)) db.close();
  });
  function open(path = ':memory:', nowMs = { value: startMs }) {
    const db = openOpsDatabase(path);
    databases.push(db);
    return { db, store: new JudgementStore({ db, retentionMs: 7 * dayMs, now: () => nowMs.value }) };
  }

  it('lists judgements newest first in the range, by model, up to the limit', () => {
    const { store } = open();
    store.insert(judgement({ requestId: 'a', atMs: startMs }));
    store.insert(
      judgement({ requestId: 'b', atMs: startMs + 1000, model: 'chat-claude', servedModel: undefined }),
    );
    store.insert(
      judgement({ requestId: 'c', atMs: startMs + 2000, application: undefined, environment: undefined }),
    );
    store.insert(judgement({ requestId: 'outside', atMs: startMs + 10_000 }));
    const range = { fromMs: startMs, toMs: startMs + 10_000 };
    expect(store.list({ ...range, limit: 10 }).map((row) => row.requestId)).toEqual(['c', 'b', 'a']);
    expect(store.list({ ...range, limit: 2 }).map((row) => row.requestId)).toEqual(['c', 'b']);
    expect(store.list({ ...range, model: 'chat-claude', limit: 10 })).toEqual([
      judgement({ requestId: 'b', atMs: startMs + 1000, model: 'chat-claude', servedModel: undefined }),
    ]);
    expect(store.list({ ...range, limit: 10 })[0]).toEqual(
      judgement({ requestId: 'c', atMs: startMs + 2000, application: undefined, environment: undefined }),
    );
  });

  it('averages scores per model, most judged first', () => {
    const { store } = open();
    store.insert(judgement({ score: 1, rawScore: 10 }));
    store.insert(judgement({ score: 0, rawScore: 1 }));
    store.insert(judgement({ score: 0.5, rawScore: 5.5 }));
    store.insert(judgement({ model: 'chat-claude', score: 0.25, rawScore: 3.25 }));
    const range = { fromMs: startMs, toMs: startMs + 1 };
    expect(store.summary(range)).toEqual([
      { model: 'chat-default', judgements: 3, avgScore: 0.5, avgRawScore: 5.5 },
      { model: 'chat-claude', judgements: 1, avgScore: 0.25, avgRawScore: 3.25 },
    ]);
    expect(store.summary({ ...range, model: 'chat-claude' })).toHaveLength(1);
    expect(store.summary({ fromMs: 0, toMs: startMs })).toEqual([]);
  });

  it('prunes judgements past retention on insert, at most once an hour', () => {
    const nowMs = { value: startMs };
    const { store } = open(':memory:', nowMs);
    store.insert(judgement({ requestId: 'old', atMs: startMs }));
    nowMs.value = startMs + 8 * dayMs;
    store.insert(judgement({ requestId: 'new', atMs: nowMs.value }));
    const all = { fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, limit: 10 };
    expect(store.list(all).map((row) => row.requestId)).toEqual(['new']);
    // Within the hour no second prune runs, so a row already past retention stays until the next.
    store.insert(judgement({ requestId: 'late', atMs: startMs }));
    nowMs.value += 30 * 60_000;
    store.insert(judgement({ requestId: 'newer', atMs: nowMs.value }));
    expect(store.list(all)).toHaveLength(3);
    nowMs.value += 31 * 60_000;
    store.insert(judgement({ requestId: 'newest', atMs: nowMs.value }));
    expect(store.list(all).map((row) => row.requestId)).toEqual(['newest', 'newer', 'new']);
  });

  it('keeps judgements in the ops database file across reopening', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-judgements-')), 'ops.db');
    const first = open(path);
    first.store.insert(judgement());
    first.db.close();
    databases.splice(databases.indexOf(first.db), 1);
    const second = open(path);
    expect(second.store.list({ fromMs: 0, toMs: startMs + 1, limit: 1 })).toEqual([judgement()]);
  });
});
