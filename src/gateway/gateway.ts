// The request path behind the HTTP edge: plan the route, run it under a deadline, account for it.
import { performance } from 'node:perf_hooks';
import {
  toKeelError,
  type ChatRequest,
  type ChatResult,
  type Clock,
  type FinishReason,
  type StreamPart,
  type Usage,
} from '../spec/index.js';
import { planRoute, type RouteCatalog, type RoutePlan, type Target } from '../routing/plan-route.js';
import type { LatencyTracker } from '../routing/latency-tracker.js';
import type { BreakerRegistry, BreakerSnapshot } from '../reliability/breaker-registry.js';
import { deadlineExceeded, ScopedAbort } from '../reliability/deadline.js';
import { RequestFailedError, type ExecutionTally, type Executor } from '../reliability/executor.js';
import type { EventBus } from '../telemetry/event-bus.js';
import {
  responseTextLimit,
  type RequestEndEvent,
  type RequestMetadata,
  type TraceContext,
} from '../telemetry/events.js';
import type { ExperimentRouter } from '../policy/experiment-router.js';
import type {
  CallerKey,
  PolicyCall,
  PolicyOutcome,
  PolicyTicket,
  RequestPolicy,
} from '../policy/request-policy.js';

export interface GatewayDependencies {
  catalog: RouteCatalog;
  executor: Executor;
  breakers: BreakerRegistry;
  latency: LatencyTracker;
  events: EventBus;
  clock: Clock;
  random: () => number;
  /** Total deadline per request, all attempts and backoff included. */
  timeoutMs: number;
  /** Run in order after routing, before the executor (see RequestPolicy). Default none. */
  policies?: readonly RequestPolicy[] | undefined;
  /** Splits models under A/B experiments between their variants, before routing. */
  experiments?: ExperimentRouter | undefined;
  /** A policy's settle threw (logged; the request is unaffected). */
  onPolicyError?: ((error: unknown) => void) | undefined;
}

/** One client call as the edge hands it over. */
export interface GatewayCall {
  requestId: string;
  model: string;
  request: ChatRequest;
  metadata: RequestMetadata;
  /** The request's trace context, read at the edge. */
  trace: TraceContext;
  /** The gateway key the client presented, when Keel has keys. */
  key?: CallerKey | undefined;
  /**
   * The edge's controller for this request: it aborts it when the client goes away (or Keel shuts
   * down), and the gateway aborts it when the deadline passes.
   */
  abort?: AbortController | undefined;
  /** performance.now() when the request arrived at the edge. */
  arrivedAt: number;
}

/** What the edge needs to answer, and to close the books once the last byte is out. */
interface Served {
  target: Target;
  providerType: string;
  attempts: ExecutionTally['attempts'];
  /** The request's trace id: for the x-keel-trace-id response header. */
  traceId: string;
  /** Headers the policies asked for (x-ratelimit-*...). */
  policyHeaders: Readonly<Record<string, string>>;
  /** Keel's own time so far (ms): for the overhead response header. */
  overheadMs(): number;
}

export interface CompletedCall extends Served {
  result: ChatResult;
  /** Call after the response was written (or failed to be). */
  finish(error?: unknown): void;
}

export interface StreamingCall extends Served {
  parts: AsyncIterable<StreamPart>;
  /** Call once the stream ended, with the error if it broke. */
  finish(summary: {
    error?: unknown;
    /** The model the provider said answered. */
    servedModel: string;
    finishReason?: FinishReason | undefined;
    usage?: Usage | undefined;
    responseChars: number;
    /** The start of the answer, up to responseTextLimit characters. */
    responseText?: string | undefined;
  }): void;
  /** Call when the first content byte was written to the client. */
  markFirstByte(): void;
}

function promptChars(request: ChatRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    if (typeof message.content === 'string') chars += message.content.length;
    else if (message.content !== null)
      for (const part of message.content) if (part.type === 'text') chars += part.text.length;
  }
  return chars;
}

/**
 * Runs chat calls through routing and the executor, and emits request:start and request:end.
 * @example const call = await gateway.complete({ requestId, model: 'chat-default', request, metadata, arrivedAt })
 */
export class Gateway {
  readonly #dependencies: GatewayDependencies;

  constructor(dependencies: GatewayDependencies) {
    this.#dependencies = dependencies;
  }

  get breakers(): BreakerRegistry {
    return this.#dependencies.breakers;
  }

  get catalog(): RouteCatalog {
    return this.#dependencies.catalog;
  }

