// Holds one circuit breaker per target and reports every state change.
import type { Clock } from '../spec/index.js';
import {
  admit,
  closedBreaker,
  reset,
  settle,
  trip,
  windowCounts,
  type BreakerSettings,
  type BreakerState,
  type BreakerStatus,
  type CallOutcome,
} from './circuit-breaker.js';

export interface BreakerTransition {
  target: string;
  from: BreakerStatus;
  to: BreakerStatus;
  reason: string;
  atMs: number;
}

export interface BreakerSnapshot {
  target: string;
  status: BreakerStatus;
  reason: string;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  openedAt: string | undefined;
}

/**
 * The breakers of all targets, keyed by target label ("provider/model").
 * @example const breakers = new BreakerRegistry({ settings, clock, onTransition: (t) => bus.emit(...) })
 */
export class BreakerRegistry {
  readonly #states = new Map<string, BreakerState>();
  readonly #settings: BreakerSettings;
  readonly #clock: Clock;
  readonly #onTransition: (transition: BreakerTransition) => void;

  constructor(options: {
    settings: BreakerSettings;
    clock: Clock;
    onTransition?: (transition: BreakerTransition) => void;
  }) {
    this.#settings = options.settings;
    this.#clock = options.clock;
    this.#onTransition = options.onTransition ?? (() => undefined);
  }

  /**
   * Asks to call `target` now. Returns a ticket (the breaker generation) to hand back to `settle`
   * when the call ends, or undefined when the breaker refuses the call.
   */
  admit(target: string): number | undefined {
    const state = this.#states.get(target) ?? closedBreaker;
    if (state.status === 'closed') return state.generation;
    const decision = admit(state, this.#clock.now(), this.#settings);
    this.#store(target, state, decision.state);
    return decision.allowed ? decision.state.generation : undefined;
  }

  /** Records how an admitted call ended; `ticket` is what `admit` returned (default: now's generation). */
  settle(target: string, outcome: CallOutcome, ticket?: number): void {
    const state = this.#states.get(target) ?? closedBreaker;
    this.#store(target, state, settle(state, outcome, this.#clock.now(), this.#settings, ticket));
  }

  status(target: string): BreakerStatus {
    return (this.#states.get(target) ?? closedBreaker).status;
  }

  trip(target: string, reason?: string): void {
    const state = this.#states.get(target) ?? closedBreaker;
    this.#store(target, state, trip(state, this.#clock.now(), reason));
  }

  reset(target: string, reason?: string): void {
    const state = this.#states.get(target) ?? closedBreaker;
    this.#store(target, state, reset(state, reason));
  }

  snapshot(target: string): BreakerSnapshot {
    const state = this.#states.get(target) ?? closedBreaker;
    const counts = windowCounts(state, this.#clock.now(), this.#settings);
    return {
      target,
      status: state.status,
      reason: state.reason,
      consecutiveFailures: state.consecutiveFailures,
      windowCalls: counts.calls,
      windowFailures: counts.failures,
      openedAt: state.openedAtMs === undefined ? undefined : new Date(state.openedAtMs).toISOString(),
    };
  }

  #store(target: string, before: BreakerState, after: BreakerState): void {
    if (after === before) return;
    this.#states.set(target, after);
    if (after.status !== before.status) {
      this.#onTransition({
        target,
        from: before.status,
        to: after.status,
        reason: after.reason,
        atMs: this.#clock.now(),
      });
    }
  }
}
