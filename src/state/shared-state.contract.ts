// The behaviour every SharedState must show; each implementation's test file runs this suite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SharedState } from './shared-state.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const minute = { limit: 3, windowMs: 60_000 };

/** Registers the contract tests for one implementation. `create` gets a fresh, empty state each time. */
export function describeSharedStateContract(
  name: string,
  create: () => Promise<SharedState> | SharedState,
): void {
  describe(`SharedState contract: ${name}`, () => {
    let state: SharedState;
    let prefix: string;
    let counter = 0;
    beforeEach(async () => {
      state = await create();
      // Distinct keys per test, so implementations backed by a shared server need no flush.
      prefix = `contract:${Date.now()}:${counter++}:`;
    });
    afterEach(async () => {
      await state.close();
    });

    it('rate: admits a full bucket at once, then one unit per interval, all or nothing', async () => {
      const key = `${prefix}rate`;
      const first = await state.takeRate(key, minute, 1, T0);
      expect(first).toEqual({ allowed: true, remaining: 2, resetMs: 20_000, retryAfterMs: 0 });
      expect((await state.takeRate(key, minute, 2, T0)).remaining).toBe(0);
      const refused = await state.takeRate(key, minute, 1, T0);
      expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 20_000 });
      expect((await state.takeRate(key, minute, 1, T0 + 19_999)).allowed).toBe(false);
      expect((await state.takeRate(key, minute, 1, T0 + 20_000)).allowed).toBe(true);
      // Two units need two intervals: refused whole, nothing taken.
      const two = await state.takeRate(key, minute, 2, T0 + 30_000);
      expect(two).toMatchObject({ allowed: false, retryAfterMs: 30_000 });
      expect((await state.takeRate(key, minute, 1, T0 + 40_000)).allowed).toBe(true);
    });

    it('rate: a cost above the limit is never admitted; buckets are independent', async () => {
      expect(await state.takeRate(`${prefix}big`, minute, 4, T0)).toMatchObject({
        allowed: false,
        retryAfterMs: 60_000,
      });
      expect((await state.takeRate(`${prefix}big`, minute, 3, T0)).allowed).toBe(true);
      expect((await state.takeRate(`${prefix}other`, minute, 3, T0)).allowed).toBe(true);
    });

    it('rate: a negative cost gives units back (a policy undoing a take), never past a full bucket', async () => {
      const key = `${prefix}refund`;
      const two = { limit: 2, windowMs: 60_000 };
      expect((await state.takeRate(key, two, 2, T0)).allowed).toBe(true);
      expect((await state.takeRate(key, two, 1, T0)).allowed).toBe(false);
      expect(await state.takeRate(key, two, -1, T0)).toMatchObject({ allowed: true, remaining: 1 });
      expect((await state.takeRate(key, two, 1, T0)).allowed).toBe(true);
      // Long after, the bucket is full again; giving back more does not make it hold more than its limit.
      await state.takeRate(key, two, -2, T0 + 120_000);
      expect((await state.takeRate(key, two, 2, T0 + 120_000)).allowed).toBe(true);
      expect((await state.takeRate(key, two, 1, T0 + 120_000)).allowed).toBe(false);
    });

    it('reserve: adds only while the total stays under the max; add settles and releases', async () => {
      const key = `${prefix}budget`;
      const expiresAtMs = Date.now() + 60_000;
      expect(await state.reserve(key, { amount: 4, max: 10, expiresAtMs })).toEqual({
        reserved: true,
        total: 4,
      });
      expect(await state.reserve(key, { amount: 6, max: 10, expiresAtMs })).toEqual({
        reserved: true,
        total: 10,
      });
      expect(await state.reserve(key, { amount: 0.5, max: 10, expiresAtMs })).toEqual({
        reserved: false,
        total: 10,
      });
      expect(await state.add(key, -6, expiresAtMs)).toBe(4);
      expect(await state.add(key, 1.25, expiresAtMs)).toBe(5.25);
      expect(await state.get(key, Date.now())).toBe(5.25);
      expect(await state.get(`${prefix}absent`, Date.now())).toBe(0);
    });

    it('reserve: concurrent reservations never pass the max together', async () => {
      const key = `${prefix}race`;
      const expiresAtMs = Date.now() + 60_000;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => state.reserve(key, { amount: 1, max: 20, expiresAtMs })),
      );
      expect(results.filter((result) => result.reserved)).toHaveLength(20);
      expect(await state.get(key, Date.now())).toBe(20);
    });

    it('setOnce: true for exactly one caller per key', async () => {
      const expiresAtMs = Date.now() + 60_000;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => state.setOnce(`${prefix}alert`, expiresAtMs)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await state.setOnce(`${prefix}alert-2`, expiresAtMs)).toBe(true);
    });

    it('cache: returns what was set until it expires', async () => {
      const nowMs = Date.now();
      await state.cacheSet(`${prefix}answer`, '{"text":"hi"}', nowMs + 60_000);
      expect(await state.cacheGet(`${prefix}answer`, nowMs)).toBe('{"text":"hi"}');
      expect(await state.cacheGet(`${prefix}missing`, nowMs)).toBeUndefined();
      await state.cacheSet(`${prefix}answer`, 'second', nowMs + 60_000);
      expect(await state.cacheGet(`${prefix}answer`, nowMs)).toBe('second');
    });

    it('breakers: one latest decision per target, each until its own expiry', async () => {
      const nowMs = Date.now();
      const open = `${prefix}sim/open`;
      const closed = `${prefix}sim/closed`;
      const openState = {
        status: 'open' as const,
        untilMs: nowMs + 30_000,
        reason: 'x',
        origin: 'a',
        atMs: nowMs,
      };
      await state.publishBreaker(open, openState, nowMs + 30_000);
      await state.publishBreaker(closed, { status: 'open', origin: 'a', atMs: nowMs }, nowMs + 30_000);
      await state.publishBreaker(closed, { status: 'closed', origin: 'b', atMs: nowMs + 1 }, nowMs + 5_000);
      const read = await state.readBreakers(nowMs);
      expect(read.get(open)).toEqual(openState);
      expect(read.get(closed)).toEqual({ status: 'closed', origin: 'b', atMs: nowMs + 1 });
      expect(read.has(`${prefix}sim/absent`)).toBe(false);
      // The closed decision expires first, by its own time; the open one is still read.
      const later = await state.readBreakers(nowMs + 5_000);
      expect(later.has(closed)).toBe(false);
      expect(later.get(open)).toEqual(openState);
      expect((await state.readBreakers(nowMs + 30_000)).has(open)).toBe(false);
    });
  });
}
