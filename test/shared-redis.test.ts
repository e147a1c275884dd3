// Two Keel instances sharing one Redis (the local server): one's cached answer is served by the other.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
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
});
