// How long to wait before retrying the same target: exponential backoff with full jitter, or Retry-After.

export interface BackoffSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; beyond it the target is left for the next one. */
  maxRetryAfterMs: number;
}

/**
 * The delay before retry number `retry` (1 = first retry), or undefined when the upstream asked
 * for a longer wait than we are willing to spend (fail over instead).
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, cap].
 */
export function backoffDelayMs(options: {
  retry: number;
  settings: BackoffSettings;
  retryAfterMs: number | undefined;
  random: () => number;
}): number | undefined {
  const { retry, settings, retryAfterMs } = options;
  if (retryAfterMs !== undefined) return retryAfterMs <= settings.maxRetryAfterMs ? retryAfterMs : undefined;
  const cap = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (retry - 1));
  return Math.floor(options.random() * cap);
}
