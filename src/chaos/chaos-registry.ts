// The injections in force, per provider target; each one drops by itself when it expires.
import type { Clock } from '../spec/index.js';
import type { ChaosFaults, ChaosInjection } from './chaos-injection.js';

/** An injection started or ended (cleared, expired, or replaced by a new one for its target). */
export interface ChaosChange {
  action: 'start' | 'end';
  /** Why it ended; absent for a start. */
  reason?: 'cleared' | 'expired' | 'replaced' | undefined;
  injection: ChaosInjection;
  atMs: number;
}

export interface ChaosRegistryOptions {
  clock: Pick<Clock, 'now'>;
  /** Told of every start and end, synchronously. */
  onChange?: ((change: ChaosChange) => void) | undefined;
}

/** What to inject: the faults, on which target, for how long. */
export interface ChaosRequest extends ChaosFaults {
  target: string;
  forMs: number;
}

/**
 * Holds at most one injection per target. Reads drop the expired ones first, so an injection
 * never outlives its `expiresAtMs` even when nothing calls `sweep`.
 * @example
 * const chaos = new ChaosRegistry({ clock });
 * chaos.inject({ target: 'primary', errorRate: 0.5, forMs: 300_000 });
 * chaos.find('primary', 'gpt-4o-mini'); // the injection, for five minutes
 */
export class ChaosRegistry {
  readonly #injections = new Map<string, ChaosInjection>();
  readonly #clock: Pick<Clock, 'now'>;
  readonly #onChange: ((change: ChaosChange) => void) | undefined;
  #count = 0;

  constructor(options: ChaosRegistryOptions) {
    this.#clock = options.clock;
    this.#onChange = options.onChange;
  }

  /** Starts an injection; one already on the same target ends (reason `replaced`). */
  inject(request: ChaosRequest): ChaosInjection {
    const nowMs = this.#clock.now();
    this.sweep(nowMs);
    const { forMs, ...faults } = request;
    const injection: ChaosInjection = {
      ...faults,
      id: `chaos-${++this.#count}`,
      startedAtMs: nowMs,
      expiresAtMs: nowMs + forMs,
    };
    const previous = this.#injections.get(request.target);
    if (previous !== undefined) this.#end(previous, 'replaced', nowMs);
    this.#injections.set(request.target, injection);
    this.#onChange?.({ action: 'start', injection, atMs: nowMs });
    return injection;
  }

  /** The injection for a call to `providerId`'s `modelId`: the model's own first, else the provider's. */
  find(providerId: string, modelId: string): ChaosInjection | undefined {
    if (this.#injections.size === 0) return undefined;
    this.sweep();
    return this.#injections.get(`${providerId}/${modelId}`) ?? this.#injections.get(providerId);
  }

  /** The injections in force, soonest to expire first. */
  list(): ChaosInjection[] {
    this.sweep();
    return [...this.#injections.values()].sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  }

  /** Ends the injection on `target`, or all of them; returns what ended. */
  clear(target?: string): ChaosInjection[] {
    const nowMs = this.#clock.now();
    this.sweep(nowMs);
    const cleared = [...this.#injections.values()].filter(
      (injection) => target === undefined || injection.target === target,
    );
    for (const injection of cleared) this.#end(injection, 'cleared', nowMs);
    return cleared;
  }

  /** Drops the injections expired at `nowMs`; returns them. */
  sweep(nowMs: number = this.#clock.now()): ChaosInjection[] {
    const expired = [...this.#injections.values()].filter((injection) => injection.expiresAtMs <= nowMs);
    for (const injection of expired) this.#end(injection, 'expired', injection.expiresAtMs);
    return expired;
  }

  #end(injection: ChaosInjection, reason: NonNullable<ChaosChange['reason']>, atMs: number): void {
    this.#injections.delete(injection.target);
    this.#onChange?.({ action: 'end', reason, injection, atMs });
  }
}
