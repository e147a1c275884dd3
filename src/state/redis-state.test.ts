import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryState } from './memory-state.js';
import { redactRedisUrl } from './redact-redis-url.js';
import { RedisState } from './redis-state.js';
import { describeSharedStateContract } from './shared-state.contract.js';
import { closedPort } from '../../test/support/closed-port.js';

const redisUrl = process.env.KEEL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** One prefix per run, so parallel runs on one Redis never meet; deleted at the end. */
const runPrefix = `keel-test:${randomUUID()}:`;
const admin = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });

afterAll(async () => {
  const keys = await admin.keys(`${runPrefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

describeSharedStateContract('RedisState', () => new RedisState({ url: redisUrl, keyPrefix: runPrefix }));

describe('RedisState', () => {
  it('prefixes its keys, and counters and TATs expire', async () => {
    const prefix = `${runPrefix}prefix:`;
    const state = new RedisState({ url: redisUrl, keyPrefix: prefix });
    try {
      await state.add('spent', 2, Date.now() + 60_000);
      await state.takeRate('rate', { limit: 10, windowMs: 60_000 }, 5, 1_000);
      expect(await admin.get(`${prefix}spent`)).toBe('2');
      // The TAT is 30 s ahead of the caller's now: it lives that long from now, whatever Redis's clock says.
      const ttlMs = await admin.pttl(`${prefix}rate`);
      expect(ttlMs).toBeGreaterThan(29_000);
      expect(ttlMs).toBeLessThanOrEqual(30_000);
      expect(await admin.pttl(`${prefix}spent`)).toBeGreaterThan(59_000);
    } finally {
      await state.close();
    }
  });

  it('does the same float arithmetic as MemoryState, to the last bit', async () => {
    const redis = new RedisState({ url: redisUrl, keyPrefix: `${runPrefix}float:` });
    const memory = new MemoryState();
    const expiresAtMs = Date.now() + 60_000;
    try {
      for (const state of [redis, memory]) {
        await state.add('usd', 0.1, expiresAtMs);
        expect(await state.add('usd', 0.2, expiresAtMs)).toBe(0.1 + 0.2);
        expect(await state.reserve('usd', { amount: 1e-9, max: 0.3, expiresAtMs })).toEqual({
          reserved: false,
          total: 0.1 + 0.2,
        });
        expect(await state.get('usd', Date.now())).toBe(0.30000000000000004);
      }
      // A limit whose interval is no whole number of ms (60,000 / 7), at an epoch-ms scale.
      const limit = { limit: 7, windowMs: 60_000 };
      const nowMs = Date.parse('2026-03-01T00:00:00Z');
      for (let step = 0; step < 12; step++) {
        const atMs = nowMs + step * 4_321;
        const cost = (step % 3) + 1;
        expect(await redis.takeRate('rate', limit, cost, atMs)).toEqual(
          await memory.takeRate('rate', limit, cost, atMs),
        );
      }
    } finally {
      await redis.close();
      await memory.close();
    }
  });

  it('rejects at once with a clear error when Redis is unreachable, password redacted, and never hangs', async () => {
    const port = await closedPort();
    const changes: boolean[] = [];
    const state = new RedisState({
      url: `redis://keel:s3cret@127.0.0.1:${port}/0`,
      commandTimeoutMs: 200,
      onAvailabilityChange: (up) => changes.push(up),
    });
    try {
      const first = await state
        .takeRate('rate', { limit: 1, windowMs: 1_000 }, 1, 0)
        .catch((error: unknown) => error);
      expect(first).toBeInstanceOf(Error);
      expect((first as Error).message).toContain(`127.0.0.1:${port}`);
      expect((first as Error).message).not.toContain('s3cret');
      await expect.poll(() => changes).toEqual([false]);
      // Known down: the next calls fail without waiting, every operation alike.
      await expect(state.reserve('budget', { amount: 1, max: 2, expiresAtMs: 1 })).rejects.toThrow(
        /unreachable/,
      );
      await expect(state.get('budget', 0)).rejects.toThrow(/unreachable/);
      await expect(state.cacheGet('answer', 0)).rejects.toThrow(/unreachable/);
      expect(state.up).toBe(false);
    } finally {
      await state.close();
    }
  });

  it('comes back by itself when Redis returns after an outage', async () => {
    const port = await closedPort();
    const startServer = async (): Promise<ChildProcess> => {
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'pipe' },
      );
      await new Promise<void>((resolve, reject) => {
        server.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('Ready to accept connections')) resolve();
        });
        server.on('exit', () => reject(new Error('redis-server exited')));
      });
      return server;
    };
    const stopServer = (server: ChildProcess): Promise<void> =>
      new Promise((resolve) => {
        if (server.exitCode !== null || server.signalCode !== null) return resolve();
        server.on('exit', () => resolve());
        server.kill('SIGKILL');
      });
    let server = await startServer();
    const changes: boolean[] = [];
    const state = new RedisState({
      url: `redis://127.0.0.1:${port}`,
      onAvailabilityChange: (up) => changes.push(up),
    });
    const limit = { limit: 5, windowMs: 60_000 };
    try {
      expect((await state.takeRate('rate', limit, 1, Date.now())).allowed).toBe(true);
      await stopServer(server);
      await expect(state.takeRate('rate', limit, 1, Date.now())).rejects.toThrow(
        /Redis at redis:\/\/127\.0\.0\.1/,
      );
      expect(state.up).toBe(false);
      server = await startServer();
      await expect.poll(() => state.up, { timeout: 10_000 }).toBe(true);
      expect((await state.takeRate('rate', limit, 1, Date.now())).allowed).toBe(true);
      expect(changes).toEqual([true, false, true]);
    } finally {
      await state.close();
      await stopServer(server);
    }
  });

  it('keeps breaker decisions in one hash, dropping expired and unreadable fields when read', async () => {
    const prefix = `${runPrefix}breakers:`;
    const state = new RedisState({ url: redisUrl, keyPrefix: prefix });
    const nowMs = Date.now();
    try {
      await state.publishBreaker(
        'sim/a',
        { status: 'open', untilMs: nowMs + 1_000, origin: 'r1', atMs: nowMs },
        nowMs + 1_000,
      );
      await state.publishBreaker('sim/b', { status: 'closed', origin: 'r1', atMs: nowMs }, nowMs + 60_000);
      await admin.hset(`${prefix}breakers`, 'sim/junk', 'not json');
      const read = await state.readBreakers(nowMs + 1_000);
      expect([...read.keys()]).toEqual(['sim/b']);
      expect((await admin.hkeys(`${prefix}breakers`)).sort()).toEqual(['sim/b']);
    } finally {
      await state.close();
    }
  });

  it('says when it is up', async () => {
    const changes: boolean[] = [];
    const state = new RedisState({ url: redisUrl, onAvailabilityChange: (up) => changes.push(up) });
    try {
      await expect.poll(() => state.up).toBe(true);
      expect(changes).toEqual([true]);
    } finally {
      await state.close();
    }
  });

  it('redacts only the password of a URL', () => {
    expect(redactRedisUrl('redis://user:pa55@cache.internal:6380/2')).toBe(
      'redis://user:***@cache.internal:6380/2',
    );
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url')).not.toContain('not a url');
  });
});