  /** Every configured target ("provider/model"), once each, in config order. */
  targetKeys(): string[] {
    const keys = new Set<string>();
    for (const route of this.#dependencies.catalog.models.values())
      for (const target of route.targets) keys.add(target.key);
    return [...keys];
  }

  /** The breaker of every configured target. */
  breakerSnapshots(): BreakerSnapshot[] {
    return this.targetKeys().map((key) => this.#dependencies.breakers.snapshot(key));
  }

  async complete(call: GatewayCall): Promise<CompletedCall> {
    const run = this.#begin(call, false);
    try {
      await this.#admit(run);
      const outcome = await this.#dependencies.executor.generate(run.plan.targets, run.request, {
        requestId: call.requestId,
        signal: run.scope.signal,
        tally: run.tally,
      });
      run.scope.dispose();
      const result = outcome.result;
      return {
        target: outcome.target,
        providerType: outcome.providerType,
        attempts: outcome.attempts,
        traceId: call.trace.traceId,
        policyHeaders: run.policyHeaders,
        result,
        overheadMs: () => run.overheadMs(),
        finish: (error) =>
          this.#end(run, {
            error,
            target: outcome.target,
            providerType: outcome.providerType,
            servedModel: result.model,
            finishReason: result.finishReason,
            usage: result.usage,
            responseChars: result.text?.length ?? 0,
            responseText: result.text?.slice(0, responseTextLimit) ?? undefined,
            result: error === undefined ? result : undefined,
          }),
      };
    } catch (error) {
      run.scope.dispose();
      this.#end(run, { error });
      throw error;
    }
  }

  async stream(call: GatewayCall): Promise<StreamingCall> {
    const run = this.#begin(call, true);
    try {
      await this.#admit(run);
      const outcome = await this.#dependencies.executor.stream(run.plan.targets, run.request, {
        requestId: call.requestId,
        signal: run.scope.signal,
        tally: run.tally,
      });
      // Once the first token is in hand the stream may run as long as it keeps flowing (idleMs).
      run.cancelDeadline();
      return {
        target: outcome.target,
        providerType: outcome.providerType,
        attempts: outcome.attempts,
        traceId: call.trace.traceId,
        policyHeaders: run.policyHeaders,
        parts: outcome.parts,
        overheadMs: () => run.overheadMs(),
        markFirstByte: () => {
          run.firstByteAt ??= performance.now();
        },
        finish: (summary) => {
          run.scope.dispose();
          this.#end(run, { ...summary, target: outcome.target, providerType: outcome.providerType });
        },
      };
    } catch (error) {
      run.scope.dispose();
      this.#end(run, { error });
      throw error;
    }
  }

  #begin(call: GatewayCall, stream: boolean): Run {
    const { events, clock, timeoutMs } = this.#dependencies;
    // Before routing: a variant that names another model is planned, limited and priced as that model.
    const assignment = this.#dependencies.experiments?.assign({
      model: call.model,
      request: call.request,
      metadata: call.metadata,
      keyId: call.key?.id,
      requestId: call.requestId,
    });
    const receivedAtMs = clock.now() - (performance.now() - call.arrivedAt);
    const scope = new ScopedAbort(undefined, call.abort);
    const cancelDeadline = scope.after(timeoutMs, () => deadlineExceeded(timeoutMs));
    const tally: ExecutionTally = { attempts: [], upstreamMs: 0, backoffMs: 0 };
    const run: Run = {
      call,
      request: assignment?.request ?? call.request,
      metadata: assignment?.metadata ?? call.metadata,
      tickets: [],
      policyHeaders:
        assignment === undefined
          ? {}
          : { 'x-keel-experiment': assignment.experimentId, 'x-keel-variant': assignment.variantId },
      settled: false,
      stream,
      plan: { requested: call.model, strategy: 'fallback', targets: [] },
      scope,
      tally,
      receivedAtMs,
      firstByteAt: undefined,
      cancelDeadline,
      overheadMs: () => Math.max(0, performance.now() - call.arrivedAt - tally.upstreamMs - tally.backoffMs),
    };
    if (events.has('request:start')) {
      events.emit('request:start', {
        requestId: call.requestId,
        receivedAtMs,
        requestedModel: call.model,
        stream,
        metadata: run.metadata,
        trace: call.trace,
      });
    }
    try {
      run.plan = planRoute({
        model: assignment?.model ?? call.model,
        catalog: this.#dependencies.catalog,
        random: this.#dependencies.random,
        latencyMs: (key) => this.#dependencies.latency.get(key),
      });
    } catch (error) {
      // An unknown model is still a request: it is recorded like any other failure.
      scope.dispose();
      this.#end(run, { error });
      throw error;
    }
    return run;
  }

  /** Runs the policies in order; a refusal settles the tickets already taken and ends the request. */
  async #admit(run: Run): Promise<void> {
    const policies = this.#dependencies.policies;
    if (policies === undefined || policies.length === 0) return;
    const { call } = run;
    const policyCall: PolicyCall = {
      requestId: call.requestId,
      model: call.model,
      request: run.request,
      metadata: run.metadata,
      key: call.key,
      stream: run.stream,
      targets: run.plan.targets,
      nowMs: this.#dependencies.clock.now(),
    };
    for (const policy of policies) {
      // A call of its own per policy: one that keeps it must not see later policies' changes.
      const ticket = await policy.admit({ ...policyCall, request: run.request });
      if (ticket === undefined) continue;
      run.tickets.push(ticket);
      if (ticket.headers !== undefined) Object.assign(run.policyHeaders, ticket.headers);
      if (ticket.request !== undefined) run.request = ticket.request;
    }
  }

  /** Closes every ticket once; a policy that throws here cannot break the request. */
  #settle(run: Run, outcome: PolicyOutcome): void {
    if (run.settled) return;
    run.settled = true;
    for (const ticket of run.tickets) {
      try {
        ticket.settle?.(outcome);
      } catch (error) {
        this.#dependencies.onPolicyError?.(error);
      }
    }
  }

  #end(
    run: Run,
    outcome: {
      error?: unknown;
      target?: Target;
      providerType?: string;
      servedModel?: string | undefined;
      finishReason?: FinishReason | undefined;
      usage?: Usage | undefined;
      responseChars?: number;
      responseText?: string | undefined;
      result?: ChatResult | undefined;
    },
  ): void {
    this.#settle(run, {
      error: outcome.error,
      usage: outcome.usage,
      target: outcome.target,
      providerType: outcome.providerType,
      servedModel: outcome.servedModel,
      result: outcome.result,
    });
    const { events, breakers } = this.#dependencies;
    if (!events.has('request:end')) return;
    const { call, tally } = run;
    const totalMs = performance.now() - call.arrivedAt;
    const error = outcome.error === undefined ? undefined : toKeelError(outcome.error);
    const lastAttempt = tally.attempts[tally.attempts.length - 1];
    const target = outcome.target;
    const event: RequestEndEvent = {
      requestId: call.requestId,
      receivedAtMs: run.receivedAtMs,
      requestedModel: call.model,
      stream: run.stream,
      metadata: run.metadata,
      trace: call.trace,
      status: error === undefined ? 200 : run.stream && target !== undefined ? 200 : error.status,
      outcome: error === undefined ? 'ok' : 'error',
      errorCode: error?.code,
      errorMessage: error?.message,
      providerId: target?.providerId ?? lastAttempt?.providerId,
      providerType: outcome.providerType,
      servedModel: outcome.servedModel,
      finishReason: outcome.finishReason,
      usage: outcome.usage,
      totalMs,
      upstreamMs: tally.upstreamMs,
      overheadMs: Math.max(0, totalMs - tally.upstreamMs - tally.backoffMs),
      ttftMs: run.firstByteAt === undefined ? undefined : run.firstByteAt - call.arrivedAt,
      attempts: error instanceof RequestFailedError ? error.attempts : tally.attempts,
      breakerStatus:
        target !== undefined
          ? breakers.status(target.key)
          : lastAttempt === undefined
            ? undefined
            : breakers.status(lastAttempt.target),
      promptChars: promptChars(call.request),
      responseChars: outcome.responseChars ?? 0,
      request: call.request,
      responseText: outcome.responseText,
    };
    events.emit('request:end', event);
  }
}

interface Run {
  call: GatewayCall;
  /** The call's metadata, with the experiment and variant it was assigned to. */
  metadata: RequestMetadata;
  /** The request as the policies left it (e.g. max_tokens clamped); what the executor sends. */
  request: ChatRequest;
  tickets: PolicyTicket[];
  policyHeaders: Record<string, string>;
  settled: boolean;
  stream: boolean;
  plan: RoutePlan;
  scope: ScopedAbort;
  tally: ExecutionTally;
  receivedAtMs: number;
  firstByteAt: number | undefined;
  /** Stops the total deadline (a stream that has started is bound by the idle deadline instead). */
  cancelDeadline(): void;
  overheadMs(): number;
}
