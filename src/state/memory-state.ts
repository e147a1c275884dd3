// SharedState in this process's memory: the single-process default (lost at exit, shared with no one).
import type { RateDecision, RateLimit, SharedBreakerState, SharedState } from './shared-state.js';

interface Counter {
  total: number;
  expiresAtMs: number;
}

interface CacheEntry {
  value: string;
  expiresAtMs: number;
}

/** Drops expired counters and flags once this many writes have happened since the last sweep. */
const sweepEveryWrites = 10_000;

/**
 * Maps, with expiry checked on read and swept every 10,000 writes; the cache is an LRU bounded by
 * entries and by characters. Operations are synchronous inside, so each is atomic.
 *
 * @example
 * const state = new MemoryState({ now: () => clock.now() });
 * const decision = await state.takeRate('rate:key_1:rpm', { limit: 60, windowMs: 60_000 }, 1, clock.now());
 */
export class MemoryState implements SharedState {
  readonly kind = 'memory';
  readonly #now: () => number;
  /** GCRA theoretical arrival time per bucket, with when it stops mattering. */
  readonly #buckets = new Map<string, Counter>();
  readonly #counters = new Map<string, Counter>();
  readonly #cache = new Map<string, CacheEntry>();
  readonly #breakers = new Map<string, { state: SharedBreakerState; expiresAtMs: number }>();
  readonly #maxCacheEntries: number;
  readonly #maxCacheChars: number;
  #cacheChars = 0;
  #writes = 0;

  constructor(
    options: {
      /** For sweeping expired entries; reads use the nowMs they are given. Default Date.now. */
      now?: () => number;
      /** Most cache entries kept. Default 10,000. */
      maxCacheEntries?: number;
      /** Most characters of cached values kept. Default 100 million (about 200 MB). */
      maxCacheChars?: number;
    } = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#maxCacheEntries = options.maxCacheEntries ?? 10_000;
    this.#maxCacheChars = options.maxCacheChars ?? 100_000_000;
  }

  takeRate(key: string, limit: RateLimit, cost: number, nowMs: number): Promise<RateDecision> {
    const intervalMs = limit.windowMs / limit.limit;
    const stored = this.#buckets.get(key);
    const tatMs = stored === undefined || stored.expiresAtMs <= nowMs ? nowMs : Math.max(stored.total, nowMs);
    const decision = decideRate({ tatMs, nowMs, intervalMs, limit, cost });
    if (decision.allowed) {
      const newTatMs = tatMs + cost * intervalMs;
      this.#buckets.set(key, { total: newTatMs, expiresAtMs: newTatMs });
      this.#wrote();
    }
    return Promise.resolve(decision.result);
  }

  reserve(
    key: string,
    options: { amount: number; max: number; expiresAtMs: number },
  ): Promise<{ reserved: boolean; total: number }> {
    const counter = this.#live(key, this.#now());
    const total = counter?.total ?? 0;
    if (total + options.amount > options.max) return Promise.resolve({ reserved: false, total });
    this.#counters.set(key, { total: total + options.amount, expiresAtMs: options.expiresAtMs });
    this.#wrote();
    return Promise.resolve({ reserved: true, total: total + options.amount });
  }

  add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    const total = (this.#live(key, this.#now())?.total ?? 0) + delta;
    this.#counters.set(key, { total, expiresAtMs });
    this.#wrote();
    return Promise.resolve(total);
  }

