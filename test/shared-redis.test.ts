// Two Keel instances sharing one Redis (the local server): one's cached answer is served by the other.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { APIError } from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { BudgetThresholdEvent } from '../src/telemetry/events.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Each run's own Redis keys, deleted at the end. */
const runPrefix = `keel-test:${randomUUID()}:`;

const harnesses: KeelHarness[] = [];
afterEach(async () => {
  for (const harness of harnesses.splice(0)) await harness.close();
});
afterAll(async () => {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const keys = await admin.keys(`${runPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function config(keyPrefix: string): KeelConfigInput {
  return {
    providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 2, p99: 5 }, seed: 9 }],
    models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    state: { redis: redisUrl, keyPrefix },
    cache: { enabled: true, ttlMs: 60_000 },
  };
}

describe('two Keel instances sharing one Redis', () => {
  it('serve each other’s cached answers, plain and streamed', async () => {
    const keyPrefix = `${runPrefix}cache:`;
    const first = await startKeel(config(keyPrefix));
    const second = await startKeel(config(keyPrefix));
    harnesses.push(first, second);
    const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'What does a gateway do?' }] };

    const fresh = await first.client.chat.completions.create(ask).withResponse();
    expect(fresh.response.headers.get('x-keel-cache')).toBe('miss');
    const fromOther = await second.client.chat.completions.create(ask).withResponse();
    expect(fromOther.response.headers.get('x-keel-cache')).toBe('hit');
    expect(fromOther.data.choices[0]?.message.content).toBe(fresh.data.choices[0]?.message.content);
    // The second instance called no provider for it.
    expect(second.ended.at(-1)).toMatchObject({ cacheHit: true, attempts: [] });

    // A stream through the second instance is cached for the first, and replays as a stream.
    const streamAsk = { ...ask, messages: [{ role: 'user' as const, content: 'Stream it.' }] };
    let streamed = '';
    for await (const chunk of await second.client.chat.completions.create({ ...streamAsk, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    // The stream is stored once it has ended: wait for its entry to be in Redis.
    const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await expect.poll(async () => (await admin.keys(`${keyPrefix}cache:v1:*`)).length).toBe(2);
    await admin.quit();
    let replayed = '';
    const replay = await first.client.chat.completions.create({ ...streamAsk, stream: true }).withResponse();
    expect(replay.response.headers.get('x-keel-cache')).toBe('hit');
    for await (const chunk of replay.data) replayed += chunk.choices[0]?.delta.content ?? '';
    expect(replayed).toBe(streamed);
    expect(streamed.length).toBeGreaterThan(0);
  });

  it('hold one budget together: concurrent calls on both never overshoot it, and each alert fires once in all', async () => {
    // USD 100 per 1M tokens: 0.0001 a token; a call reserves its prompt + max_tokens 20.
    const pricePerToken = 100 / 1_000_000;
    const budgetUsd = 0.01;
    const budgetConfig: KeelConfigInput = {
      pricing: { overrides: [{ provider: 'mock', match: 'sim-.*', input: 100, output: 100 }] },
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7, outputTokens: 20 }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      telemetry: { store: { enabled: false } },
      // The real clock: Redis expires counters at the period's end, which must be in the future.
      state: { redis: redisUrl, keyPrefix: `${runPrefix}budget:` },
      budgets: { global: { dailyUsd: budgetUsd } },
    };
    const first = await startKeel(budgetConfig);
    const second = await startKeel(budgetConfig);
    harnesses.push(first, second);
    const alerts: BudgetThresholdEvent[] = [];
    for (const harness of [first, second])
      harness.keel.events.on('budget:threshold', (alert) => alerts.push(alert));
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (index % 2 === 0 ? first : second).client.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 20 })
          .then(
            (completion) => ({ ok: true as const, completion }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
      ),
    );
    await Promise.all([first.keel.policies.budgets?.idle(), second.keel.policies.budgets?.idle()]);
    const answered = outcomes.filter((outcome) => outcome.ok);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(answered.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.error).toBeInstanceOf(APIError);
      expect((outcome.error as APIError).code).toBe('KEEL_BUDGET_EXCEEDED');
    }
    let spentUsd = 0;
    let worstCaseUsd = 0;
    for (const outcome of answered) {
      const usage = outcome.completion.usage;
      spentUsd += ((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0)) * pricePerToken;
      worstCaseUsd = Math.max(worstCaseUsd, ((usage?.prompt_tokens ?? 0) + 20) * pricePerToken);
    }
    expect(spentUsd).toBeLessThanOrEqual(budgetUsd + worstCaseUsd + 1e-9);
    // Both instances read the same counter: what each says was spent is what both spent.
    for (const harness of [first, second]) {
      const status = (await harness.keel.policies.budgets?.status(Date.now()))?.find(
        (row) => row.period === 'day',
      );
      expect(status?.spentUsd).toBeCloseTo(spentUsd, 9);
    }
    const fired = alerts.map((alert) => alert.thresholdPercent).sort((a, b) => a - b);
    expect(new Set(fired).size).toBe(fired.length);
    expect(fired).toContain(100);
  });
});
