// Requests and tokens per minute, per gateway key and per model, in shared GCRA buckets, with OpenAI's x-ratelimit-* headers.
import type { RateLimitsConfig } from '../config/rate-limits-schema.js';
import type { FailureMode } from '../config/state-schema.js';
import { ErrorCodes, KeelError, type ChatRequest, type Clock } from '../spec/index.js';
import type { RateDecision, RateLimit, SharedState } from '../state/shared-state.js';
import { estimatePromptTokens } from './estimate-prompt-tokens.js';
import { formatRateLimitReset } from './format-rate-limit-reset.js';
import type { PolicyCall, PolicyOutcome, PolicyTicket, RequestPolicy } from './request-policy.js';
import { degradedHeader, stateUnavailable, type StateFailureReporter } from './state-failure-reporter.js';

const minuteMs = 60_000;

type Unit = 'requests' | 'tokens';

/** One bucket a call draws from: a scope (a key, a model) and a unit. */
interface Bucket {
  stateKey: string;
  unit: Unit;
  /** For messages: `key "support-bot"`, `model "chat-default"`. */
  scope: string;
  limit: RateLimit;
  cost: number;
}

interface Taken {
  bucket: Bucket;
  decision: RateDecision;
}

export interface RateLimitPolicyOptions {
  config: RateLimitsConfig;
  state: SharedState;
  /** What to do when the state is unreachable (state.failureMode.rateLimits). */
  failureMode: FailureMode;
  failures: StateFailureReporter;
  /** For settling (admission uses the call's nowMs). */
  clock: Pick<Clock, 'now'>;
  /** Prompt tokens of a request, before the call. Default estimatePromptTokens (chars / 4). */
  estimateTokens?: ((request: ChatRequest) => number) | undefined;
}

/**
 * Slot 3 of the request path. Each call draws one request and its token cost (prompt estimate +
 * max_tokens, or `defaultOutputTokens`) from every bucket that applies: its gateway key's (the
 * key's own limits, else `rateLimits.keys`) and its model's (`rateLimits.models`). All buckets are
 * taken at once; if any refuses, the others are given back (a negative take), so a refused call
 * consumes nothing — replicas never see a half-taken call as spent. The refusal is a 429 with the
 * wait of the bucket that refused. The answer's x-ratelimit-* headers describe, per unit, the
 * bucket with the least left. After the call the token buckets are corrected to the real usage.
 *
 * @example
 * new RateLimitPolicy({ config: config.rateLimits, state, failureMode: 'open', failures, clock })
 */
export class RateLimitPolicy implements RequestPolicy {
  readonly name = 'rate-limit';
  readonly #options: RateLimitPolicyOptions;
  readonly #estimateTokens: (request: ChatRequest) => number;
  readonly #models: ReadonlyMap<string, RateLimitsConfig['models'][number]>;

  constructor(options: RateLimitPolicyOptions) {
    this.#options = options;
    this.#estimateTokens = options.estimateTokens ?? estimatePromptTokens;
    this.#models = new Map(options.config.models.map((limit) => [limit.model, limit]));
  }

  async admit(call: PolicyCall): Promise<PolicyTicket | undefined> {
    const buckets = this.#buckets(call);
    if (buckets.length === 0) return undefined;
    const { state } = this.#options;
    const results = await Promise.allSettled(
      buckets.map((bucket) => state.takeRate(bucket.stateKey, bucket.limit, bucket.cost, call.nowMs)),
    );
    const taken: Taken[] = [];
    let failed = false;
    let failure: unknown;
    let refused: Taken | undefined;
    results.forEach((result, index) => {
      const bucket = buckets[index] as Bucket;
      if (result.status === 'rejected') {
        if (!failed) failure = result.reason;
        failed = true;
      } else if (result.value.allowed) taken.push({ bucket, decision: result.value });
      // The most restrictive refusal decides the wait: after it, every refusing bucket has room.
      else if (refused === undefined || result.value.retryAfterMs > refused.decision.retryAfterMs)
        refused = { bucket, decision: result.value };
    });
    if (failed || refused !== undefined) await this.#giveBack(taken, call.nowMs);
    if (failed) return this.#unavailable(failure);
    if (refused !== undefined) throw this.#refusal(refused, [...taken, refused]);
    const tokenCost = buckets.find((bucket) => bucket.unit === 'tokens')?.cost;
    return {
      headers: rateLimitHeaders(taken),
      settle: (outcome) => {
        if (tokenCost !== undefined) this.#correctTokens(taken, tokenCost, outcome);
      },
    };
  }