  get(key: string, nowMs: number): Promise<number> {
    return Promise.resolve(this.#live(key, nowMs)?.total ?? 0);
  }

  setOnce(key: string, expiresAtMs: number): Promise<boolean> {
    if (this.#live(key, this.#now()) !== undefined) return Promise.resolve(false);
    this.#counters.set(key, { total: 1, expiresAtMs });
    this.#wrote();
    return Promise.resolve(true);
  }

  cacheGet(key: string, nowMs: number): Promise<string | undefined> {
    const entry = this.#cache.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    if (entry.expiresAtMs <= nowMs) {
      this.#deleteCached(key, entry);
      return Promise.resolve(undefined);
    }
    // Most recently used last: Map keeps insertion order.
    this.#cache.delete(key);
    this.#cache.set(key, entry);
    return Promise.resolve(entry.value);
  }

  cacheSet(key: string, value: string, expiresAtMs: number): Promise<void> {
    if (value.length > this.#maxCacheChars) return Promise.resolve();
    const existing = this.#cache.get(key);
    if (existing !== undefined) this.#deleteCached(key, existing);
    this.#cache.set(key, { value, expiresAtMs });
    this.#cacheChars += value.length;
    for (const [oldest, entry] of this.#cache) {
      if (this.#cache.size <= this.#maxCacheEntries && this.#cacheChars <= this.#maxCacheChars) break;
      this.#deleteCached(oldest, entry);
    }
    return Promise.resolve();
  }

  publishBreaker(target: string, state: SharedBreakerState, expiresAtMs: number): Promise<void> {
    this.#breakers.set(target, { state: { ...state }, expiresAtMs });
    return Promise.resolve();
  }

  readBreakers(nowMs: number): Promise<Map<string, SharedBreakerState>> {
    const live = new Map<string, SharedBreakerState>();
    for (const [target, entry] of this.#breakers) {
      if (entry.expiresAtMs <= nowMs) this.#breakers.delete(target);
      else live.set(target, { ...entry.state });
    }
    return Promise.resolve(live);
  }

  close(): Promise<void> {
    this.#breakers.clear();
    this.#buckets.clear();
    this.#counters.clear();
    this.#cache.clear();
    this.#cacheChars = 0;
    return Promise.resolve();
  }

  #live(key: string, nowMs: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter === undefined) return undefined;
    if (counter.expiresAtMs <= nowMs) {
      this.#counters.delete(key);
      return undefined;
    }
    return counter;
  }

  #deleteCached(key: string, entry: CacheEntry): void {
    this.#cache.delete(key);
    this.#cacheChars -= entry.value.length;
  }

  #wrote(): void {
    if (++this.#writes < sweepEveryWrites) return;
    this.#writes = 0;
    const nowMs = this.#now();
    for (const [key, counter] of this.#counters) if (counter.expiresAtMs <= nowMs) this.#counters.delete(key);
    for (const [key, bucket] of this.#buckets) if (bucket.expiresAtMs <= nowMs) this.#buckets.delete(key);
  }
}

/**
 * The GCRA decision, shared with the Redis script's logic (keep the two in step): a bucket whose
 * theoretical arrival time is `tatMs` admits `cost` units at `nowMs` when the new arrival time is
 * no more than one window ahead of now.
 */
export function decideRate(options: {
  tatMs: number;
  nowMs: number;
  intervalMs: number;
  limit: RateLimit;
  cost: number;
}): { allowed: boolean; result: RateDecision } {
  const { tatMs, nowMs, intervalMs, limit, cost } = options;
  if (cost > limit.limit) {
    return {
      allowed: false,
      result: {
        allowed: false,
        remaining: 0,
        resetMs: Math.max(0, tatMs - nowMs),
        retryAfterMs: limit.windowMs,
      },
    };
  }
  const newTatMs = tatMs + cost * intervalMs;
  const allowAtMs = newTatMs - limit.windowMs;
  if (nowMs < allowAtMs) {
    const remaining = Math.max(0, Math.floor((limit.windowMs - (tatMs - nowMs)) / intervalMs));
    return {
      allowed: false,
      result: {
        allowed: false,
        remaining,
        resetMs: Math.max(0, tatMs - nowMs),
        retryAfterMs: allowAtMs - nowMs,
      },
    };
  }
  const remaining = Math.max(0, Math.floor((limit.windowMs - (newTatMs - nowMs)) / intervalMs + 1e-9));
  return { allowed: true, result: { allowed: true, remaining, resetMs: newTatMs - nowMs, retryAfterMs: 0 } };
}
