// Slot 1 of the request path: caps prompt + completion tokens per request and tracks seed 001's running-average target.
import type { TokenAverageConfig, TokenLimitsConfig } from '../config/index.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import type { SharedState } from '../state/shared-state.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { PromptTokenCounter } from './count-prompt-tokens.js';
import type { PolicyCall, PolicyOutcome, PolicyTicket, RequestPolicy } from './request-policy.js';

/** The request-level rule that applies to one model: the global fields, overridden per alias. */
export interface TokenRule {
  maxTotalTokens: number | undefined;
  mode: 'reject' | 'clamp';
  defaultMaxTokens: number | undefined;
}

/** The running average is over its target and new requests are clamped to fit it. */
export interface AverageClamp {
  targetTokens: number;
  minCompletionTokens: number;
}

export type TokenDecision =
  | { kind: 'pass' }
  | {
      kind: 'set-max-tokens';
      maxTokens: number;
      /** Which limit lowered it; undefined when it only filled in a missing max_tokens. */
      clampedBy: 'tokens:request' | 'tokens:average' | undefined;
    }
  | { kind: 'reject'; param: 'messages' | 'max_tokens'; message: string; totalTokens: number; limit: number };

/**
 * The decision for one request, a pure function of its counts and the rules:
 * - the prompt alone leaves no room for one completion token under maxTotalTokens: reject (both modes);
 * - max_tokens absent: set it to the room left (or defaultMaxTokens when smaller), so prompt +
 *   completion can never exceed the limit;
 * - max_tokens over the room left: reject in mode "reject", lower it to the room in mode "clamp";
 * - the average is over its target (action "clamp"): lower max_tokens to target - prompt, but never
 *   below minCompletionTokens (the average rule never refuses).
 */
export function decideTokenLimit(input: {
  promptTokens: number;
  maxTokens: number | undefined;
  rule: TokenRule;
  averageClamp?: AverageClamp | undefined;
}): TokenDecision {
  const { promptTokens, rule, averageClamp } = input;
  let maxTokens = input.maxTokens;
  let clampedBy: 'tokens:request' | 'tokens:average' | undefined;
  let changed = false;
  const limit = rule.maxTotalTokens;
  if (limit !== undefined) {
    const room = limit - promptTokens;
    if (room < 1) {
      return {
        kind: 'reject',
        param: 'messages',
        totalTokens: promptTokens,
        limit,
        message: `The prompt is ${promptTokens} tokens; this model allows ${limit} tokens of prompt and completion together, so there is no room for an answer. Shorten the messages.`,
      };
    }
    if (maxTokens === undefined) {
      maxTokens = Math.min(rule.defaultMaxTokens ?? room, room);
      changed = true;
      if (rule.defaultMaxTokens !== undefined && rule.defaultMaxTokens > room) clampedBy = 'tokens:request';
    } else if (maxTokens > room) {
      if (rule.mode === 'reject') {
        return {
          kind: 'reject',
          param: 'max_tokens',
          totalTokens: promptTokens + maxTokens,
          limit,
          message: `The prompt (${promptTokens} tokens) plus max_tokens (${maxTokens}) is ${promptTokens + maxTokens} tokens; this model allows ${limit}. Set max_tokens to ${room} or less.`,
        };
      }
      maxTokens = room;
      changed = true;
      clampedBy = 'tokens:request';
    }
  } else if (maxTokens === undefined && rule.defaultMaxTokens !== undefined) {
    maxTokens = rule.defaultMaxTokens;
    changed = true;
  }
  if (averageClamp !== undefined) {
    const cap = Math.max(averageClamp.minCompletionTokens, averageClamp.targetTokens - promptTokens);
    if (maxTokens === undefined || maxTokens > cap) {
      maxTokens = cap;
      changed = true;
      clampedBy = 'tokens:average';
    }
  }
  return changed && maxTokens !== undefined
    ? { kind: 'set-max-tokens', maxTokens, clampedBy }
    : { kind: 'pass' };
}

/** The fixed window (UTC-aligned) a time falls in. */
export function averageWindow(nowMs: number, windowMs: number): { startMs: number; endMs: number } {
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  return { startMs, endMs: startMs + windowMs };
}

/** True when a window has enough answered requests and their average is over the target. */
export function averageIsOver(input: {
  sumTokens: number;
  count: number;
  average: TokenAverageConfig;
}): boolean {
  return (
    input.count >= input.average.minRequests && input.sumTokens / input.count > input.average.targetTokens
  );
}

export interface TokenLimitPolicyOptions {
  config: TokenLimitsConfig;
  state: SharedState;
  events: EventBus;
  counter: PromptTokenCounter;
  /** Provider id -> provider type, to pick the tokenizer of the first planned target. */
  providerTypes: ReadonlyMap<string, string>;
  /** Epoch ms: which average window an answer lands in. */
  now: () => number;
  /** Shared state failed while recording the average (the request is unaffected). */
  onError?: ((error: unknown) => void) | undefined;
}

