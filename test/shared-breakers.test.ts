// Two Keel instances sharing one Redis (the local server): a breaker tripped or reset on one follows on the other.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Each run's own Redis keys, deleted at the end. */
const runPrefix = `keel-test:${randomUUID()}:`;
const target = 'sim/sim-1';

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

function config(keyPrefix: string, shareBreakers?: boolean): KeelConfigInput {
  return {
    providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 2, p99: 5 }, seed: 9 }],
    models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    state: { redis: redisUrl, keyPrefix, breakerSyncIntervalMs: 50, shareBreakers },
  };
}

async function post(url: string, action: 'trip' | 'reset', reason: string): Promise<Response> {
  return fetch(`${url}/api/breakers/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ target, reason }),
  });
}

/** The target's breaker as GET /health reports it. */
async function health(url: string): Promise<{ status: string; reason: string } | undefined> {
  const body = (await (await fetch(`${url}/health`)).json()) as {
    targets: { target: string; status: string; reason: string }[];
  };
  return body.targets.find((entry) => entry.target === target);
}

describe('two Keel instances sharing breaker decisions through Redis', () => {
  it('a trip on one opens the breaker on the other, and a reset closes it again', async () => {
    const keyPrefix = `${runPrefix}breakers:`;
    const first = await startKeel(config(keyPrefix));
    const second = await startKeel(config(keyPrefix));
    harnesses.push(first, second);
    expect(await health(second.url)).toMatchObject({ status: 'closed' });

    expect((await post(first.url, 'trip', 'maintenance')).status).toBe(200);
    await expect.poll(async () => (await health(second.url))?.status).toBe('open');
    expect((await health(second.url))?.reason).toMatch(/^opened by replica .+: maintenance$/);
    // The second instance refuses calls to the target, as the first does.
    const refused = await fetch(`${second.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(503);

    expect((await post(first.url, 'reset', 'fixed')).status).toBe(200);
    await expect.poll(async () => (await health(second.url))?.status).toBe('closed');
    expect((await health(second.url))?.reason).toMatch(/^closed by replica .+: fixed$/);
    expect(await health(first.url)).toMatchObject({ status: 'closed', reason: 'fixed' });
  });

  it('shares nothing when state.shareBreakers is false', async () => {
    const keyPrefix = `${runPrefix}unshared:`;
    const first = await startKeel(config(keyPrefix, false));
    const second = await startKeel(config(keyPrefix, false));
    harnesses.push(first, second);
    expect(first.keel.breakerSync).toBeUndefined();
    await post(first.url, 'trip', 'maintenance');
    // Nothing was published for the other instance to read.
    const admin = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    try {
      expect(await admin.exists(`${keyPrefix}breakers`)).toBe(0);
    } finally {
      await admin.quit();
    }
    expect(await health(second.url)).toMatchObject({ status: 'closed' });
  });
});
