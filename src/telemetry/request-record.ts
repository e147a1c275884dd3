// The stored record of one request: what every sink (store, JSONL, metrics) and the query API share.

/** One request as Keel records it (seed 001's fields and more). Times are milliseconds. */
export interface RequestRecord {
  /** Arrival time, epoch milliseconds. */
  timeMs: number;
  requestId: string;
  /** W3C trace id: the caller's (traceparent) or Keel's own; undefined only in records from before Keel set one. */
  traceId: string | undefined;
  /** From x-keel-environment; 'default' when absent. */
  environment: string;
  /** From x-keel-application; 'default' when absent. */
  application: string;
  /** The named prompt route, when the call came through one. */
  route: string | undefined;
  /** The alias or provider/model the client asked for. */
  requestedModel: string;
  /** Provider id that served the answer (or last failed). */
  provider: string | undefined;
  /** Adapter family: openai, anthropic, gemini, huggingface, mock. */
  providerType: string | undefined;
  /** Model the provider reported serving. */
  servedModel: string | undefined;
  stream: boolean;
  /** HTTP status sent to the client (200 for a stream that started, even if it later broke). */
  status: number;
  outcome: 'ok' | 'error';
  errorCode: string | undefined;
  /** OpenAI error type (invalid_request_error, rate_limit_error, server_error...). */
  errorType: string | undefined;
  totalMs: number;
  /** Time waiting on upstreams (LLM time). */
  upstreamMs: number;
  /** Keel's own time: total minus upstream wait and retry backoff. */
  overheadMs: number;
  /** Streams: arrival to the first content byte sent. */
  ttftMs: number | undefined;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens: number;
  reasoningTokens: number;
  /** Cost of the answer in USD, or undefined when the model has no known price. */
  costUsd: number | undefined;
  cacheHit: boolean;
  /** Attempts made, skipped targets included. */
  attempts: number;
  /** Targets tried, in order, as "provider/model:outcome" (e.g. "primary/gpt-4o:error"). */
  failoverPath: string[];
  /** Breaker state of the serving (or last) target when the request ended. */
  breakerState: string | undefined;
  featureVersion: string | undefined;
  promptVersion: string | undefined;
  experimentId: string | undefined;
  variantId: string | undefined;
  /** The gateway key's id (never its secret); undefined while Keel runs open. */
  keyId?: string | undefined;
  /** The gateway key's team. */
  team?: string | undefined;
  promptChars: number;
  responseChars: number;
  /** First 200 characters of the last user message, PII redacted; undefined when content capture is off. */
  promptPreview: string | undefined;
  /** First 200 characters of the answer, PII redacted; undefined when content capture is off. */
  responsePreview: string | undefined;
  /**
   * The answer's quality signals (src/quality): successful requests only; undefined for errors and
   * for records made before Keel scored answers.
   */
  quality?: RecordQuality | undefined;
}

/** A scored answer: 0..1 (1 = no issue found) and the flags that lowered it (`empty`, `refusal`...). */
export interface RecordQuality {
  score: number;
  flags: string[];
}

/** Status classes used in rollups and metrics. */
export type StatusClass = '2xx' | '4xx' | '5xx';

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  return '2xx';
}

/**
 * A record's class in the store: its HTTP status's, except that a request that failed after its
 * 200 head went out (a stream cut mid-way) is a 5xx, so "2xx" always means it succeeded.
 */
export function recordStatusClass(record: Pick<RequestRecord, 'status' | 'outcome'>): StatusClass {
  return record.outcome === 'error' && record.status < 400 ? '5xx' : statusClass(record.status);
}
