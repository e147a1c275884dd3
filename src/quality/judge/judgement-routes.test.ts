import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fromFrameworkError, sendError } from '../../http/edge-errors.js';
import { openOpsDatabase, type OpsDatabase } from '../../ops/ops-database.js';
import { registerJudgeMetrics } from './judge-metrics.js';
import { createJudgementRoutes } from './judgement-routes.js';
import { JudgementStore } from './judgement-store.js';
import { QualityJudge } from './quality-judge.js';

const nowMs = Date.parse('2026-11-23T12:00:00Z');

describe('GET /api/quality/judgements and the judge metrics', () => {
  let app: FastifyInstance;
  let db: OpsDatabase;
  let store: JudgementStore;
  let judge: QualityJudge;

  beforeAll(async () => {
    db = openOpsDatabase(':memory:');
    store = new JudgementStore({ db, retentionMs: 30 * 86_400_000, now: () => nowMs });
    const answers = ['{"score": 10, "reason": "great"}', '{"score": 4, "reason": "meh"}'];
    judge = new QualityJudge({
      settings: { sampleRate: 1, maxConcurrent: 1, maxQueue: 0 },
      judgeModel: 'judge',
      judge: () => Promise.resolve(answers.shift() ?? 'no verdict'),
      random: () => 0,
      now: () => nowMs - 60_000,
      onJudgement: (judgement) => store.insert(judgement),
    });
    const registry = new Registry();
    registerJudgeMetrics(registry, judge, { knownModels: new Set(['chat-default']) });
    const event = (requestId: string, requestedModel: string) => ({
      requestId,
      receivedAtMs: 0,
      requestedModel,
      stream: false,
      metadata: { application: 'search' },
      trace: { traceId: '0af7651916cd43dd8448eb211c80319c', sampled: true },
      status: 200,
      outcome: 'ok' as const,
      totalMs: 1,
      upstreamMs: 1,
      overheadMs: 0,
      attempts: [],
      promptChars: 1,
      responseChars: 1,
      request: { messages: [{ role: 'user' as const, content: 'Hi' }] },
      responseText: 'Hello',
    });
    judge.consider(event('a', 'chat-default'));
    await judge.idle();
    judge.consider(event('b', 'chat-claude'));
    await judge.idle();
    // c gets an unreadable verdict; d finds the one slot busy and no queue (maxQueue 0).
    judge.consider(event('c', 'chat-claude'));
    judge.consider(event('d', 'chat-claude'));
    await judge.idle();
    // An old judgement, outside the default 24 h window.
    store.insert({
      requestId: 'old',
      atMs: nowMs - 2 * 86_400_000,
      model: 'chat-default',
      judgeModel: 'judge',
      score: 0,
      rawScore: 1,
      reason: 'old',
    });
    metricsText = await registry.metrics();
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => sendError(reply, fromFrameworkError(error)));
    await app.register(createJudgementRoutes({ store, counters: () => judge.counters(), now: () => nowMs }));
  });
  let metricsText = '';
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it('lists the last 24 h with the summary and counters', async () => {
    const response = await app.inject({ url: '/api/quality/judgements' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      from: string;
      to: string;
      counters: Record<string, number>;
      summary: { model: string; judgements: number; avgScore: number }[];
      judgements: { requestId: string; at: string; model: string; score: number; reason: string }[];
    }>();
    expect(body.to).toBe('2026-11-23T12:00:00.000Z');
    expect(body.from).toBe('2026-11-22T12:00:00.000Z');
    expect(body.counters).toEqual({ sampled: 3, judged: 2, failed: 1, dropped: 1, queued: 0, running: 0 });
    expect(body.judgements.map((row) => [row.requestId, row.model, row.score, row.reason])).toEqual([
      ['b', 'chat-claude', 1 / 3, 'meh'],
      ['a', 'chat-default', 1, 'great'],
    ]);
    expect(body.judgements[0]?.at).toBe('2026-11-23T11:59:00.000Z');
    expect(body.summary).toEqual([
      { model: 'chat-claude', judgements: 1, avgScore: 1 / 3, avgRawScore: 4 },
      { model: 'chat-default', judgements: 1, avgScore: 1, avgRawScore: 10 },
    ]);
  });

  it('filters by model, window and limit', async () => {
    const byModel = await app.inject({ url: '/api/quality/judgements?window=7d&model=chat-default' });
    const rows = byModel.json<{ judgements: { requestId: string }[] }>().judgements;
    expect(rows.map((row) => row.requestId)).toEqual(['a', 'old']);
    const limited = await app.inject({ url: '/api/quality/judgements?window=7d&limit=1' });
    const body = limited.json<{ judgements: unknown[]; summary: { judgements: number }[] }>();
    expect(body.judgements).toHaveLength(1);
    // The summary covers the whole range, whatever the limit.
    expect(body.summary.reduce((sum, row) => sum + row.judgements, 0)).toBe(3);
  });

  it.each([
    ['window=soon', 'window'],
    ['limit=0', 'limit'],
    ['limit=5000', 'limit'],
    ['limit=ten', 'limit'],
    ['from=2026-11-23T12:00:00Z&to=2026-11-23T11:00:00Z', 'from'],
  ])('refuses %s with a clear error', async (query, param) => {
    const response = await app.inject({ url: `/api/quality/judgements?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { code: string; param: string } }>().error).toMatchObject({
      code: 'KEEL_INVALID_REQUEST',
      param,
    });
  });

  it('exports counters, pending and score histograms to Prometheus', () => {
    expect(metricsText).toContain('keel_quality_judge_answers_total{result="sampled"} 3');
    expect(metricsText).toContain('keel_quality_judge_answers_total{result="dropped"} 1');
    expect(metricsText).toContain('keel_quality_judge_pending{state="queued"} 0');
    expect(metricsText).toContain('keel_quality_judge_score_count{model="other"} 1');
    expect(metricsText).toContain('keel_quality_judge_score_sum{model="chat-default"} 1');
  });
});
