// SharedState in Redis, for several Keel replicas: every read-modify-write is one atomic Lua script.
import { Redis } from 'ioredis';
import { decideRate } from './memory-state.js';
import { redactRedisUrl } from './redact-redis-url.js';
import type { RateDecision, RateLimit, SharedBreakerState, SharedState } from './shared-state.js';

/**
 * Numbers cross Lua as strings written with 17 significant digits: a Lua number returned to Redis
 * is cut to an integer, and tostring() keeps only 14 digits (a tenth of a ms on an epoch-ms TAT,
 * cents lost on large USD totals). 17 digits round-trip a double exactly, so Redis and MemoryState
 * do the same IEEE arithmetic and agree to the last bit (INCRBYFLOAT would use long doubles and
 * round differently, e.g. 0.1 + 0.2).
 */
const luaFormat = `local function fmt(x) return string.format('%.17g', x) end`;

/**
 * GCRA, the same test as decideRate (memory-state.ts) in the same operation order, so both decide
 * alike to the bit. KEYS[1] holds the TAT; ARGV: limit, windowMs, cost, nowMs. The key expires
 * when the TAT passes, measured from the caller's now (PEXPIRE of TAT - now) rather than at the
 * TAT by Redis's clock: a caller whose clock is behind Redis's (a test's fixed clock) would
 * otherwise see its buckets vanish at once. Returns the TAT before this take.
 */
const takeRateScript = `${luaFormat}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then
  local storedTat = tonumber(stored)
  if storedTat > now then tat = storedTat end
end
if cost > limit then return fmt(tat) end
local interval = window / limit
local newTat = tat + cost * interval
if now < newTat - window then return fmt(tat) end
local ttl = math.ceil(newTat - now)
if ttl > 0 then
  redis.call('SET', KEYS[1], fmt(newTat), 'PX', ttl)
else
  redis.call('DEL', KEYS[1])
end
return fmt(tat)`;

/** KEYS[1] counter; ARGV: amount, max, expiresAtMs. Returns { reserved (1/0), total }. */
const reserveScript = `${luaFormat}
local total = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if total + amount > tonumber(ARGV[2]) then return {0, fmt(total)} end
total = total + amount
redis.call('SET', KEYS[1], fmt(total), 'PXAT', ARGV[3])
return {1, fmt(total)}`;

/** KEYS[1] counter; ARGV: delta, expiresAtMs. Returns the new total. */
const addScript = `${luaFormat}
local total = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
redis.call('SET', KEYS[1], fmt(total), 'PXAT', ARGV[2])
return fmt(total)`;

/** KEYS[1] hash; ARGV: field, the value read. Deletes the field only if it still holds that value. */
const deleteIfSameScript = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

/** The hash holding every target's latest breaker decision, one JSON field per target. */
const breakersKey = 'breakers';

/** A breaker field's JSON, or undefined when it is not one (written by something else). */
function parseBreakerEntry(value: string): { state: SharedBreakerState; expiresAtMs: number } | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<SharedBreakerState & { expiresAtMs: number }>;
    const { status, origin, atMs, expiresAtMs } = parsed;
    if (status !== 'open' && status !== 'closed') return undefined;
    if (typeof origin !== 'string' || typeof atMs !== 'number' || typeof expiresAtMs !== 'number') {
      return undefined;
    }
    const state: SharedBreakerState = { status, origin, atMs };
    if (typeof parsed.untilMs === 'number') state.untilMs = parsed.untilMs;
    if (typeof parsed.reason === 'string') state.reason = parsed.reason;
    return { state, expiresAtMs };
  } catch {
    return undefined;
  }
}

interface ScriptedRedis extends Redis {
  keelDeleteIfSame(key: string, field: string, value: string): Promise<number>;
  keelTakeRate(key: string, limit: number, windowMs: number, cost: number, nowMs: number): Promise<string>;
  keelReserve(key: string, amount: number, max: number, expiresAtMs: number): Promise<[number, string]>;
  keelAdd(key: string, delta: number, expiresAtMs: number): Promise<string>;
}

