// Walks a route plan: breaker gate, per-attempt deadlines, retries with backoff, failover to the next target.
import { performance } from 'node:perf_hooks';
import {
  ErrorCodes,
  KeelError,
  toKeelError,
  type ChatModel,
  type ChatRequest,
  type ChatResult,
  type Clock,
  type StreamPart,
} from '../spec/index.js';
import type { Target } from '../routing/plan-route.js';
import type { LatencyTracker } from '../routing/latency-tracker.js';
import type { AttemptRecord } from '../telemetry/events.js';
import { backoffDelayMs, type BackoffSettings } from './backoff.js';
import type { BreakerRegistry } from './breaker-registry.js';
import { attemptTimeout, clientClosed, idleTimeout, ScopedAbort, ttftTimeout } from './deadline.js';

export interface ExecutorSettings extends BackoffSettings {
  /** Calls per target, the first included. */
  maxAttempts: number;
  attemptTimeoutMs?: number | undefined;
  ttftMs?: number | undefined;
  idleMs?: number | undefined;
}

export interface ExecutorDependencies {
  /** Adapters by provider id. */
  models: ReadonlyMap<string, ChatModel>;
  breakers: BreakerRegistry;
  latency: LatencyTracker;
  clock: Clock;
  random: () => number;
  settings: ExecutorSettings;
  /** Told about every attempt as it ends. */
  onAttempt: (event: { requestId: string; attempt: AttemptRecord }) => void;
}

/** Every target failed, or one failed in a way no other target can fix. Keeps every attempt. */
export class RequestFailedError extends KeelError {
  readonly attempts: AttemptRecord[];
  constructor(error: KeelError, attempts: AttemptRecord[], message = error.message) {
    super({
      code: error.code,
      status: error.status,
      message,
      retryAfterMs: error.retryAfterMs,
      param: error.param,
      upstreamStatus: error.upstreamStatus,
      cause: error,
    });
    this.name = 'RequestFailedError';
    this.attempts = attempts;
  }
}

/** Running totals of one request's execution, read by the edge for headers and telemetry. */
export interface ExecutionTally {
  attempts: AttemptRecord[];
  /** Time waiting on upstreams. */
  upstreamMs: number;
  /** Time asleep between retries. */
  backoffMs: number;
}

export interface GenerateOutcome extends ExecutionTally {
  result: ChatResult;
  target: Target;
  providerType: string;
}

export interface StreamOutcome extends ExecutionTally {
  target: Target;
  providerType: string;
  /** All parts, starting with those read before choosing this target. Throws KeelError if the stream breaks. */
  parts: AsyncIterable<StreamPart>;
}

/** One request's side of an execution. */
export interface ExecutionContext {
  requestId: string;
  /** The request's total deadline and the client's disconnect. */
  signal: AbortSignal;
  tally: ExecutionTally;
}

/**
 * One attempt. `scope` is the attempt's own abort scope (for its timers) when the caller asked for
 * one; `signal` is that scope's signal, or the request's when the attempt needs no scope.
 */
type Call<T, S extends ScopedAbort | undefined> = (
  model: ChatModel,
  attempt: { scope: S; signal: AbortSignal },
  target: Target,
) => Promise<T>;

/**
 * Executes a plan of targets for one request.
 * @example const outcome = await executor.generate(plan.targets, request, { signal })
 */
export class Executor {
  readonly #dependencies: ExecutorDependencies;

  constructor(dependencies: ExecutorDependencies) {
    this.#dependencies = dependencies;
  }

  /** The adapter family of a configured provider ("openai", "mock"...), or undefined for an unknown id. */
  providerType(providerId: string): string | undefined {
    return this.#dependencies.models.get(providerId)?.providerType;
  }

