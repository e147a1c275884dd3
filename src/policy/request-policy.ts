// The contract every request policy speaks (keys, token limits, budgets, rate limits, cache, experiments).
import type { ChatRequest, ChatResult, Usage } from '../spec/index.js';
import type { RequestMetadata } from '../telemetry/events.js';
import type { Target } from '../routing/plan-route.js';

/**
 * Who is calling: the gateway key the client presented (`Authorization: Bearer`), resolved at the
 * edge. Absent when Keel runs open (no keys configured). Never holds the secret.
 */
export interface CallerKey {
  /** Stable id of the key (not the secret), e.g. "key_3f9a...". Safe for logs and state keys. */
  id: string;
  name: string;
  team?: string | undefined;
  application?: string | undefined;
  environment?: string | undefined;
  /** Models (aliases or provider/model) this key may call; undefined = any. */
  allowedModels?: readonly string[] | undefined;
  /** Per-key limits, when the key sets them. */
  rateLimits?: { requestsPerMinute?: number | undefined; tokensPerMinute?: number | undefined } | undefined;
  budget?: { dailyUsd?: number | undefined; monthlyUsd?: number | undefined } | undefined;
}

/** What a policy sees of a call, after routing planned it and before any provider is called. */
export interface PolicyCall {
  requestId: string;
  /** The model the client asked for (alias or provider/model). */
  model: string;
  request: ChatRequest;
  metadata: RequestMetadata;
  key: CallerKey | undefined;
  stream: boolean;
  /** The targets the executor will try, in order. */
  targets: readonly Target[];
  /** Epoch ms, from the gateway's clock. */
  nowMs: number;
  /** The request's Cache-Control header, unparsed (the response cache reads it). */
  cacheControl?: string | undefined;
}

/** How a request ended, as policies settle it. */
export interface PolicyOutcome {
  /** undefined when the request succeeded. */
  error?: unknown;
  usage?: Usage | undefined;
  /** The target that answered. */
  target?: Target | undefined;
  providerType?: string | undefined;
  servedModel?: string | undefined;
  /** The whole answer of a successful non-streaming call, or of a stream that completed (for the cache). */
  result?: ChatResult | undefined;
  /** True when the answer came from the response cache (no provider was called, nothing was spent). */
  cached?: boolean | undefined;
}

/** A policy's hold on one admitted call. */
export interface PolicyTicket {
  /** Response headers for this call (e.g. x-ratelimit-*), on the answer whatever its outcome. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** The request to send instead (e.g. max_tokens clamped); the last policy's change wins. */
  request?: ChatRequest | undefined;
  /** A complete answer to serve without calling a provider (the response cache). */
  cachedResult?: ChatResult | undefined;
  /**
   * Set when `settle` needs `outcome.result` of a stream too: the gateway then keeps the whole
   * streamed answer (otherwise it keeps only a preview).
   */
  wantsResult?: boolean | undefined;
  /** Called exactly once when the request ended, or when a later policy refused it (with that error). */
  settle?(outcome: PolicyOutcome): void;
}

/**
 * A step of the request path between routing and the executor, in seed 001's order: token limit,
 * budget, rate limit, experiment, cache. `admit` refuses by throwing a KeelError (whose `headers`
 * reach the client, e.g. Retry-After); otherwise it returns a ticket (or undefined when it has
 * nothing to say). State lives behind SharedState, so a policy holds for every replica.
 */
export interface RequestPolicy {
  readonly name: string;
  admit(call: PolicyCall): Promise<PolicyTicket | undefined>;
}
