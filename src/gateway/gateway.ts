// The request path behind the HTTP edge: plan the route, run it under a deadline, account for it.
import { performance } from 'node:perf_hooks';
import {
  toKeelError,
  type ChatRequest,
  type ChatResult,
  type Clock,
  type FinishReason,
  type Usage,
} from '../spec/index.js';
import { planRoute, type RouteCatalog, type RoutePlan, type Target } from '../routing/plan-route.js';
import type { LatencyTracker } from '../routing/latency-tracker.js';
import type { BreakerRegistry, BreakerSnapshot } from '../reliability/breaker-registry.js';
import { deadlineExceeded, ScopedAbort } from '../reliability/deadline.js';
import { RequestFailedError, type ExecutionTally, type Executor } from '../reliability/executor.js';
import type { EventBus } from '../telemetry/event-bus.js';
import { responseTextLimit, type RequestEndEvent, type RequestMetadata } from '../telemetry/events.js';
import type { ExperimentRouter } from '../policy/experiment-router.js';
import type { PolicyCall, PolicyOutcome, PolicyTicket, RequestPolicy } from '../policy/request-policy.js';
import type { CompletedCall, GatewayCall, Served, StreamingCall } from './gateway-call.js';
import { replayResult } from './replay-result.js';
import { StreamAccumulator } from './stream-accumulator.js';

export type { CompletedCall, GatewayCall, StreamingCall } from './gateway-call.js';

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
      const hit = this.#cacheHit(run);
      if (hit !== undefined) {
        run.scope.dispose();
        const { result } = hit;
        return {
          ...this.#served(run, hit),
          result,
          finish: (error) => this.#end(run, { ...this.#summary(result), ...hit, error, cached: true }),
        };
      }
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
        cached: false,
        result,
        overheadMs: () => run.overheadMs(),
        finish: (error) =>
          this.#end(run, {
            ...this.#summary(result),
            error,
            target: outcome.target,
            providerType: outcome.providerType,
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
      const hit = this.#cacheHit(run);
      if (hit !== undefined) {
        run.scope.dispose();
        return {
          ...this.#served(run, hit),
          parts: replayResult(hit.result),
          markFirstByte: () => {
            run.firstByteAt ??= performance.now();
          },
          finish: (summary) => this.#end(run, { ...summary, ...hit, cached: true }),
        };
      }
      const outcome = await this.#dependencies.executor.stream(run.plan.targets, run.request, {
        requestId: call.requestId,
        signal: run.scope.signal,
        tally: run.tally,
      });
      // Once the first token is in hand the stream may run as long as it keeps flowing (idleMs).
      run.cancelDeadline();
      // The whole answer is kept only for a policy that asked for it (the cache will store it).
      const accumulator = run.wantsResult ? new StreamAccumulator() : undefined;
      return {
        target: outcome.target,
        providerType: outcome.providerType,
        attempts: outcome.attempts,
        traceId: call.trace.traceId,
        policyHeaders: run.policyHeaders,
        cached: false,
        parts: accumulator === undefined ? outcome.parts : accumulator.tap(outcome.parts),
        overheadMs: () => run.overheadMs(),
        markFirstByte: () => {
          run.firstByteAt ??= performance.now();
        },
        finish: (summary) => {
          run.scope.dispose();
          this.#end(run, {
            ...summary,
            target: outcome.target,
            providerType: outcome.providerType,
            result: summary.error === undefined ? accumulator?.result(summary.servedModel) : undefined,
          });
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
      cachedResult: undefined,
      wantsResult: false,
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
      cacheControl: call.cacheControl,
    };
    for (const policy of policies) {
      // A call of its own per policy: one that keeps it must not see later policies' changes.
      const ticket = await policy.admit({ ...policyCall, request: run.request });
      if (ticket === undefined) continue;
      run.tickets.push(ticket);
      if (ticket.headers !== undefined) Object.assign(run.policyHeaders, ticket.headers);
      if (ticket.request !== undefined) run.request = ticket.request;
      if (ticket.cachedResult !== undefined) run.cachedResult = ticket.cachedResult;
      if (ticket.wantsResult === true) run.wantsResult = true;
    }
  }

  /**
   * A cached answer to serve, with what it reports: the first planned target (where the request
   * would have gone; docs/api.md), no attempts.
   */
  #cacheHit(run: Run): { result: ChatResult; target: Target; providerType: string } | undefined {
    const target = run.plan.targets[0];
    if (run.cachedResult === undefined || target === undefined) return undefined;
    const providerType = this.#dependencies.executor.providerType(target.providerId) ?? 'unknown';
    return { result: run.cachedResult, target, providerType };
  }

  #served(run: Run, hit: { target: Target; providerType: string }): Served {
    return {
      target: hit.target,
      providerType: hit.providerType,
      attempts: [],
      traceId: run.call.trace.traceId,
      policyHeaders: run.policyHeaders,
      cached: true,
      overheadMs: () => run.overheadMs(),
    };
  }

  /** What request:end says of a whole answer. */
  #summary(result: ChatResult): {
    servedModel: string;
    finishReason: FinishReason;
    usage: Usage | undefined;
    responseChars: number;
    responseText: string | undefined;
  } {
    return {
      servedModel: result.model,
      finishReason: result.finishReason,
      usage: result.usage,
      responseChars: result.text?.length ?? 0,
      responseText: result.text?.slice(0, responseTextLimit) ?? undefined,
    };
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
      cached?: boolean | undefined;
    },
  ): void {
    this.#settle(run, {
      error: outcome.error,
      usage: outcome.usage,
      target: outcome.target,
      providerType: outcome.providerType,
      servedModel: outcome.servedModel,
      result: outcome.result,
      cached: outcome.cached,
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
      cacheHit: outcome.cached === true,
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
  /** A policy's answer to serve instead of calling a provider (the response cache). */
  cachedResult: ChatResult | undefined;
  /** A policy wants outcome.result of a stream too: keep the whole streamed answer. */
  wantsResult: boolean;
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