export interface RedisStateOptions {
  /** redis:// or rediss:// URL, credentials and database included. */
  url: string;
  /** Put before every key, so several Keels (or other apps) can share one Redis. Default "keel:". */
  keyPrefix?: string | undefined;
  /** Longest a command may wait for its answer (queued while connecting included), ms. Default 200. */
  commandTimeoutMs?: number | undefined;
  /** Longest a connection attempt may take, ms. Default 2,000. */
  connectTimeoutMs?: number | undefined;
  /** Told when Redis becomes reachable (true) or unreachable (false), with the reason. */
  onAvailabilityChange?: ((up: boolean, reason?: string) => void) | undefined;
}

/**
 * SharedState over one ioredis connection. Commands wait at most `commandTimeoutMs`; while Redis
 * is known to be down (a connection error since the last successful connect) calls reject at
 * once instead of queueing, and the client keeps reconnecting in the background. Rejections say
 * which Redis failed with the password redacted. Counter, flag and cache expiry times are epoch
 * ms taken as absolute (PXAT), so replicas and Redis are assumed to keep their clocks in step.
 *
 * @example
 * const state = new RedisState({ url: 'redis://127.0.0.1:6379', keyPrefix: 'keel:' });
 * const decision = await state.takeRate('rate:model:chat:requests', { limit: 60, windowMs: 60_000 }, 1, Date.now());
 */
export class RedisState implements SharedState {
  readonly kind = 'redis';
  readonly #client: ScriptedRedis;
  readonly #prefix: string;
  readonly #where: string;
  readonly #onAvailabilityChange: RedisStateOptions['onAvailabilityChange'];
  #up = false;
  /** A connection error happened since the last successful connect: fail fast. */
  #down = false;
  #lastError = 'not connected yet';
  #closing = false;

  constructor(options: RedisStateOptions) {
    this.#prefix = options.keyPrefix ?? 'keel:';
    this.#where = redactRedisUrl(options.url);
    this.#onAvailabilityChange = options.onAvailabilityChange;
    const client = new Redis(options.url, {
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: options.commandTimeoutMs ?? 200,
      // Queued while connecting, but never past commandTimeout; and failed at once once down (#down).
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      // Keep trying to come back, at most a second apart.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      lazyConnect: false,
    });
    client.defineCommand('keelTakeRate', { numberOfKeys: 1, lua: takeRateScript });
    client.defineCommand('keelReserve', { numberOfKeys: 1, lua: reserveScript });
    client.defineCommand('keelAdd', { numberOfKeys: 1, lua: addScript });
    client.defineCommand('keelDeleteIfSame', { numberOfKeys: 1, lua: deleteIfSameScript });
    this.#client = client as ScriptedRedis;
    client.on('ready', () => this.#setUp(true));
    // Without an 'error' listener ioredis prints every failed reconnect to the console.
    client.on('error', (error: Error) => this.#setUp(false, error.message));
    client.on('close', () => {
      if (!this.#closing) this.#setUp(false, this.#lastError === '' ? 'connection closed' : this.#lastError);
    });
  }

  /** True while connected and ready (the keel_state_up gauge). */
  get up(): boolean {
    return this.#up;
  }

  /** The Redis URL with the password redacted. */
  get where(): string {
    return this.#where;
  }

  async takeRate(key: string, limit: RateLimit, cost: number, nowMs: number): Promise<RateDecision> {
    const tat = await this.#run('takeRate', () =>
      this.#client.keelTakeRate(this.#prefix + key, limit.limit, limit.windowMs, cost, nowMs),
    );
    // The script took (or not) by the same test in the same arithmetic, so decideRate on the TAT it
    // read gives the same verdict, and the headers' figures exactly as MemoryState computes them.
    const tatMs = Number(tat);
    return decideRate({ tatMs, nowMs, intervalMs: limit.windowMs / limit.limit, limit, cost }).result;
  }

  async reserve(
    key: string,
    options: { amount: number; max: number; expiresAtMs: number },
  ): Promise<{ reserved: boolean; total: number }> {
    const [reserved, total] = await this.#run('reserve', () =>
      this.#client.keelReserve(
        this.#prefix + key,
        options.amount,
        options.max,
        Math.ceil(options.expiresAtMs),
      ),
    );
    return { reserved: reserved === 1, total: Number(total) };
  }

