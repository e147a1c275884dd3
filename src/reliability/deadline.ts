// Abort signals for deadlines: a request's total deadline, and an attempt's own timers inside it.
import { ErrorCodes, KeelError } from '../spec/index.js';

export function deadlineExceeded(timeoutMs: number): KeelError {
  return new KeelError({
    code: ErrorCodes.deadlineExceeded,
    status: 504,
    retryable: false,
    failover: false,
    // The budget may have gone on earlier attempts: not proof that this target is unhealthy.
    countsAsFailure: false,
    message: `the request took longer than its ${timeoutMs} ms deadline`,
  });
}

export function clientClosed(): KeelError {
  return new KeelError({
    code: ErrorCodes.clientClosed,
    status: 499,
    retryable: false,
    failover: false,
    countsAsFailure: false,
    message: 'the client closed the connection',
  });
}

/**
 * An abort controller tied to a parent signal, with named timers that abort it with a KeelError.
 * `dispose()` clears the timers and detaches from the parent; call it when the work is over.
 */
export class ScopedAbort {
  readonly #controller: AbortController;
  readonly #parent: AbortSignal | undefined;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  readonly #onParentAbort = () => this.abort(this.#parent?.reason);

  /**
   * @param parent aborting it aborts this scope with the same reason.
   * @param controller a controller to drive instead of a new one (saves one per request when the
   *   caller already has one, such as the edge's client-disconnect controller).
   */
  constructor(parent?: AbortSignal, controller: AbortController = new AbortController()) {
    this.#controller = controller;
    this.#parent = parent;
    if (parent === undefined) return;
    if (parent.aborted) this.#controller.abort(parent.reason);
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Aborts with `reason()` after `ms`; returns a function that cancels this timer. */
  after(ms: number, reason: () => KeelError): () => void {
    const timer = setTimeout(() => this.abort(reason()), ms);
    this.#timers.push(timer);
    return () => clearTimeout(timer);
  }

  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.length = 0;
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }
}

export function attemptTimeout(ms: number): KeelError {
  return new KeelError({
    code: ErrorCodes.upstreamTimeout,
    status: 504,
    retryable: true,
    message: `no answer within the ${ms} ms attempt timeout`,
  });
}

export function ttftTimeout(ms: number): KeelError {
  return new KeelError({
    code: ErrorCodes.streamTtftTimeout,
    status: 504,
    retryable: true,
    message: `no first token within ${ms} ms`,
  });
}

export function idleTimeout(ms: number): KeelError {
  return new KeelError({
    code: ErrorCodes.streamIdleTimeout,
    status: 504,
    retryable: true,
    message: `the stream was silent for more than ${ms} ms`,
  });
}
