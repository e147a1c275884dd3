// Maps what an upstream did wrong (HTTP status, broken connection, abort) onto KeelErrors.
import { ErrorCodes, KeelError } from '../../spec/index.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

function firstHeader(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long the upstream asked us to wait, from `retry-after-ms` (OpenAI), or `Retry-After`
 * in seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(headers: HeaderBag, nowMs: number = Date.now()): number | undefined {
  const milliseconds = firstHeader(headers, 'retry-after-ms')?.trim();
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds)) return Number(milliseconds);
  const retryAfter = firstHeader(headers, 'retry-after')?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  // RFC 9110: delay-seconds (digits) or an HTTP-date (which always names a weekday and month).
  if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
  if (!/[A-Za-z]/.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * A wait the provider put in its error body rather than a header: Google's RetryInfo
 * (`error.details[].retryDelay: "34s"`) and TGI's model-loading `estimated_time` (seconds).
 */
export function retryAfterFromBodyMs(bodyText: string): number | undefined {
  if (!bodyText.includes('retryDelay') && !bodyText.includes('estimated_time')) return undefined;
  try {
    const body = JSON.parse(bodyText) as {
      estimated_time?: unknown;
      error?: { details?: { retryDelay?: unknown }[] };
    };
    if (typeof body.estimated_time === 'number' && body.estimated_time >= 0)
      return body.estimated_time * 1000;
    for (const detail of body.error?.details ?? []) {
      const match =
        typeof detail.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
      if (match?.[1] !== undefined) return Number(match[1]) * 1000;
    }
  } catch {
    // Not JSON: no wait to read.
  }
  return undefined;
}

/** Pulls a human-readable message out of a provider's error body, whatever its shape. */
export function extractErrorMessage(bodyText: string): string {
  const trimmed = bodyText.trim();
  if (trimmed === '') return '';
  try {
    const parsed: unknown = JSON.parse(trimmed);
    const found = findMessage(parsed);
    if (found !== undefined) return found;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}...` : trimmed;
}

function findMessage(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length > 0 ? findMessage(value[0]) : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.message === 'string') return record.message;
  if (record.error !== undefined) return findMessage(record.error);
  if (typeof record.detail === 'string') return record.detail;
  return undefined;
}

export interface HttpErrorInput {
  providerId: string;
  status: number;
  headers: HeaderBag;
  bodyText: string;
  nowMs?: number | undefined;
}

/** A KeelError for a non-2xx upstream answer, with retry/failover/breaker hints set by status. */
export function mapHttpError(input: HttpErrorInput): KeelError {
  const { providerId, status } = input;
  const detail = extractErrorMessage(input.bodyText);
  const message = `${providerId} answered HTTP ${status}${detail === '' ? '' : `: ${detail}`}`;
  const retryAfterMs = parseRetryAfterMs(input.headers, input.nowMs) ?? retryAfterFromBodyMs(input.bodyText);
  const common = { message, upstreamStatus: status, retryAfterMs };
  if (status === 429) {
    return new KeelError({ ...common, code: ErrorCodes.upstreamRateLimited, status: 429, retryable: true });
  }
  if (status === 408) {
    return new KeelError({ ...common, code: ErrorCodes.upstreamTimeout, status: 504, retryable: true });
  }
  if (status === 529 || status === 503) {
    return new KeelError({ ...common, code: ErrorCodes.upstreamOverloaded, status: 503, retryable: true });
  }
  // 424: text-generation-inference's "generation failed" (a shard broke mid-generation).
  if (status >= 500 || status === 424) {
    return new KeelError({ ...common, code: ErrorCodes.upstreamServerError, status: 502, retryable: true });
  }
  if (status === 401 || status === 403) {
    // This target's key is wrong: another target may still answer, and the target is unusable.
    return new KeelError({
      ...common,
      code: ErrorCodes.upstreamAuth,
      status: 502,
      retryable: false,
      failover: true,
      countsAsFailure: true,
    });
  }
  if (status === 404) {
    return new KeelError({
      ...common,
      code: ErrorCodes.upstreamNotFound,
      status: 502,
      retryable: false,
      failover: true,
      countsAsFailure: false,
    });
  }
  // Other 4xx: the request itself is at fault; another provider would refuse it too.
  return new KeelError({ ...common, code: ErrorCodes.upstreamBadRequest, status: 400, retryable: false });
}

/**
 * A KeelError for a call that never produced an answer: aborted by a deadline (the abort reason
 * is already a KeelError), or a connection refused, reset or cut.
 */
export function mapNetworkError(providerId: string, error: unknown, signal?: AbortSignal): KeelError {
  if (signal?.aborted === true && signal.reason instanceof KeelError) return signal.reason;
  if (error instanceof KeelError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new KeelError({
      code: ErrorCodes.upstreamTimeout,
      status: 504,
      retryable: true,
      message: `${providerId} timed out: ${detail}`,
      cause: error,
    });
  }
  return new KeelError({
    code: ErrorCodes.upstreamConnection,
    status: 502,
    retryable: true,
    message: `${providerId} connection failed${typeof code === 'string' ? ` (${code})` : ''}: ${detail}`,
    cause: error,
  });
}

/** A KeelError for an upstream answer that is not what its API documents. */
export function badResponse(providerId: string, detail: string, cause?: unknown): KeelError {
  return new KeelError({
    code: ErrorCodes.upstreamBadResponse,
    status: 502,
    retryable: true,
    message: `${providerId} sent an unreadable response: ${detail}`,
    cause,
  });
}

/** A KeelError for a stream that broke after it started. */
export function streamInterrupted(providerId: string, detail: string, cause?: unknown): KeelError {
  return new KeelError({
    code: ErrorCodes.streamInterrupted,
    status: 502,
    retryable: true,
    message: `${providerId} stream broke: ${detail}`,
    cause,
  });
}