  async add(key: string, delta: number, expiresAtMs: number): Promise<number> {
    const total = await this.#run('add', () =>
      this.#client.keelAdd(this.#prefix + key, delta, Math.ceil(expiresAtMs)),
    );
    return Number(total);
  }

  async get(key: string, _nowMs: number): Promise<number> {
    const value = await this.#run('get', () => this.#client.get(this.#prefix + key));
    return value === null ? 0 : Number(value);
  }

  async setOnce(key: string, expiresAtMs: number): Promise<boolean> {
    const set = await this.#run('setOnce', () =>
      this.#client.set(this.#prefix + key, '1', 'PXAT', Math.ceil(expiresAtMs), 'NX'),
    );
    return set === 'OK';
  }

  async cacheGet(key: string, _nowMs: number): Promise<string | undefined> {
    const value = await this.#run('cacheGet', () => this.#client.get(this.#prefix + key));
    return value ?? undefined;
  }

  async cacheSet(key: string, value: string, expiresAtMs: number): Promise<void> {
    await this.#run('cacheSet', () =>
      this.#client.set(this.#prefix + key, value, 'PXAT', Math.ceil(expiresAtMs)),
    );
  }

  async publishBreaker(target: string, state: SharedBreakerState, expiresAtMs: number): Promise<void> {
    const value = JSON.stringify({ ...state, expiresAtMs: Math.ceil(expiresAtMs) });
    await this.#run('publishBreaker', () => this.#client.hset(this.#prefix + breakersKey, target, value));
  }

  async readBreakers(nowMs: number): Promise<Map<string, SharedBreakerState>> {
    const fields = await this.#run('readBreakers', () => this.#client.hgetall(this.#prefix + breakersKey));
    const live = new Map<string, SharedBreakerState>();
    const expired: string[] = [];
    for (const [target, value] of Object.entries(fields)) {
      const entry = parseBreakerEntry(value);
      if (entry === undefined || entry.expiresAtMs <= nowMs) expired.push(target);
      else live.set(target, entry.state);
    }
    // Fields expire by the time inside them (a hash field has no TTL of its own before Redis 7.4).
    // A replica that republished meanwhile loses nothing: only a field still holding what was read goes.
    if (expired.length > 0) {
      await this.#run('readBreakers', () =>
        Promise.all(
          expired.map((target) =>
            this.#client.keelDeleteIfSame(this.#prefix + breakersKey, target, fields[target] ?? ''),
          ),
        ),
      );
    }
    return live;
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#client.status === 'end') return;
    if (this.#client.status !== 'ready') {
      this.#client.disconnect();
      return;
    }
    try {
      await this.#client.quit();
    } catch {
      this.#client.disconnect();
    }
  }

  async #run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.#down && !this.#up) {
      throw new Error(`Redis at ${this.#where} is unreachable (${this.#lastError}); ${operation} not run`);
    }
    try {
      return await command();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Redis at ${this.#where}: ${operation} failed: ${message}`, { cause: error });
    }
  }

  #setUp(up: boolean, reason?: string): void {
    if (reason !== undefined) this.#lastError = reason;
    const changed = up !== this.#up || (!up && !this.#down);
    this.#up = up;
    this.#down = !up;
    if (changed) this.#onAvailabilityChange?.(up, up ? undefined : reason);
  }
}
