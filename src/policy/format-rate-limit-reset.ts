// Durations as OpenAI writes them in x-ratelimit-reset-* headers: "20ms", "1s", "8.64s", "6m0s", "1h0m0s".

/**
 * Go's duration format (what OpenAI's headers use), rounded up to the millisecond: under a second
 * in ms, else hours, minutes and seconds with up to three decimals.
 *
 * @example formatRateLimitReset(360_000) // "6m0s"
 */
export function formatRateLimitReset(ms: number): string {
  const wholeMs = Math.max(0, Math.ceil(ms));
  if (wholeMs === 0) return '0s';
  if (wholeMs < 1_000) return `${wholeMs}ms`;
  const hours = Math.floor(wholeMs / 3_600_000);
  const minutes = Math.floor((wholeMs % 3_600_000) / 60_000);
  const seconds = `${String((wholeMs % 60_000) / 1_000)}s`;
  if (hours > 0) return `${String(hours)}h${String(minutes)}m${seconds}`;
  if (minutes > 0) return `${String(minutes)}m${seconds}`;
  return seconds;
}
