// The state policies share across replicas: rate buckets, budget counters, once-flags, the response cache and breaker decisions.

/** `limit` units per `windowMs`, with a burst of at most `limit` (a full bucket). */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** What a rate bucket said to one take. */
export interface RateDecision {
  allowed: boolean;
  /** Units left right after this take (0 when refused). */
  remaining: number;
  /** Until the bucket is full again, ms (OpenAI's x-ratelimit-reset-*). */
  resetMs: number;
  /** When refused: the wait before the same take could succeed, ms; 0 when allowed. */
  retryAfterMs: number;
}

/** One replica's open/closed decision for a target, as the other replicas read it. */
export interface SharedBreakerState {
  status: 'open' | 'closed';
  /** Open: when the publishing replica lets probes through again (epoch ms). */
  untilMs?: number | undefined;
  reason?: string | undefined;
  /** The replica that published it. */
  origin: string;
  /** When it was published (epoch ms); tells two decisions of one replica apart. */
  atMs: number;
}

/**
 * One interface, two implementations: in memory (one process, the default) and Redis (several
 * replicas; atomic Lua scripts). Both pass the same contract tests (shared-state.contract.ts).
 * Times are epoch ms from the caller's clock, so tests can move time; replicas are assumed to keep
 * their clocks in step (NTP), as any rate limiter shared by time must.
 *
 * Keys are plain strings chosen by the policies (e.g. "rate:key_3f9a:rpm"); implementations may
 * prefix them. Every call may reject when the backing store is unreachable (Redis down): the policy
 * decides whether to fail open or closed.
 */
export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /**
   * GCRA: takes `cost` units (requests, tokens) from the bucket at `key`, all or nothing. A cost
   * above `limit.limit` is never allowed (retryAfterMs is the whole window). A negative cost gives
   * units back (always allowed; a bucket never holds more than `limit.limit`).
   */
  takeRate(key: string, limit: RateLimit, cost: number, nowMs: number): Promise<RateDecision>;
  /**
   * Adds `amount` to the counter at `key` only if the total stays at or under `max` (a budget
   * reservation). The counter lives until `expiresAtMs` (the end of its period).
   */
  reserve(
    key: string,
    options: { amount: number; max: number; expiresAtMs: number },
  ): Promise<{ reserved: boolean; total: number }>;
  /** Adds `delta` (negative to release) unconditionally; returns the new total. */
  add(key: string, delta: number, expiresAtMs: number): Promise<number>;
  /** The counter's total; 0 when absent or expired. */
  get(key: string, nowMs: number): Promise<number>;
  /** Sets `key` when absent; true only for the caller that set it (an alert fired once per period). */
  setOnce(key: string, expiresAtMs: number): Promise<boolean>;
  /** A cached value, or undefined when absent or expired. */
  cacheGet(key: string, nowMs: number): Promise<string | undefined>;
  cacheSet(key: string, value: string, expiresAtMs: number): Promise<void>;
  /**
   * Publishes a breaker decision for `target`, replacing the previous one (one entry per target);
   * it reads as absent from `expiresAtMs` on.
   */
  publishBreaker(target: string, state: SharedBreakerState, expiresAtMs: number): Promise<void>;
  /** Every target's latest breaker decision that has not expired by `nowMs`. */
  readBreakers(nowMs: number): Promise<Map<string, SharedBreakerState>>;
  close(): Promise<void>;
}
