// Rate limits end to end through the official OpenAI SDK: OpenAI's x-ratelimit-* headers, 429 with Retry-After,
// the state's failure modes, and two Keel processes sharing one Redis enforcing one limit together.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import OpenAI, { APIError } from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';
import { startKeelProcess, stopKeelProcesses } from './support/keel-process.js';
import { closedPort } from './support/closed-port.js';

const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const messages = [{ role: 'user' as const, content: 'Hi!!' }];

const base: KeelConfigInput = {
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 3 }],
  models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
  telemetry: { store: { enabled: false } },
};

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Each run's own Redis keys, deleted at the end. */
const runPrefix = `keel-test:${randomUUID()}:`;
afterAll(async () => {
  const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const keys = await admin.keys(`${runPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

/** What a client saw: the status, the headers, and the error's code when refused. */
async function send(
  client: OpenAI,
  maxTokens = 92,
): Promise<{ status: number; headers: Headers; code?: string }> {
  try {
    const { response } = await client.chat.completions
      .create({ model: 'chat', messages, max_tokens: maxTokens })
      .withResponse();
    return { status: response.status, headers: response.headers };
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    const refused = error as APIError<number, Headers>;
    return { status: refused.status, headers: refused.headers, code: String(refused.code) };
  }
}

describe('rate limits', () => {
  it('answers with OpenAI x-ratelimit-* headers, then refuses with 429, Retry-After and the headers', async () => {
    const clock = new ManualClock();
    harness = await startKeel(
      { ...base, rateLimits: { models: [{ model: 'chat', requestsPerMinute: 2, tokensPerMinute: 1_000 }] } },
      { clock },
    );
    const first = await send(harness.client);
    expect(first.status).toBe(200);
    // 8 prompt tokens (estimated) + 92 max_tokens reserved; 1,000 per minute refill 100 in 6 s.
    expect(
      Object.fromEntries([...first.headers].filter(([name]) => name.startsWith('x-ratelimit-'))),
    ).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '30s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '900',
      'x-ratelimit-reset-tokens': '6s',
    });
    clock.advance(1_000);
    const second = await send(harness.client);
    expect(second.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // The first call's unused max_tokens came back when it settled.
    expect(Number(second.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(800);

    const error = await harness.client.chat.completions
      .create({ model: 'chat', messages, max_tokens: 92 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    const refused = error as APIError;
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('KEEL_RATE_LIMITED');
    expect(refused.type).toBe('rate_limit_error');
    expect(refused.message).toContain('Rate limit reached for model "chat" on requests per minute: limit 2');
    // GCRA: one request frees every 30 s, the next at T0 + 30 s, 29 s from now; the bucket is full again at T0 + 60 s.
    expect(refused.headers?.get('retry-after')).toBe('29');
    expect(refused.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers?.get('x-ratelimit-reset-requests')).toBe('59s');
    expect(harness.ended.at(-1)).toMatchObject({ status: 429, errorCode: 'KEEL_RATE_LIMITED' });

    clock.advance(29_000);
    expect((await send(harness.client)).status).toBe(200);
  });

  it('with Redis unreachable, fails open (answer marked degraded) or closed (503), and says so in /metrics', async () => {
    const port = await closedPort();
    const unreachable = { redis: `redis://keel:s3cret@127.0.0.1:${port}`, commandTimeoutMs: 100 };
    harness = await startKeel({
      ...base,
      state: unreachable,
      rateLimits: { models: [{ model: 'chat', requestsPerMinute: 1 }] },
    });
    for (let index = 0; index < 2; index++) {
      const answer = await send(harness.client);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-keel-policy-degraded')).toBe('rate-limit');
      expect(answer.headers.get('x-ratelimit-limit-requests')).toBeNull();
    }
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('keel_state_errors_total{policy="rate-limit",mode="open"} 2');
    expect(metrics).toMatch(/^keel_state_up 0$/m);
    await harness.close();

    harness = await startKeel({
      ...base,
      state: { ...unreachable, failureMode: { rateLimits: 'closed' } },
      rateLimits: { models: [{ model: 'chat', requestsPerMinute: 1 }] },
    });
    const refused = await send(harness.client);
    expect(refused).toMatchObject({ status: 503, code: 'KEEL_STATE_UNAVAILABLE' });
    expect(refused.headers.get('retry-after')).toBe('1');
  });

  it('with Redis reachable, keel_state_up is 1 and the limit holds', async () => {
    harness = await startKeel({
      ...base,
      state: { redis: redisUrl, keyPrefix: `${runPrefix}in-process:` },
      rateLimits: { models: [{ model: 'chat', requestsPerMinute: 1 }] },
    });
    expect((await send(harness.client)).status).toBe(200);
    expect(await send(harness.client)).toMatchObject({ status: 429, code: 'KEEL_RATE_LIMITED' });
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toMatch(/^keel_state_up 1$/m);
    expect(metrics).not.toContain('keel_state_errors_total{');
  });
});

describe('two Keel processes sharing one Redis', () => {
  afterEach(stopKeelProcesses);

  it('enforce one rate limit together: exactly the limit is admitted under concurrent load, the rest get 429 with Retry-After', async () => {
    const limit = 5;
    const dir = mkdtempSync(join(tmpdir(), 'keel-shared-'));
    const configPath = join(dir, 'keel.yaml');
    writeFileSync(
      configPath,
      `
providers:
  - { id: sim, type: mock, latencyMs: { p50: 5, p99: 10 }, seed: 3 }
models:
  - { name: chat, targets: [ { provider: sim, model: sim-1 } ] }
telemetry:
  store: { enabled: false }
state:
  redis: \${KEEL_TEST_SHARED_REDIS}
  keyPrefix: ${JSON.stringify(`${runPrefix}shared:`)}
rateLimits:
  models:
    - { model: chat, requestsPerMinute: ${String(limit)} }
`,
    );
    const env = { KEEL_TEST_SHARED_REDIS: redisUrl };
    const urls = await Promise.all([startKeelProcess(configPath, env), startKeelProcess(configPath, env)]);
    const clients = urls.map(
      (url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 }),
    );
    // 40 calls at once, alternating between the two processes. One request per 12 s refills, and
    // they all arrive within a second or two, so exactly `limit` can be admitted.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, index) => send(clients[index % 2] as OpenAI)),
    );
    const admitted = answers.filter((answer) => answer.status === 200);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(admitted).toHaveLength(limit);
    expect(refused).toHaveLength(40 - limit);
    // Both processes admitted from the one bucket: the last take left it empty. (Remaining counts
    // may repeat: a take whose clock reading is older than the bucket's last one sees less refill.)
    const remaining = admitted.map((answer) => Number(answer.headers.get('x-ratelimit-remaining-requests')));
    expect(Math.min(...remaining)).toBe(0);
    for (const value of remaining) expect(value).toBeLessThan(limit);
    for (const answer of refused) {
      expect(answer.code).toBe('KEEL_RATE_LIMITED');
      const retryAfterSeconds = Number(answer.headers.get('retry-after'));
      expect(retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(retryAfterSeconds).toBeLessThanOrEqual(12);
      expect(answer.headers.get('x-ratelimit-limit-requests')).toBe(String(limit));
    }
    // The refusals came from both processes.
    const refusedBy = new Set(
      answers
        .map((answer, index) => (answer.status === 429 ? index % 2 : undefined))
        .filter((side) => side !== undefined),
    );
    expect(refusedBy.size).toBe(2);
  });
});
