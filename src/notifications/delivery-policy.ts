// Pure decisions of the webhook deliverer: what an attempt's result means, when to retry, and the per-target rate.

/** How deliveries are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included; default 8. */
  maxAttempts: number;
  /** The backoff cap before the first retry, ms; default 1 s. */
  initialBackoffMs: number;
  /** No wait is longer, Retry-After included, ms; default 5 min. */
  maxBackoffMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  initialBackoffMs: 1000,
  maxBackoffMs: 300_000, // 5 min
};

/** What one POST came back with. */
export type AttemptResult =
  | {
      kind: 'response';
      status: number;
      /** From Retry-After (or retry-after-ms), when the receiver sent one. */
      retryAfterMs?: number | undefined;
      /** The start of the response body, for the report. */
      bodyText?: string | undefined;
    }
  | { kind: 'error'; message: string };

/** What to do with the message after an attempt. */
export type DeliveryDecision =
  | { action: 'delivered' }
  | { action: 'failed'; reason: string }
  | { action: 'retry'; delayMs: number; nextAttemptAtMs: number; reason: string };

/** 2xx succeeded; 408, 429 and 5xx (and network errors) may succeed later; anything else will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(max, initial × 2^(retry−1))]. */
export function backoffDelayMs(options: {
  retry: number;
  policy: RetryPolicy;
  random: () => number;
}): number {
  const { retry, policy, random } = options;
  const ceilingMs = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceilingMs);
}

function describe(result: AttemptResult): string {
  if (result.kind === 'error') return result.message;
  const body = result.bodyText === undefined || result.bodyText === '' ? '' : `: ${result.bodyText}`;
  return `HTTP ${result.status}${body}`;
}

/**
 * Decides after attempt number `attempts` (1 for the first). A 429 or 503 with Retry-After waits
 * that long (capped at maxBackoffMs) instead of the jittered backoff.
 */
export function decideAfterAttempt(options: {
  result: AttemptResult;
  attempts: number;
  nowMs: number;
  policy: RetryPolicy;
  random: () => number;
}): DeliveryDecision {
  const { result, attempts, nowMs, policy, random } = options;
  if (result.kind === 'response' && result.status >= 200 && result.status < 300)
    return { action: 'delivered' };
  const reason = describe(result);
  if (result.kind === 'response' && !isRetryableStatus(result.status)) {
    return { action: 'failed', reason: `${reason} (not retried: the receiver refused the message)` };
  }
  if (attempts >= policy.maxAttempts) {
    return { action: 'failed', reason: `${reason} (gave up after ${attempts} attempts)` };
  }
  const honoursRetryAfter =
    result.kind === 'response' &&
    (result.status === 429 || result.status === 503) &&
    result.retryAfterMs !== undefined;
  const delayMs = honoursRetryAfter
    ? Math.min(policy.maxBackoffMs, Math.max(0, Math.ceil(result.retryAfterMs ?? 0)))
    : backoffDelayMs({ retry: attempts, policy, random });
  return { action: 'retry', delayMs, nextAttemptAtMs: nowMs + delayMs, reason };
}

/** The send times of one target's recent POSTs, oldest first. */
export type RateWindow = readonly number[];

export const RATE_WINDOW_MS = 60_000;

/**
 * May one more POST go to this target now? At most `maxPerMinute` in any sliding minute. Returns
 * the window to keep (with `nowMs` added when admitted) and, when refused, when a slot frees up.
 */
export function admitDelivery(options: { window: RateWindow; nowMs: number; maxPerMinute: number }): {
  admitted: boolean;
  window: number[];
  retryAtMs: number | undefined;
} {
  const { nowMs, maxPerMinute } = options;
  const recent = options.window.filter((sentAtMs) => sentAtMs > nowMs - RATE_WINDOW_MS);
  if (recent.length < maxPerMinute)
    return { admitted: true, window: [...recent, nowMs], retryAtMs: undefined };
  const oldest = recent[recent.length - maxPerMinute] ?? nowMs;
  return { admitted: false, window: recent, retryAtMs: oldest + RATE_WINDOW_MS };
}