  async generate(
    targets: readonly Target[],
    request: ChatRequest,
    context: ExecutionContext,
  ): Promise<GenerateOutcome> {
    const { settings } = this.#dependencies;
    // Without an attempt deadline an attempt needs no abort scope of its own: the request's will do.
    const timeoutMs = settings.attemptTimeoutMs;
    const found = await this.#walk(
      targets,
      context,
      () => (timeoutMs === undefined ? undefined : new ScopedAbort(context.signal)),
      async (model, { scope, signal }, target) => {
        if (timeoutMs !== undefined) scope?.after(timeoutMs, () => attemptTimeout(timeoutMs));
        return model.generate(request, { modelId: target.modelId, signal });
      },
    );
    found.scope?.dispose();
    this.#dependencies.breakers.settle(found.target.key, 'success', found.ticket);
    return {
      ...context.tally,
      result: found.value,
      target: found.target,
      providerType: found.model.providerType,
    };
  }

  async stream(
    targets: readonly Target[],
    request: ChatRequest,
    context: ExecutionContext,
  ): Promise<StreamOutcome> {
    const { settings } = this.#dependencies;
    const found = await this.#walk(
      targets,
      context,
      () => new ScopedAbort(context.signal),
      async (model, { scope }, target) => {
        // Until the first token, a stream attempt is bound by both the TTFT and the attempt deadline.
        const stopTtft =
          settings.ttftMs === undefined
            ? undefined
            : scope.after(settings.ttftMs, () => ttftTimeout(settings.ttftMs ?? 0));
        const stopAttempt =
          settings.attemptTimeoutMs === undefined
            ? undefined
            : scope.after(settings.attemptTimeoutMs, () => attemptTimeout(settings.attemptTimeoutMs ?? 0));
        const iterator = (await model.stream(request, { modelId: target.modelId, signal: scope.signal }))[
          Symbol.asyncIterator
        ]();
        // Read up to the first real content: until then a failure can still move to another target.
        const head: StreamPart[] = [];
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) break;
          head.push(next.value);
          if (next.value.type !== 'response-metadata') break;
        }
        stopTtft?.();
        stopAttempt?.();
        return { head, iterator };
      },
    );
    return {
      ...context.tally,
      target: found.target,
      providerType: found.model.providerType,
      parts: this.#continue(found.value.head, found.value.iterator, found, context.tally),
    };
  }

  async *#continue(
    head: StreamPart[],
    iterator: AsyncIterator<StreamPart>,
    attempt: { scope: ScopedAbort; target: Target; ticket: number },
    tally: ExecutionTally,
  ): AsyncGenerator<StreamPart> {
    const { scope, target, ticket } = attempt;
    const { breakers, settings } = this.#dependencies;
    let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
    try {
      yield* head;
      for (;;) {
        const stopIdle =
          settings.idleMs === undefined
            ? undefined
            : scope.after(settings.idleMs, () => idleTimeout(settings.idleMs ?? 0));
        const waitStart = performance.now();
        let next: IteratorResult<StreamPart>;
        try {
          next = await iterator.next();
        } catch (error) {
          const keelError = toKeelError(error);
          outcome = keelError.countsAsFailure ? 'failure' : 'neutral';
          throw keelError;
        } finally {
          tally.upstreamMs += performance.now() - waitStart;
          stopIdle?.();
        }
        if (next.done === true) break;
        yield next.value;
      }
      outcome = 'success';
    } finally {
      if (outcome === 'neutral') {
        // The consumer stopped early (client gone): stop the upstream call too.
        scope.abort(clientClosed());
        void iterator.return?.().catch(() => undefined);
      }
      scope.dispose();
      breakers.settle(target.key, outcome, ticket);
    }
  }

  async #walk<T, S extends ScopedAbort | undefined>(
    targets: readonly Target[],
    context: ExecutionContext,
    makeScope: () => S,
    call: Call<T, S>,
  ): Promise<{ value: T; target: Target; model: ChatModel; scope: S; ticket: number }> {
    const { models, breakers, latency, clock, random, settings, onAttempt } = this.#dependencies;
    const { tally } = context;
    let lastError: KeelError | undefined;
    for (const target of targets) {
      const model = models.get(target.providerId);
      if (model === undefined) continue;
      for (let attemptOnTarget = 1; attemptOnTarget <= settings.maxAttempts; attemptOnTarget++) {
        if (context.signal.aborted) throw this.#fail(toKeelError(context.signal.reason), tally);
        const record: AttemptRecord = {
          index: tally.attempts.length + 1,
          target: target.key,
          providerId: target.providerId,
          modelId: target.modelId,
          outcome: 'ok',
          startedAtMs: clock.now(),
          durationMs: 0,
        };
        tally.attempts.push(record);
        const ticket = breakers.admit(target.key);
        if (ticket === undefined) {
          record.outcome = 'skipped';
          record.errorCode = ErrorCodes.circuitOpen;
          record.errorMessage = `circuit breaker for ${target.key} is ${breakers.status(target.key)}`;
          lastError ??= new KeelError({
            code: ErrorCodes.circuitOpen,
            status: 503,
            message: record.errorMessage,
          });
          onAttempt({ requestId: context.requestId, attempt: record });
          break;
        }
        const scope = makeScope();
        const started = performance.now();
        try {
          const value = await call(model, { scope, signal: scope?.signal ?? context.signal }, target);
          record.durationMs = performance.now() - started;
          tally.upstreamMs += record.durationMs;
          latency.record(target.key, record.durationMs);
          onAttempt({ requestId: context.requestId, attempt: record });
          return { value, target, model, scope, ticket };
        } catch (thrown) {
          scope?.dispose();
          const error = toKeelError(thrown);
          record.durationMs = performance.now() - started;
          tally.upstreamMs += record.durationMs;
          record.outcome = 'error';
          record.errorCode = error.code;
          record.errorMessage = error.message;
          record.upstreamStatus = error.upstreamStatus;
          breakers.settle(target.key, error.countsAsFailure ? 'failure' : 'neutral', ticket);
          if (error.countsAsFailure) latency.recordFailure(target.key, record.durationMs);
          lastError = error;
          if (context.signal.aborted) {
            onAttempt({ requestId: context.requestId, attempt: record });
            throw this.#fail(toKeelError(context.signal.reason), tally);
          }
          if (!error.retryable && !error.failover) {
            onAttempt({ requestId: context.requestId, attempt: record });
            throw this.#fail(error, tally);
          }
          const delayMs =
            error.retryable && attemptOnTarget < settings.maxAttempts
              ? backoffDelayMs({ retry: attemptOnTarget, settings, retryAfterMs: error.retryAfterMs, random })
              : undefined;
          if (delayMs === undefined) {
            onAttempt({ requestId: context.requestId, attempt: record });
            break; // fail over to the next target
          }
          record.backoffMs = delayMs;
          onAttempt({ requestId: context.requestId, attempt: record });
          const sleepStart = performance.now();
          try {
            await clock.sleep(delayMs, context.signal);
          } catch (sleepError) {
            throw this.#fail(toKeelError(sleepError), tally);
          } finally {
            tally.backoffMs += performance.now() - sleepStart;
          }
        }
      }
    }
    throw this.#allFailed(lastError, tally);
  }

  #fail(error: KeelError, tally: ExecutionTally): RequestFailedError {
    return new RequestFailedError(
      error,
      tally.attempts,
      `${error.message}${describeAttempts(tally.attempts)}`,
    );
  }

  #allFailed(lastError: KeelError | undefined, tally: ExecutionTally): RequestFailedError {
    const tried = tally.attempts.filter((attempt) => attempt.outcome !== 'skipped');
    const allOpen = tried.length === 0;
    const allRateLimited =
      tried.length > 0 && tried.every((attempt) => attempt.errorCode === ErrorCodes.upstreamRateLimited);
    const summary = new KeelError({
      code: allOpen ? ErrorCodes.circuitOpen : ErrorCodes.allTargetsFailed,
      status: allOpen ? 503 : allRateLimited ? 429 : 502,
      message: allOpen
        ? 'every target of this model has an open circuit breaker'
        : `all ${tally.attempts.length} attempts failed`,
      retryAfterMs: allRateLimited ? lastError?.retryAfterMs : undefined,
      cause: lastError,
    });
    return this.#fail(summary, tally);
  }
}

/** "; attempts: 1) primary/gpt-4o: KEEL_UPSTREAM_SERVER_ERROR primary answered HTTP 500 ..." */
function describeAttempts(attempts: readonly AttemptRecord[]): string {
  if (attempts.length === 0) return '';
  const lines = attempts.map((attempt) =>
    `${attempt.index}) ${attempt.target}: ${attempt.errorCode ?? 'ok'} ${attempt.errorMessage ?? ''}`.trim(),
  );
  return `; attempts: ${lines.join('; ')}`;
}