export interface TokenLimitPolicy extends RequestPolicy {
  /** Resolves once every settle's state writes are done (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * The token-limit policy. Per request: counts the prompt only when a rule needs it, then applies
 * `decideTokenLimit`. The running average (limits.tokens.average) lives in SharedState, so all
 * replicas share one window: every successful, uncached answer adds its total tokens and 1 to the
 * window's counters; when the average goes over the target a `limit:hit` event fires once per
 * window (SharedState.setOnce), and with action "clamp" new requests are clamped until the window ends.
 */
export function createTokenLimitPolicy(options: TokenLimitPolicyOptions): TokenLimitPolicy {
  const { config, state, events, counter, providerTypes } = options;
  const average = config.average;
  const pending = new Set<Promise<void>>();

  function ruleFor(model: string): TokenRule {
    const override = config.models[model];
    return {
      maxTotalTokens: override?.maxTotalTokens ?? config.maxTotalTokens,
      mode: override?.mode ?? config.mode,
      defaultMaxTokens: override?.defaultMaxTokens ?? config.defaultMaxTokens,
    };
  }

  const averageKeys = (startMs: number) => ({
    sum: `tokens:average:${startMs}:sum`,
    count: `tokens:average:${startMs}:count`,
    alerted: `tokens:average:${startMs}:alerted`,
  });

  async function averageClampFor(nowMs: number): Promise<AverageClamp | undefined> {
    if (average?.action !== 'clamp') return undefined;
    const keys = averageKeys(averageWindow(nowMs, average.windowMs).startMs);
    const [sumTokens, count] = await Promise.all([state.get(keys.sum, nowMs), state.get(keys.count, nowMs)]);
    return averageIsOver({ sumTokens, count, average })
      ? { targetTokens: average.targetTokens, minCompletionTokens: average.minCompletionTokens }
      : undefined;
  }

  async function recordAverage(averageConfig: TokenAverageConfig, totalTokens: number, nowMs: number) {
    const window = averageWindow(nowMs, averageConfig.windowMs);
    const keys = averageKeys(window.startMs);
    const [sumTokens, count] = await Promise.all([
      state.add(keys.sum, totalTokens, window.endMs),
      state.add(keys.count, 1, window.endMs),
    ]);
    if (!averageIsOver({ sumTokens, count, average: averageConfig })) return;
    if (!(await state.setOnce(keys.alerted, window.endMs))) return;
    events.emit('limit:hit', {
      limit: 'tokens:average',
      action: averageConfig.action === 'clamp' ? 'clamped' : 'alerted',
      value: Math.round(sumTokens / count),
      limitValue: averageConfig.targetTokens,
      unit: 'tokens',
      detail: `${count} requests since ${new Date(window.startMs).toISOString()}`,
      atMs: nowMs,
    });
  }

  function settle(outcome: PolicyOutcome): void {
    const nowMs = options.now();
    if (average === undefined || outcome.error !== undefined || outcome.cached === true) return;
    const totalTokens = outcome.usage?.totalTokens;
    if (totalTokens === undefined) return;
    const write = recordAverage(average, totalTokens, nowMs)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => pending.delete(write));
    pending.add(write);
  }

  return {
    name: 'token-limit',
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async admit(call: PolicyCall): Promise<PolicyTicket | undefined> {
      const rule = ruleFor(call.model);
      const averageClamp = await averageClampFor(call.nowMs);
      const ticket: PolicyTicket | undefined = average === undefined ? undefined : { settle };
      const needsCount = rule.maxTotalTokens !== undefined || averageClamp !== undefined;
      if (!needsCount && (rule.defaultMaxTokens === undefined || call.request.maxTokens !== undefined)) {
        return ticket;
      }
      const first = call.targets[0];
      if (needsCount) await counter.ready();
      const promptTokens = needsCount
        ? counter.count(call.request, {
            model: first?.modelId ?? call.model,
            providerType: first === undefined ? '' : (providerTypes.get(first.providerId) ?? ''),
          }).tokens
        : 0;
      const decision = decideTokenLimit({
        promptTokens,
        maxTokens: call.request.maxTokens,
        rule,
        averageClamp,
      });
      if (decision.kind === 'pass') return ticket;
      if (decision.kind === 'reject') {
        events.emit('limit:hit', {
          limit: 'tokens:request',
          action: 'rejected',
          requestId: call.requestId,
          model: call.model,
          value: decision.totalTokens,
          limitValue: decision.limit,
          unit: 'tokens',
          atMs: call.nowMs,
        });
        throw new KeelError({
          code: ErrorCodes.tokenLimitExceeded,
          status: 400,
          param: decision.param,
          message: decision.message,
        });
      }
      if (decision.clampedBy !== undefined) {
        events.emit('limit:hit', {
          limit: decision.clampedBy,
          action: 'clamped',
          requestId: call.requestId,
          model: call.model,
          value: promptTokens + (call.request.maxTokens ?? decision.maxTokens),
          limitValue:
            decision.clampedBy === 'tokens:average'
              ? (averageClamp?.targetTokens ?? 0)
              : (rule.maxTotalTokens ?? promptTokens + decision.maxTokens),
          unit: 'tokens',
          atMs: call.nowMs,
        });
      }
      return { ...ticket, request: { ...call.request, maxTokens: decision.maxTokens } };
    },
  };
}
