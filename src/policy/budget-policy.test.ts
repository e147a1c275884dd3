import { describe, expect, it } from 'vitest';
import { budgetsSchema } from '../config/budgets-schema.js';
import { KeelError, type ChatRequest } from '../spec/index.js';
import { MemoryState } from '../state/memory-state.js';
import { EventBus } from '../telemetry/event-bus.js';
import type { BudgetThresholdEvent, LimitHitEvent } from '../telemetry/events.js';
import { createPriceBook } from '../telemetry/pricing/index.js';
import { createBudgetPolicy } from './budget-policy.js';
import { createPromptTokenCounter } from './count-prompt-tokens.js';
import { StateFailureReporter } from './state-failure-reporter.js';
import type { CallerKey, PolicyCall, PolicyOutcome } from './request-policy.js';

// USD 1 per 1M tokens in and out: 1 micro-USD a token. "Hello world" is 9 prompt tokens, so a call
// with max_tokens 91 reserves 100 micro-USD.
const prices = createPriceBook({ overrides: [{ provider: 'mock', match: 'sim-.*', input: 1, output: 1 }] });
const target = { providerId: 'sim', modelId: 'sim-1', weight: 1, key: 'sim/sim-1' };
const request: ChatRequest = { messages: [{ role: 'user', content: 'Hello world' }], maxTokens: 91 };

function setup(config: Record<string, unknown>, startIso = '2026-01-31T12:00:00Z') {
  let nowMs = Date.parse(startIso);
  const state = new MemoryState({ now: () => nowMs });
  const events = new EventBus();
  const alerts: BudgetThresholdEvent[] = [];
  const hits: LimitHitEvent[] = [];
  events.on('budget:threshold', (alert) => alerts.push(alert));
  events.on('limit:hit', (hit) => hits.push(hit));
  const policy = createBudgetPolicy({
    config: budgetsSchema.parse(config),
    state,
    events,
    prices,
    counter: createPromptTokenCounter(),
    providerTypes: new Map([['sim', 'mock']]),
    now: () => nowMs,
  });
  const call = (options: { key?: CallerKey; maxTokens?: number; application?: string } = {}): PolicyCall => ({
    requestId: 'r1',
    model: 'chat',
    request: { ...request, maxTokens: options.maxTokens ?? 91 },
    metadata: { application: options.application },
    key: options.key,
    stream: false,
    targets: [target],
    nowMs,
  });
  const answered = (inputTokens: number, outputTokens: number): PolicyOutcome => ({
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    target,
    providerType: 'mock',
    servedModel: 'sim-1',
  });
  const status = async (scope = 'global', period = 'day') =>
    (await policy.status(nowMs)).find((row) => row.scope === scope && row.period === period);
  return { policy, alerts, hits, call, answered, status, setNow: (iso: string) => (nowMs = Date.parse(iso)) };
}

async function refusal(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof KeelError)) throw new Error('expected a refusal');
  return error;
}