  /**
   * The buckets that apply to this call: its key's requests and tokens, its model's requests and
   * tokens. Taken concurrently; each take is atomic, and a refused call gives back the rest.
   */
  #buckets(call: PolicyCall): Bucket[] {
    const { config } = this.#options;
    const scopes: { id: string; scope: string; requestsPerMinute?: number; tokensPerMinute?: number }[] = [];
    if (call.key !== undefined) {
      scopes.push({
        id: `key:${call.key.id}`,
        scope: `key "${call.key.name}"`,
        requestsPerMinute: call.key.rateLimits?.requestsPerMinute ?? config.keys.requestsPerMinute,
        tokensPerMinute: call.key.rateLimits?.tokensPerMinute ?? config.keys.tokensPerMinute,
      });
    }
    const model = this.#models.get(call.model);
    if (model !== undefined) {
      scopes.push({
        id: `model:${call.model}`,
        scope: `model "${call.model}"`,
        requestsPerMinute: model.requestsPerMinute,
        tokensPerMinute: model.tokensPerMinute,
      });
    }
    let tokenCost: number | undefined;
    const buckets: Bucket[] = [];
    for (const { id, scope, requestsPerMinute, tokensPerMinute } of scopes) {
      if (requestsPerMinute !== undefined) {
        buckets.push({
          stateKey: `rate:${id}:requests`,
          unit: 'requests',
          scope,
          limit: { limit: requestsPerMinute, windowMs: minuteMs },
          cost: 1,
        });
      }
      if (tokensPerMinute !== undefined) {
        tokenCost ??=
          this.#estimateTokens(call.request) + (call.request.maxTokens ?? config.defaultOutputTokens);
        buckets.push({
          stateKey: `rate:${id}:tokens`,
          unit: 'tokens',
          scope,
          limit: { limit: tokensPerMinute, windowMs: minuteMs },
          cost: tokenCost,
        });
      }
    }
    return buckets;
  }

  /** Undoes takes of a call that will not run. Best effort: a failure here only over-counts. */
  async #giveBack(taken: readonly Taken[], nowMs: number): Promise<void> {
    const { state } = this.#options;
    await Promise.allSettled(
      taken.map(({ bucket }) => state.takeRate(bucket.stateKey, bucket.limit, -bucket.cost, nowMs)),
    );
  }

  #unavailable(cause: unknown): PolicyTicket {
    const mode = this.#options.failureMode;
    this.#options.failures.report({ policy: this.name, mode, error: cause });
    if (mode === 'closed') throw stateUnavailable({ policy: this.name, what: 'Rate limits', cause });
    return { headers: { [degradedHeader]: this.name } };
  }

  #refusal(refused: Taken, seen: readonly Taken[]): KeelError {
    const { bucket, decision } = refused;
    const perMinute = `${bucket.unit} per minute`;
    const message =
      bucket.cost > bucket.limit.limit
        ? `Request too large for ${bucket.scope} on ${perMinute}: limit ${String(bucket.limit.limit)}, requested ${String(bucket.cost)} (prompt estimate + max_tokens); send a smaller prompt or a lower max_tokens`
        : `Rate limit reached for ${bucket.scope} on ${perMinute}: limit ${String(bucket.limit.limit)}, requested ${String(bucket.cost)}; try again in ${formatRateLimitReset(decision.retryAfterMs)}`;
    return new KeelError({
      code: ErrorCodes.rateLimited,
      status: 429,
      message,
      retryAfterMs: decision.retryAfterMs,
      headers: rateLimitHeaders(seen),
    });
  }

  /**
   * Charges the difference between the real tokens and the admission's guess (usually a refund of
   * unused max_tokens). Cached answers and failures without usage spent none. A positive
   * difference is charged only if the bucket has room (takes are all or nothing): what a call
   * spent beyond its estimate is then forgiven rather than pushing the bucket past its limit.
   */
  #correctTokens(taken: readonly Taken[], reservedTokens: number, outcome: PolicyOutcome): void {
    const usedTokens =
      outcome.cached === true
        ? 0
        : (outcome.usage?.totalTokens ?? (outcome.error === undefined ? reservedTokens : 0));
    const difference = usedTokens - reservedTokens;
    if (difference === 0) return;
    const { state, clock, failures, failureMode } = this.#options;
    const nowMs = clock.now();
    for (const { bucket } of taken) {
      if (bucket.unit !== 'tokens') continue;
      state
        .takeRate(bucket.stateKey, bucket.limit, difference, nowMs)
        .catch((error: unknown) => failures.report({ policy: this.name, mode: failureMode, error }));
    }
  }
}

/** Per unit, the figures of the bucket with the least left (the one that will refuse first). */
function rateLimitHeaders(taken: readonly Taken[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const unit of ['requests', 'tokens'] as const) {
    let tightest: Taken | undefined;
    for (const entry of taken) {
      if (entry.bucket.unit !== unit) continue;
      if (
        tightest === undefined ||
        entry.decision.remaining < tightest.decision.remaining ||
        (entry.decision.remaining === tightest.decision.remaining &&
          entry.decision.resetMs > tightest.decision.resetMs)
      )
        tightest = entry;
    }
    if (tightest === undefined) continue;
    headers[`x-ratelimit-limit-${unit}`] = String(tightest.bucket.limit.limit);
    headers[`x-ratelimit-remaining-${unit}`] = String(tightest.decision.remaining);
    headers[`x-ratelimit-reset-${unit}`] = formatRateLimitReset(tightest.decision.resetMs);
  }
  return headers;
}
