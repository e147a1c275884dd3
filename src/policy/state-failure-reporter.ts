// What a policy does and says when the shared state fails: count it, warn at most once a minute, and the 503 of fail-closed.
import type { FailureMode } from '../config/state-schema.js';
import { ErrorCodes, KeelError, type Clock } from '../spec/index.js';

/** The header an answer carries when a policy let it through unchecked (fail-open); the value names the policy. */
export const degradedHeader = 'x-keel-policy-degraded';

/** One row of keel_state_errors_total. */
export interface StateErrorCount {
  policy: string;
  mode: FailureMode;
  count: number;
}

/** The part of a logger the reporter uses (pino's Logger fits). */
export interface WarningLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

/**
 * Shared by every policy that keeps state: counts state failures per policy and failure mode, and
 * logs a warning at most once per `quietMs` per policy (with how many failures the quiet time
 * hid), so an outage does not flood the log at request rate.
 *
 * @example
 * const failures = new StateFailureReporter({ logger, clock });
 * try { await state.takeRate(...) } catch (error) { failures.report({ policy: 'rate-limit', mode: 'open', error }) }
 */
export class StateFailureReporter {
  readonly #logger: WarningLogger;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #quietMs: number;
  readonly #counts = new Map<string, StateErrorCount>();
  readonly #lastWarning = new Map<string, { atMs: number; hidden: number }>();

  constructor(options: {
    logger: WarningLogger;
    clock: Pick<Clock, 'now'>;
    /** Least time between two warnings of one policy, ms. Default 60,000 (a minute). */
    quietMs?: number | undefined;
  }) {
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#quietMs = options.quietMs ?? 60_000;
  }

  /** Counts one failure of `policy`'s state call, handled by `mode`; may log a warning. */
  report(options: { policy: string; mode: FailureMode; error: unknown }): void {
    const { policy, mode } = options;
    const countKey = `${policy}\u0000${mode}`;
    const count = this.#counts.get(countKey) ?? { policy, mode, count: 0 };
    count.count++;
    this.#counts.set(countKey, count);
    const nowMs = this.#clock.now();
    const last = this.#lastWarning.get(policy);
    if (last !== undefined && nowMs - last.atMs < this.#quietMs) {
      last.hidden++;
      return;
    }
    this.#lastWarning.set(policy, { atMs: nowMs, hidden: 0 });
    const message = options.error instanceof Error ? options.error.message : String(options.error);
    this.#logger.warn(
      { policy, mode, error: message, failuresSinceLastWarning: (last?.hidden ?? 0) + 1 },
      mode === 'open'
        ? `shared state unavailable: ${policy} fails open, requests are admitted unchecked; further failures are counted (keel_state_errors_total) and logged again in a minute`
        : `shared state unavailable: ${policy} fails closed, requests are refused with 503 KEEL_STATE_UNAVAILABLE; further failures are counted (keel_state_errors_total) and logged again in a minute`,
    );
  }

  /** Every (policy, mode) that failed so far, with its count. */
  counts(): StateErrorCount[] {
    return [...this.#counts.values()].map((count) => ({ ...count }));
  }
}

/** The refusal of a fail-closed policy whose state is unreachable: 503, retry in a second. */
export function stateUnavailable(options: { policy: string; what: string; cause: unknown }): KeelError {
  return new KeelError({
    code: ErrorCodes.stateUnavailable,
    status: 503,
    message: `${options.what} cannot be checked right now: Keel's shared state is unreachable (policy ${options.policy} fails closed); retry shortly`,
    retryAfterMs: 1_000,
    cause: options.cause,
  });
}
