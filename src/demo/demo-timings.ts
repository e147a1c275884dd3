// How long each act of `keel demo` lasts and how fast Keel reacts: the full story and the compressed --short one.

/** The timings of one demo run; every duration is in milliseconds. */
export interface DemoTimings {
  /** Normal traffic before anything breaks. */
  baselineMs: number;
  /** A phase ends once its milestones happened and at least `minMs` passed, or at `maxMs` regardless. */
  spike: { minMs: number; maxMs: number };
  outage: { minMs: number; maxMs: number };
  /** How long to wait, after the chaos is cleared, for the breaker, monitors and incidents to recover. */
  recoveryMaxMs: number;
  /** Latency chaos adds to every call of the primary during the spike. */
  spikeLatencyMs: number;
  /** Requests per second of the story's mixed traffic. */
  rps: number;
  /** Requests per second while the dashboard is left running after the story. */
  idleRps: number;
  /** monitors.evaluationIntervalMs. */
  evaluationIntervalMs: number;
  /** incidents.quietPeriodMs. */
  quietPeriodMs: number;
  /** reliability.circuitBreaker.cooldownMs. */
  breakerCooldownMs: number;
  /**
   * Shift the demo's clock so the chaos ends just before a minute starts (see alignedOffsetMs). The
   * store's rollups are per minute, so a monitor only sees the spike leave its window when a new
   * minute begins: aligned, the short story does not wait up to a minute for that.
   */
  alignToMinute: boolean;
}

/** `keel demo`: about three minutes, at the pace a person can follow. */
export const fullDemoTimings: DemoTimings = {
  baselineMs: 15_000, // 15 s
  spike: { minMs: 15_000, maxMs: 60_000 },
  outage: { minMs: 15_000, maxMs: 60_000 },
  recoveryMaxMs: 150_000, // the window's minute has to pass, then the quiet period
  spikeLatencyMs: 2500,
  rps: 8,
  idleRps: 1,
  evaluationIntervalMs: 2000,
  quietPeriodMs: 15_000,
  breakerCooldownMs: 8000,
  alignToMinute: false,
};

/** `keel demo --short`: the same story compressed for tests and CI, well under a minute. */
export const shortDemoTimings: DemoTimings = {
  baselineMs: 3000,
  spike: { minMs: 3000, maxMs: 10_000 },
  outage: { minMs: 3000, maxMs: 10_000 },
  recoveryMaxMs: 75_000, // generous: a loaded machine may push the end of the chaos past the minute
  spikeLatencyMs: 2500,
  rps: 8,
  idleRps: 1,
  evaluationIntervalMs: 1000,
  quietPeriodMs: 3000,
  breakerCooldownMs: 2000,
  alignToMinute: true,
};
