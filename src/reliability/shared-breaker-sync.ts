// Shares circuit-breaker open/closed decisions between replicas through the SharedState; failure counts stay local.
import type { Clock, Scheduler } from '../spec/index.js';
import type { SharedBreakerState, SharedState } from '../state/shared-state.js';
import type { BreakerRegistry, BreakerTransition } from './breaker-registry.js';
import type { BreakerStatus } from './circuit-breaker.js';

/** What a replica does with another replica's decision it has just read. */
export type SharedBreakerAction = 'trip' | 'reset' | 'keep';

/**
 * The decision, a pure function: another replica's open breaker (still within its cooldown) opens
 * a local breaker that is closed; another replica's closed breaker closes a local breaker only if
 * that one was opened by sync, never one opened by its own failures. This replica's own
 * decisions are ignored.
 */
export function decideSharedBreaker(options: {
  shared: SharedBreakerState;
  local: BreakerStatus;
  /** The local breaker is open (or probing) because sync opened it. */
  trippedBySync: boolean;
  replicaId: string;
  nowMs: number;
}): SharedBreakerAction {
  const { shared, local, trippedBySync, replicaId, nowMs } = options;
  if (shared.origin === replicaId) return 'keep';
  if (shared.status === 'open') {
    return local === 'closed' && shared.untilMs !== undefined && shared.untilMs > nowMs ? 'trip' : 'keep';
  }
  return trippedBySync && local !== 'closed' ? 'reset' : 'keep';
}

export interface SharedBreakerSyncOptions {
  breakers: Pick<BreakerRegistry, 'status' | 'trip' | 'reset'>;
  state: Pick<SharedState, 'publishBreaker' | 'readBreakers'>;
  clock: Pick<Clock, 'now'>;
  scheduler: Scheduler;
  /** Names this replica in what it publishes (e.g. "host:pid:random"). */
  replicaId: string;
  /** The breakers' cooldown: how long a published open decision holds, ms. */
  cooldownMs: number;
  /** How often to read the other replicas' decisions, ms. */
  syncIntervalMs: number;
  /** A state call failed (Redis down); requests are never affected. Must not throw. */
  onError: (error: unknown, operation: 'publish' | 'read') => void;
}

/**
 * Publishes this replica's breaker openings and closings (failures, recoveries and operator trips
 * and resets alike; not half-open probes) and, every `syncIntervalMs`, applies the decisions other
 * replicas published. Publishing happens off the request path (Scheduler.soon); transitions that
 * sync itself causes are not published again, so replicas do not echo each other.
 *
 * @example
 * const sync = new SharedBreakerSync({ breakers, state, clock, scheduler: timerScheduler, replicaId, cooldownMs: 30_000, syncIntervalMs: 2_000, onError });
 * events.on('breaker:transition', (transition) => sync.onTransition(transition));
 * sync.start();
 */
export class SharedBreakerSync {
  readonly #options: SharedBreakerSyncOptions;
  /** Decisions waiting to be published, latest per target. */
  readonly #pending = new Map<string, { state: SharedBreakerState; expiresAtMs: number }>();
  /** Targets whose local breaker sync opened (and which a shared close may therefore close). */
  readonly #trippedBySync = new Set<string>();
  /** The last shared decision read per target: each is acted on once, when first read. */
  readonly #seen = new Map<string, string>();
  #applying = false;
  #flushQueued = false;
  #work: Promise<void> = Promise.resolve();
  #reading: Promise<void> | undefined;
  #cancel: (() => void) | undefined;
  #stopped = false;

  constructor(options: SharedBreakerSyncOptions) {
    this.#options = options;
  }

  /** Starts reading the other replicas' decisions every syncIntervalMs. */
  start(): void {
    if (this.#cancel !== undefined || this.#stopped) return;
    this.#cancel = this.#options.scheduler.every(this.#options.syncIntervalMs, () => {
      void this.syncNow();
    });
  }

  /** Feed every breaker transition here; this replica's own openings and closings get published. */
  onTransition(transition: BreakerTransition): void {
    if (this.#applying || transition.to === 'half-open') return;
    const { target, atMs, reason } = transition;
    // The breaker's state is its own again: a later shared close must not reset a local failure.
    this.#trippedBySync.delete(target);
    const { replicaId, cooldownMs, syncIntervalMs } = this.#options;
    if (transition.to === 'open') {
      const untilMs = atMs + cooldownMs;
      this.#publish(target, { status: 'open', untilMs, reason, origin: replicaId, atMs }, untilMs);
    } else {
      // Long enough for every replica to read it a few times over.
      const expiresAtMs = atMs + cooldownMs + 10 * syncIntervalMs;
      this.#publish(target, { status: 'closed', reason, origin: replicaId, atMs }, expiresAtMs);
    }
  }

  /** Reads the shared decisions once and applies the new ones (the timer calls this). */
  syncNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /** Resolves once the writes started so far and the read in flight have ended. */
  async idle(): Promise<void> {
    await Promise.all([this.#work, this.#reading]);
  }

  /** Stops the timer, publishes what is pending, and waits for state calls in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    this.#flush();
    await this.idle();
  }

  async #read(): Promise<void> {
    let shared: Map<string, SharedBreakerState>;
    const nowMs = this.#options.clock.now();
    try {
      shared = await this.#options.state.readBreakers(nowMs);
    } catch (error) {
      this.#options.onError(error, 'read');
      return;
    }
    if (this.#stopped) return;
    for (const [target, decision] of shared) this.#apply(target, decision, this.#options.clock.now());
  }

  #apply(target: string, shared: SharedBreakerState, nowMs: number): void {
    const identity = `${shared.origin}\u0000${shared.status}\u0000${shared.atMs}`;
    if (this.#seen.get(target) === identity) return;
    this.#seen.set(target, identity);
    const { breakers, replicaId } = this.#options;
    const action = decideSharedBreaker({
      shared,
      local: breakers.status(target),
      trippedBySync: this.#trippedBySync.has(target),
      replicaId,
      nowMs,
    });
    if (action === 'keep') return;
    const why = shared.reason === undefined ? '' : `: ${shared.reason}`;
    this.#applying = true;
    try {
      if (action === 'trip') {
        breakers.trip(target, `opened by replica ${shared.origin}${why}`);
        this.#trippedBySync.add(target);
      } else {
        breakers.reset(target, `closed by replica ${shared.origin}${why}`);
        this.#trippedBySync.delete(target);
      }
    } finally {
      this.#applying = false;
    }
  }

  #publish(target: string, state: SharedBreakerState, expiresAtMs: number): void {
    this.#pending.set(target, { state, expiresAtMs });
    if (this.#flushQueued || this.#stopped) return;
    this.#flushQueued = true;
    // Transitions happen on the request path; the write happens after it.
    this.#options.scheduler.soon(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#pending.size === 0) return;
    const batch = [...this.#pending];
    this.#pending.clear();
    const { state, onError } = this.#options;
    // One write after another, so a target's decisions reach the store in the order they were made.
    this.#work = this.#work.then(async () => {
      for (const [target, entry] of batch) {
        try {
          await state.publishBreaker(target, entry.state, entry.expiresAtMs);
        } catch (error) {
          onError(error, 'publish');
        }
      }
    });
  }
}
