// Two Keel processes sharing one Redis (the local server): one budget held together, and one's cached answer served by the other.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import OpenAI, { APIError } from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { startKeelProcess, stopKeelProcesses, writeConfigFile } from './support/keel-process.js';

const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Each run's own Redis keys, deleted at the end. */
const runPrefix = `keel-test:${randomUUID()}:`;

afterEach(stopKeelProcesses);
afterAll(async () => {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const keys = await admin.keys(`${runPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

/** Two `keel start` processes on one config; their OpenAI clients and base URLs. */
async function twoProcesses(config: KeelConfigInput): Promise<{ urls: string[]; clients: OpenAI[] }> {
  const path = writeConfigFile(config);
  const urls = await Promise.all([startKeelProcess(path), startKeelProcess(path)]);
  const clients = urls.map(
    (url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 }),
  );
  return { urls, clients };
}

/** The value of a Prometheus sample line, 0 when absent. */
async function sample(url: string, line: string): Promise<number> {
  const body = await (await fetch(`${url}/metrics`)).text();
  const found = body.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('two Keel processes sharing one Redis', () => {
  it('serve each other’s cached answers, plain and streamed', async () => {
    const keyPrefix = `${runPrefix}cache:`;
    const { clients } = await twoProcesses({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 2, p99: 5 }, seed: 9 }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      telemetry: { store: { enabled: false } },
      state: { redis: redisUrl, keyPrefix },
      cache: { enabled: true, ttlMs: 60_000 },
    });
    const [first, second] = clients as [OpenAI, OpenAI];
    const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'What does a gateway do?' }] };

    const fresh = await first.chat.completions.create(ask).withResponse();
    expect(fresh.response.headers.get('x-keel-cache')).toBe('miss');
    const fromOther = await second.chat.completions.create(ask).withResponse();
    expect(fromOther.response.headers.get('x-keel-cache')).toBe('hit');
    // The second process called no provider for it.
    expect(fromOther.response.headers.get('x-keel-attempts')).toBe('0');
    expect(fromOther.data.choices[0]?.message.content).toBe(fresh.data.choices[0]?.message.content);

    // A stream through the second process is cached for the first, and replays as a stream.
    const streamAsk = { ...ask, messages: [{ role: 'user' as const, content: 'Stream it.' }] };
    let streamed = '';
    for await (const chunk of await second.chat.completions.create({ ...streamAsk, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    // The stream is stored once it has ended: wait for its entry to be in Redis.
    const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    await expect.poll(async () => (await admin.keys(`${keyPrefix}cache:v1:*`)).length).toBe(2);
    await admin.quit();
    let replayed = '';
    const replay = await first.chat.completions.create({ ...streamAsk, stream: true }).withResponse();
    expect(replay.response.headers.get('x-keel-cache')).toBe('hit');
    for await (const chunk of replay.data) replayed += chunk.choices[0]?.delta.content ?? '';
    expect(replayed).toBe(streamed);
    expect(streamed.length).toBeGreaterThan(0);
  });

  it('hold one budget together: concurrent calls on both never overshoot it, and each alert fires once in all', async () => {
    // USD 100 per 1M tokens: 0.0001 a token; a call reserves its prompt + max_tokens 20.
    const pricePerToken = 100 / 1_000_000;
    const budgetUsd = 0.01;
    const { urls, clients } = await twoProcesses({
      pricing: { overrides: [{ provider: 'mock', match: 'sim-.*', input: 100, output: 100 }] },
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7, outputTokens: 20 }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      telemetry: { store: { enabled: false } },
      state: { redis: redisUrl, keyPrefix: `${runPrefix}budget:` },
      budgets: { global: { dailyUsd: budgetUsd } },
    });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        (clients[index % 2] as OpenAI).chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 20 })
          .then(
            (completion) => ({ ok: true as const, completion }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
      ),
    );
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
    // Both processes read the one counter: each says what both spent (settles land just after answers).
    for (const url of urls) {
      await expect
        .poll(async () => {
          const body = (await (await fetch(`${url}/api/budgets`)).json()) as {
            budgets: { period: string; spentUsd: number }[];
          };
          return body.budgets.find((row) => row.period === 'day')?.spentUsd ?? 0;
        })
        .toBeCloseTo(spentUsd, 9);
    }
    // Each threshold fired once in all: the two processes' alert counters add up to at most 1.
    for (const threshold of ['80', '90', '95', '100']) {
      const line = `keel_budget_alerts_total{scope="global",threshold="${threshold}"}`;
      const fired = (await sample(urls[0] as string, line)) + (await sample(urls[1] as string, line));
      expect(fired, `threshold ${threshold}`).toBeLessThanOrEqual(1);
      if (threshold === '100') expect(fired).toBe(1);
    }
  });
});
