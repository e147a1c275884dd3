// What the HTTP edge hands the gateway for one call, and what it gets back to write the answer.
import type { ChatRequest, ChatResult, FinishReason, StreamPart, Usage } from '../spec/index.js';
import type { Target } from '../routing/plan-route.js';
import type { ExecutionTally } from '../reliability/executor.js';
import type { RequestMetadata, TraceContext } from '../telemetry/events.js';
import type { CallerKey } from '../policy/request-policy.js';

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
  /** The request's Cache-Control header, for the response cache. */
  cacheControl?: string | undefined;
  /**
   * The edge's controller for this request: it aborts it when the client goes away (or Keel shuts
   * down), and the gateway aborts it when the deadline passes.
   */
  abort?: AbortController | undefined;
  /** performance.now() when the request arrived at the edge. */
  arrivedAt: number;
}

/** What the edge needs to answer, and to close the books once the last byte is out. */
export interface Served {
  /** The target that answered; for a cached answer, the first planned one (where it would have gone). */
  target: Target;
  providerType: string;
  attempts: ExecutionTally['attempts'];
  /** The request's trace id: for the x-keel-trace-id response header. */
  traceId: string;
  /** Headers the policies asked for (x-ratelimit-*...). */
  policyHeaders: Readonly<Record<string, string>>;
  /** True when the response cache answered: no provider was called and `attempts` is empty. */
  cached: boolean;
  /** Keel's own time so far (ms): for the overhead response header. */
  overheadMs(): number;
}

export interface CompletedCall extends Served {
  result: ChatResult;
  /** Call after the response was written (or failed to be). */
  finish(error?: unknown): void;
}

export interface StreamingCall extends Served {
  /** The answer's parts; a cached answer's replayed. */
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