describe('createBudgetPolicy: reserve, settle, release', () => {
  it('reserves the worst case, then replaces it with the real cost', async () => {
    const { policy, call, answered, status } = setup({ global: { dailyUsd: 0.001 } });
    const ticket = await policy.admit(call());
    expect(await status()).toMatchObject({ spentUsd: 0, reservedUsd: 0.0001, remainingUsd: 0.0009 });
    ticket?.settle?.(answered(9, 11));
    await policy.idle();
    expect(await status()).toMatchObject({ spentUsd: 0.00002, reservedUsd: 0, remainingUsd: 0.00098 });
  });

  it('releases the whole reservation on a failure without usage and on a cached answer', async () => {
    const { policy, call, status } = setup({ global: { dailyUsd: 0.001 } });
    const failed = await policy.admit(call());
    const cached = await policy.admit(call());
    failed?.settle?.({ error: new Error('upstream down') });
    cached?.settle?.({ cached: true, usage: { inputTokens: 9, outputTokens: 91, totalTokens: 100 } });
    failed?.settle?.({ error: new Error('settled twice') }); // ignored
    await policy.idle();
    expect(await status()).toMatchObject({ spentUsd: 0, reservedUsd: 0, remainingUsd: 0.001 });
  });

  it('refuses the call whose worst case does not fit with 429, Retry-After to midnight, and releases its other reservations', async () => {
    const key: CallerKey = { id: 'key_1', name: 'ci', team: 'search', budget: { dailyUsd: 1 } };
    const { policy, call, hits, status } = setup(
      { global: { dailyUsd: 0.001 }, teams: { search: { monthlyUsd: 1 } } },
      '2026-01-31T18:00:00Z',
    );
    for (let index = 0; index < 10; index++) await policy.admit(call({ key })); // 10 x 100 = the whole limit
    const error = await refusal(policy.admit(call({ key })));
    expect(error).toMatchObject({ status: 429, code: 'KEEL_BUDGET_EXCEEDED', retryAfterMs: 6 * 3600_000 });
    expect(error.message).toContain('global budget "global" allows $0.001000 per day');
    // The key and team counters hold the 10 admitted calls only.
    expect(await status('key', 'day')).toMatchObject({ reservedUsd: 0.001 });
    expect(await status('team', 'month')).toMatchObject({ reservedUsd: 0.001 });
    expect(hits).toMatchObject([{ limit: 'budget', action: 'rejected', detail: 'global:global:day' }]);
    // A call small enough still fits nowhere: the budget is fully reserved.
    await refusal(policy.admit(call({ key, maxTokens: 1 })));
  });

  it('charges every applicable counter: key, team, application (key, else the header), global', async () => {
    const config = {
      teams: { search: { dailyUsd: 1 } },
      applications: { advisor: { dailyUsd: 1 }, other: { dailyUsd: 1 } },
      global: { monthlyUsd: 5000 },
    };
    const { policy, call, answered } = setup(config);
    const key: CallerKey = {
      id: 'key_1',
      name: 'ci',
      team: 'search',
      application: 'advisor',
      budget: { dailyUsd: 2 },
    };
    (await policy.admit(call({ key, application: 'other' })))?.settle?.(answered(9, 11));
    (await policy.admit(call({ application: 'other' })))?.settle?.(answered(9, 1));
    await policy.idle();
    const rows = await policy.status(Date.parse('2026-01-31T12:00:00Z'));
    const spent = Object.fromEntries(
      rows.map((row) => [`${row.scope}:${row.id}:${row.period}`, row.spentUsd]),
    );
    expect(spent).toEqual({
      'key:key_1:day': 0.00002,
      'team:search:day': 0.00002,
      'application:advisor:day': 0.00002,
      'application:other:day': 0.00001,
      'global:global:month': 0.00003,
    });
  });
});

describe('createBudgetPolicy: periods', () => {
  it('starts a new day at 00:00 UTC and a new month on the 1st, each counter on its own', async () => {
    const { policy, call, answered, setNow, status } = setup(
      { global: { dailyUsd: 0.0001, monthlyUsd: 0.001 } },
      '2026-01-31T23:59:59Z',
    );
    (await policy.admit(call()))?.settle?.(answered(9, 91));
    await policy.idle();
    await refusal(policy.admit(call()));
    setNow('2026-02-01T00:00:00Z');
    expect(await status('global', 'month')).toMatchObject({ periodKey: '2026-02', spentUsd: 0 });
    (await policy.admit(call()))?.settle?.(answered(9, 91));
    await policy.idle();
    setNow('2026-02-02T00:00:00Z');
    expect(await status('global', 'day')).toMatchObject({ periodKey: '2026-02-02', spentUsd: 0 });
    expect(await status('global', 'month')).toMatchObject({ periodKey: '2026-02', spentUsd: 0.0001 });
  });
});

