// The typed events the request path emits; metrics, logs, traces and the store subscribe to them.
import type { ChatRequest, FinishReason, Usage } from '../spec/index.js';
import type { BreakerTransition } from '../reliability/breaker-registry.js';
import type { ChaosChange } from '../chaos/chaos-registry.js';

/** Who asked, and under which experiment: carried from request headers into telemetry (seed 001). */
export interface RequestMetadata {
  environment?: string | undefined;
  application?: string | undefined;
  featureVersion?: string | undefined;
  promptVersion?: string | undefined;
  experimentId?: string | undefined;
  variantId?: string | undefined;
  user?: string | undefined;
  /** The named prompt route, when the call came through one. */
  route?: string | undefined;
  /** The gateway key's id (never its secret), when Keel has keys. */
  keyId?: string | undefined;
  /** The gateway key's team. */
  team?: string | undefined;
}

/**
 * The W3C trace context of one request. Every request has one: from the client's `traceparent`
 * header when it sent a valid one, else a fresh random trace id with no parent.
 */
export interface TraceContext {
  /** 32 lowercase hex characters, never all zeros. */
  traceId: string;
  /** The caller's span (16 hex characters), when the request came with a valid traceparent. */
  parentSpanId?: string | undefined;
  /** The caller's sampled flag; true when there is no caller span (Keel's sampleRatio then decides). */
  sampled: boolean;
  /** The caller's `tracestate` header, passed along unparsed. */
  traceState?: string | undefined;
}

/** One call to one target, or one target skipped because its breaker was open. */
export interface AttemptRecord {
  /** 1-based position among the request's attempts. */
  index: number;
  /** "provider/model". */
  target: string;
  providerId: string;
  modelId: string;
  outcome: 'ok' | 'error' | 'skipped';
  startedAtMs: number;
  /** Time waiting on the upstream (to the first part, for streams). */
  durationMs: number;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  upstreamStatus?: number | undefined;
  /** Backoff slept after this attempt before the next one. */
  backoffMs?: number | undefined;
}

export interface RequestStartEvent {
  requestId: string;
  receivedAtMs: number;
  requestedModel: string;
  stream: boolean;
  metadata: RequestMetadata;
  trace: TraceContext;
}

export interface AttemptEndEvent {
  requestId: string;
  attempt: AttemptRecord;
}

export interface RequestEndEvent {
  requestId: string;
  receivedAtMs: number;
  requestedModel: string;
  stream: boolean;
  metadata: RequestMetadata;
  trace: TraceContext;
  /** HTTP status sent to the client (200 for a stream that started, even if it later broke). */
  status: number;
  outcome: 'ok' | 'error';
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  providerId?: string | undefined;
  providerType?: string | undefined;
  /** Model id the provider reported serving. */
  servedModel?: string | undefined;
  finishReason?: FinishReason | undefined;
  usage?: Usage | undefined;
  /** Whole request, edge in to last byte out. */
  totalMs: number;
  /** Time spent waiting on upstreams, all attempts. */
  upstreamMs: number;
  /** Keel's own work: total minus upstream wait and backoff sleeps. */
  overheadMs: number;
  /** Streams: from request arrival to the first content byte sent. */
  ttftMs?: number | undefined;
  attempts: AttemptRecord[];
  /** Breaker state of the target that served (or last failed). */
  breakerStatus?: string | undefined;
  promptChars: number;
  responseChars: number;
  /** The request as the gateway ran it (for previews; read, never modify). */
  request: ChatRequest;
  /** The start of the answer (up to responseTextLimit characters), for previews. */
  responseText: string | undefined;
  /** True when the response cache answered: no provider was called (attempts empty, upstreamMs 0). */
  cacheHit?: boolean | undefined;
}

/**
 * What the response cache did with one request: `hit` (answered from it), `miss` (looked up, not
 * found or too old; the answer is fetched and stored) or `bypass` (Cache-Control no-cache or
 * no-store: not looked up).
 */
export interface CacheLookupEvent {
  requestId: string;
  /** The requested model (alias or provider/model). */
  model: string;
  result: 'hit' | 'miss' | 'bypass';
}

/** How much of an answer's text the request path keeps for previews. */
export const responseTextLimit = 1000;

/** Who a budget is for: one gateway key, a team, an application, or all traffic. */
export type BudgetScope = 'key' | 'team' | 'application' | 'global';
/** Budgets run per UTC day and per UTC month. */
export type BudgetPeriod = 'day' | 'month';

/** A budget counter crossed one of its alert thresholds: fired once per threshold per period. */
export interface BudgetThresholdEvent {
  scope: BudgetScope;
  /** The key id, team or application name; "global" for the global budget. */
  id: string;
  period: BudgetPeriod;
  /** The period it applies to: "2026-01-31" for a day, "2026-01" for a month (UTC). */
  periodKey: string;
  /** The threshold crossed, e.g. 80. */
  thresholdPercent: number;
  /** Settled spend in the period so far (reservations of calls in flight excluded). */
  spentUsd: number;
  limitUsd: number;
  /** When the period ends and the budget starts afresh, epoch ms. */
  resetAtMs: number;
  /**
   * True when the 100 % alert fired because a request was refused: the next call's worst case did
   * not fit, although settled spend is still under the limit.
   */
  refused: boolean;
  mode: 'enforce' | 'soft';
  atMs: number;
}

/** A token limit or budget acted on a request, or an average went over its target. */
export interface LimitHitEvent {
  limit: 'tokens:request' | 'tokens:average' | 'budget';
  /** rejected: refused with a 4xx; clamped: max_tokens lowered; alerted: only reported. */
  action: 'rejected' | 'clamped' | 'alerted';
  /** The request it happened to; absent for a window's average. */
  requestId?: string | undefined;
  model?: string | undefined;
  /** What was measured: tokens of the request or the window's average, or USD. */
  value: number;
  /** The limit it was measured against, same unit. */
  limitValue: number;
  unit: 'tokens' | 'usd';
  /** For budgets: which counter refused, e.g. "team:search:day". */
  detail?: string | undefined;
  atMs: number;
}

/** A chaos injection started or ended (cleared, expired or replaced); see docs/operations.md#chaos. */
export type ChaosInjectionEvent = ChaosChange;

export interface KeelEvents {
  'request:start': RequestStartEvent;
  'attempt:end': AttemptEndEvent;
  'request:end': RequestEndEvent;
  'breaker:transition': BreakerTransition;
  'cache:lookup': CacheLookupEvent;
  'budget:threshold': BudgetThresholdEvent;
  'limit:hit': LimitHitEvent;
  'chaos:injection': ChaosInjectionEvent;
}
