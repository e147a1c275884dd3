// Smoothed latency per target (EWMA), feeding the least-latency strategy.

/**
 * Exponentially weighted moving average of successful attempt latencies per target key.
 * `alpha` near 1 reacts fast; 0.2 forgets a sample's weight over about ten calls.
 */
export class LatencyTracker {
  readonly #averages = new Map<string, number>();
  readonly #alpha: number;

  constructor(alpha = 0.2) {
    this.#alpha = alpha;
  }

  record(key: string, latencyMs: number): void {
    const previous = this.#averages.get(key);
    this.#averages.set(
      key,
      previous === undefined ? latencyMs : previous + this.#alpha * (latencyMs - previous),
    );
  }

  /** Failures count as slow: a failing target should not win least-latency. */
  recordFailure(key: string, penaltyMs: number): void {
    this.record(key, Math.max(penaltyMs, this.#averages.get(key) ?? 0));
  }

  get(key: string): number | undefined {
    return this.#averages.get(key);
  }
}