describe('createBudgetPolicy: alerts', () => {
  it('fires 80, 90, 95 and 100 once each when one call jumps from 70 % to 100 %, and again next period', async () => {
    const { policy, call, answered, alerts, setNow } = setup({ global: { dailyUsd: 0.001 } });
    (await policy.admit(call({ maxTokens: 691 })))?.settle?.(answered(9, 691)); // 700 = 70 %
    await policy.idle();
    expect(alerts).toHaveLength(0);
    (await policy.admit(call({ maxTokens: 291 })))?.settle?.(answered(9, 291)); // 1000 = 100 %
    await policy.idle();
    expect(alerts.map((alert) => alert.thresholdPercent)).toEqual([80, 90, 95, 100]);
    expect(alerts[3]).toMatchObject({
      scope: 'global',
      id: 'global',
      period: 'day',
      periodKey: '2026-01-31',
      spentUsd: 0.001,
      limitUsd: 0.001,
      refused: false,
      resetAtMs: Date.parse('2026-02-01T00:00:00Z'),
    });
    await refusal(policy.admit(call()));
    expect(alerts).toHaveLength(4);
    setNow('2026-02-01T00:00:01Z');
    (await policy.admit(call({ maxTokens: 791 })))?.settle?.(answered(9, 791)); // 800 = 80 %
    await policy.idle();
    expect(alerts.map((alert) => `${alert.periodKey} ${alert.thresholdPercent}`).slice(4)).toEqual([
      '2026-02-01 80',
    ]);
  });

  it('fires 100 % once on the first refusal, even with settled spend under the limit', async () => {
    const { policy, call, answered, alerts } = setup({ global: { dailyUsd: 0.001 } });
    (await policy.admit(call({ maxTokens: 841 })))?.settle?.(answered(9, 841)); // 850
    await policy.idle();
    await refusal(policy.admit(call({ maxTokens: 191 }))); // 850 + 200 > 1000
    await refusal(policy.admit(call({ maxTokens: 191 })));
    expect(alerts.map((alert) => [alert.thresholdPercent, alert.refused, alert.spentUsd])).toEqual([
      [80, false, 0.00085],
      [100, true, 0.00085],
    ]);
  });

  it('soft mode admits past the limit and alerts when spend crosses it', async () => {
    const { policy, call, answered, alerts, status } = setup({ mode: 'soft', global: { dailyUsd: 0.0001 } });
    for (let index = 0; index < 3; index++) {
      (await policy.admit(call()))?.settle?.(answered(9, 91));
      await policy.idle();
    }
    expect(await status()).toMatchObject({ spentUsd: 0.0003, remainingUsd: 0 });
    expect(alerts.map((alert) => [alert.thresholdPercent, alert.mode])).toEqual([
      [80, 'soft'],
      [90, 'soft'],
      [95, 'soft'],
      [100, 'soft'],
    ]);
  });
});

describe('createBudgetPolicy: shared state unreachable', () => {
  /** A state whose server is down: every write rejects. */
  class UnreachableState extends MemoryState {
    override reserve(): Promise<{ reserved: boolean; total: number }> {
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
    }
    override add(): Promise<number> {
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
    }
  }
  const unreachable = new UnreachableState();
  const policyWith = (failureMode: 'open' | 'closed') => {
    const counts: string[] = [];
    const policy = createBudgetPolicy({
      config: budgetsSchema.parse({ global: { dailyUsd: 1 } }),
      state: unreachable,
      events: new EventBus(),
      prices,
      counter: createPromptTokenCounter(),
      providerTypes: new Map([['sim', 'mock']]),
      now: () => Date.parse('2026-01-31T12:00:00Z'),
      failureMode,
      failures: new StateFailureReporter({
        logger: { warn: (fields: { mode: string }) => counts.push(fields.mode) },
        clock: { now: () => 0 },
      }),
    });
    const call: PolicyCall = {
      requestId: 'r1',
      model: 'chat',
      request,
      metadata: {},
      key: undefined,
      stream: false,
      targets: [target],
      nowMs: Date.parse('2026-01-31T12:00:00Z'),
    };
    return { policy, call, counts };
  };

  it('fails closed by default: 503 KEEL_STATE_UNAVAILABLE with a short Retry-After', async () => {
    const { policy, call, counts } = policyWith('closed');
    const error = await refusal(policy.admit(call));
    expect(error).toMatchObject({ code: 'KEEL_STATE_UNAVAILABLE', status: 503, retryAfterMs: 1_000 });
    expect(counts).toEqual(['closed']);
  });

  it('fails open when configured: admitted unchecked, and the answer says so', async () => {
    const { policy, call, counts } = policyWith('open');
    expect(await policy.admit(call)).toEqual({ headers: { 'x-keel-policy-degraded': 'budget' } });
    expect(counts).toEqual(['open']);
  });
});
