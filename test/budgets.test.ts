// Budgets end to end: 50 concurrent calls through the OpenAI SDK against a $0.01 daily budget.
import OpenAI, { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { BudgetThresholdEvent } from '../src/telemetry/events.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';

// USD 100 per 1M tokens in and out: 0.0001 a token. A call with max_tokens 20 reserves about 28
// tokens' worth (its counted prompt + 20) and really costs about 22 (the mock counts chars/4).
const pricePerToken = 100 / 1_000_000;
const budgetUsd = 0.01;

const config: KeelConfigInput = {
  pricing: { overrides: [{ provider: 'mock', match: 'sim-.*', input: 100, output: 100 }] },
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7, outputTokens: 20 }],
  models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
  telemetry: { store: { enabled: false } },
  budgets: { global: { dailyUsd: budgetUsd } },
};

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('budgets', () => {
  it('50 concurrent calls never overshoot the budget; the rest get 429 KEEL_BUDGET_EXCEEDED with Retry-After; each alert fires once', async () => {
    const clock = new ManualClock(); // 2026-01-01T00:00:00Z
    clock.advance(12 * 3600_000); // noon: 12 hours to the daily reset
    harness = await startKeel(config, { clock });
    const alerts: BudgetThresholdEvent[] = [];
    harness.keel.events.on('budget:threshold', (alert) => alerts.push(alert));
    const { client } = harness;
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        client.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 20 })
          .then(
            (completion) => ({ ok: true as const, completion }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
      ),
    );
    const budgets = harness.keel.policies.budgets;
    await budgets?.idle();

    const answered = outcomes.filter((outcome) => outcome.ok);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(answered.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      const error = outcome.error as APIError;
      expect(error).toBeInstanceOf(APIError);
      expect(error.status).toBe(429);
      expect(error.code).toBe('KEEL_BUDGET_EXCEEDED');
      expect(error.type).toBe('insufficient_quota');
      expect(error.headers?.get('retry-after')).toBe(String(12 * 3600));
    }

    // What the provider said it used, priced: never more than the budget plus one worst case.
    let spentUsd = 0;
    let worstCaseUsd = 0;
    for (const outcome of answered) {
      const usage = outcome.completion.usage;
      spentUsd += ((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0)) * pricePerToken;
      worstCaseUsd = Math.max(worstCaseUsd, ((usage?.prompt_tokens ?? 0) + 20) * pricePerToken);
    }
    expect(spentUsd).toBeLessThanOrEqual(budgetUsd + worstCaseUsd + 1e-9);
    const status = (await budgets?.status(clock.now()))?.find((row) => row.period === 'day');
    expect(status?.spentUsd).toBeCloseTo(spentUsd, 9);
    expect(status?.reservedUsd).toBe(0);

    // Every threshold settled spend reached fired exactly once, 100 % too (on the first refusal).
    const fired = alerts.map((alert) => alert.thresholdPercent);
    expect(new Set(fired).size).toBe(fired.length);
    for (const percent of [80, 90, 95]) {
      const reached = spentUsd >= (budgetUsd * percent) / 100 - 1e-12;
      expect(fired.filter((value) => value === percent)).toHaveLength(reached ? 1 : 0);
    }
    expect(fired.filter((value) => value === 100)).toHaveLength(1);
    expect(alerts.every((alert) => alert.scope === 'global' && alert.periodKey === '2026-01-01')).toBe(true);
    // Settled spend reached 80 % at least: four calls' worth of the ten-odd that fit.
    expect(fired).toContain(80);

    // The same, as Prometheus counts it.
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('keel_budget_alerts_total{scope="global",threshold="100"} 1');
    expect(metrics).toContain(`keel_limit_hits_total{limit="budget",action="rejected"} ${refused.length}`);
    expect(metrics).toContain(`keel_budget_limit_usd{scope="global",id="global",period="day"} ${budgetUsd}`);
    expect(metrics).toMatch(/keel_budget_spent_usd\{scope="global",id="global",period="day"\} 0\.00\d+/);
  });

  it('serves GET /api/budgets with spend, limit and remaining', async () => {
    harness = await startKeel(config, { clock: new ManualClock() });
    await harness.client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 20,
    });
    await harness.keel.policies.budgets?.idle();
    const response = await fetch(`${harness.url}/api/budgets`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { budgets: Record<string, unknown>[] };
    expect(body.budgets).toHaveLength(1);
    expect(body.budgets[0]).toMatchObject({
      scope: 'global',
      id: 'global',
      period: 'day',
      periodKey: '2026-01-01',
      limitUsd: budgetUsd,
      reservedUsd: 0,
      resetAt: '2026-01-02T00:00:00.000Z',
    });
    const row = body.budgets[0] as { spentUsd: number; remainingUsd: number };
    expect(row.spentUsd).toBeGreaterThan(0);
    expect(row.remainingUsd).toBeCloseTo(budgetUsd - row.spentUsd, 9);
  });

  it('a gateway key’s own budget holds without a budgets section in the config', async () => {
    harness = await startKeel({ ...config, budgets: undefined });
    const created = await fetch(`${harness.url}/api/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'tight', budget: { dailyUsd: 0.005 } }),
    });
    expect(created.status).toBe(201);
    const { secret } = (await created.json()) as { secret: string };
    const client = new OpenAI({ baseURL: `${harness.url}/v1`, apiKey: secret, maxRetries: 0 });
    const statuses: number[] = [];
    for (let index = 0; index < 10; index++) {
      statuses.push(
        await client.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 20 })
          .then(
            () => 200,
            (error: unknown): number => (error instanceof APIError ? Number(error.status) : 0),
          ),
      );
    }
    // About $0.0022 a call against $0.005: two answered, then refused.
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe(429);
  });
});
