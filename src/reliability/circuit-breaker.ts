// Circuit breaker decisions as pure functions of (state, event, now): closed -> open -> half-open -> closed.

export type BreakerStatus = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  /** Open after this many failures in a row. */
  consecutiveFailures: number;
  /** Open when failures / calls in the window reach this share (0..1)... */
  errorRateThreshold: number;
  /** ...once the window holds at least this many calls. */
  minimumRequests: number;
  windowMs: number;
  /** Time spent open before letting probes through. */
  cooldownMs: number;
  /** Calls let through at once while half-open. */
  halfOpenProbes: number;
}

interface Bucket {
  readonly startMs: number;
  readonly successes: number;
  readonly failures: number;
}

export interface BreakerState {
  readonly status: BreakerStatus;
  readonly consecutiveFailures: number;
  /** Rolling window, oldest first, in tenths of windowMs. */
  readonly buckets: readonly Bucket[];
  readonly openedAtMs: number | undefined;
  /** Probes let through and not yet settled (half-open only). */
  readonly probesInFlight: number;
  /** Why the breaker last changed state. */
  readonly reason: string;
  /**
   * Counts openings. A call carries the generation it was admitted in, so a late answer from
   * before the breaker opened cannot close (or re-open) a half-open breaker.
   */
  readonly generation: number;
}

/** What became of a call the breaker let through. `neutral`: says nothing about the target's health. */
export type CallOutcome = 'success' | 'failure' | 'neutral';

export const closedBreaker: BreakerState = {
  status: 'closed',
  consecutiveFailures: 0,
  buckets: [],
  openedAtMs: undefined,
  probesInFlight: 0,
  reason: 'initial',
  generation: 0,
};

const bucketsPerWindow = 10;

function prune(buckets: readonly Bucket[], nowMs: number, settings: BreakerSettings): readonly Bucket[] {
  const oldest = nowMs - settings.windowMs;
  let first = 0;
  while (first < buckets.length && (buckets[first] as Bucket).startMs <= oldest) first++;
  return first === 0 ? buckets : buckets.slice(first);
}

function addToWindow(
  buckets: readonly Bucket[],
  outcome: 'success' | 'failure',
  nowMs: number,
  settings: BreakerSettings,
): readonly Bucket[] {
  const kept = prune(buckets, nowMs, settings);
  const width = settings.windowMs / bucketsPerWindow;
  const startMs = Math.floor(nowMs / width) * width;
  const last = kept[kept.length - 1];
  const successes = outcome === 'success' ? 1 : 0;
  const failures = outcome === 'failure' ? 1 : 0;
  if (last !== undefined && last.startMs === startMs) {
    return [
      ...kept.slice(0, -1),
      { startMs, successes: last.successes + successes, failures: last.failures + failures },
    ];
  }
  return [...kept, { startMs, successes, failures }];
}

/** Calls and failures in the window at `nowMs`. */
export function windowCounts(
  state: BreakerState,
  nowMs: number,
  settings: BreakerSettings,
): { calls: number; failures: number } {
  let calls = 0;
  let failures = 0;
  for (const bucket of prune(state.buckets, nowMs, settings)) {
    calls += bucket.successes + bucket.failures;
    failures += bucket.failures;
  }
  return { calls, failures };
}

function open(state: BreakerState, nowMs: number, reason: string): BreakerState {
  return {
    status: 'open',
    consecutiveFailures: 0,
    buckets: [],
    openedAtMs: nowMs,
    probesInFlight: 0,
    reason,
    generation: state.generation + 1,
  };
}

/**
 * May a call go through now? Returns the decision and the state after it (an open breaker whose
 * cooldown has passed turns half-open and counts the probe).
 */
export function admit(
  state: BreakerState,
  nowMs: number,
  settings: BreakerSettings,
): { allowed: boolean; state: BreakerState } {
  if (state.status === 'closed') return { allowed: true, state };
  if (state.status === 'open') {
    if (nowMs - (state.openedAtMs ?? nowMs) < settings.cooldownMs) return { allowed: false, state };
    return {
      allowed: true,
      state: { ...state, status: 'half-open', probesInFlight: 1, reason: 'cooldown elapsed; probing' },
    };
  }
  if (state.probesInFlight >= settings.halfOpenProbes) return { allowed: false, state };
  return { allowed: true, state: { ...state, probesInFlight: state.probesInFlight + 1 } };
}

/**
 * The state after a call the breaker let through has ended. `admittedIn` is the generation the
 * call was admitted in; answers from an older generation change nothing.
 */
export function settle(
  state: BreakerState,
  outcome: CallOutcome,
  nowMs: number,
  settings: BreakerSettings,
  admittedIn: number = state.generation,
): BreakerState {
  if (state.status === 'open' || admittedIn !== state.generation) return state; // a late answer
  if (state.status === 'half-open') {
    if (outcome === 'success')
      return { ...closedBreaker, reason: 'probe succeeded', generation: state.generation };
    if (outcome === 'failure') return open(state, nowMs, 'probe failed');
    return { ...state, probesInFlight: Math.max(0, state.probesInFlight - 1) };
  }
  if (outcome === 'neutral') return state;
  const buckets = addToWindow(state.buckets, outcome, nowMs, settings);
  if (outcome === 'success') return { ...state, consecutiveFailures: 0, buckets };
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (consecutiveFailures >= settings.consecutiveFailures) {
    return open(state, nowMs, `${consecutiveFailures} consecutive failures`);
  }
  const next: BreakerState = { ...state, consecutiveFailures, buckets };
  const { calls, failures } = windowCounts(next, nowMs, settings);
  if (calls >= settings.minimumRequests && failures / calls >= settings.errorRateThreshold) {
    return open(state, nowMs, `error rate ${Math.round((failures / calls) * 100)}% over ${calls} calls`);
  }
  return next;
}

/** Opens the breaker by hand (control API), whatever its state. */
export function trip(state: BreakerState, nowMs: number, reason = 'tripped by an operator'): BreakerState {
  return open(state, nowMs, reason);
}

/** Closes the breaker by hand (control API); calls admitted before it no longer count. */
export function reset(state: BreakerState, reason = 'reset by an operator'): BreakerState {
  return { ...closedBreaker, reason, generation: state.generation + 1 };
}
