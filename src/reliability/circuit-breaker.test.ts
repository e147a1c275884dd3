import { describe, expect, it } from 'vitest';
import {
  admit,
  closedBreaker,
  reset,
  settle,
  trip,
  windowCounts,
  type BreakerSettings,
  type BreakerState,
  type BreakerStatus,
  type CallOutcome,
} from './circuit-breaker.js';

// Buckets are a tenth of windowMs wide: 1_000 ms here.
const settings: BreakerSettings = {
  consecutiveFailures: 3,
  errorRateThreshold: 0.5,
  minimumRequests: 4,
  windowMs: 10_000,
  cooldownMs: 5_000,
  halfOpenProbes: 2,
};

const openedAtMs = 100_000;

function closed(overrides: Partial<BreakerState> = {}): BreakerState {
  return { ...closedBreaker, ...overrides };
}

function opened(overrides: Partial<BreakerState> = {}): BreakerState {
  return {
    status: 'open',
    consecutiveFailures: 0,
    buckets: [],
    openedAtMs,
    probesInFlight: 0,
    reason: '3 consecutive failures',
    generation: 1,
    ...overrides,
  };
}

function halfOpen(probesInFlight: number): BreakerState {
  return opened({ status: 'half-open', probesInFlight, reason: 'cooldown elapsed; probing' });
}

type BreakerEvent = { admit: true } | { settle: CallOutcome };

interface Row {
  name: string;
  state: BreakerState;
  event: BreakerEvent;
  nowMs: number;
  status: BreakerStatus;
  /** Only for admit events. */
  allowed?: boolean;
  probesInFlight?: number;
  consecutiveFailures?: number;
  openedAtMs?: number | undefined;
  reason?: string;
  /** The event must hand back the very same state object (nothing changed). */
  unchanged?: boolean;
}

const rows: Row[] = [
  // closed: admitting is free
  {
    name: 'closed admits without changing state',
    state: closed({ consecutiveFailures: 2 }),
    event: { admit: true },
    nowMs: 1_000,
    status: 'closed',
    allowed: true,
    unchanged: true,
  },
  // closed -> open on N consecutive failures
  {
    name: 'closed: a failure below the consecutive limit counts it',
    state: closed({ consecutiveFailures: 1 }),
    event: { settle: 'failure' },
    nowMs: 1_000,
    status: 'closed',
    consecutiveFailures: 2,
  },
  {
    name: 'closed -> open on the Nth consecutive failure',
    state: closed({ consecutiveFailures: 2 }),
    event: { settle: 'failure' },
    nowMs: 1_000,
    status: 'open',
    openedAtMs: 1_000,
    consecutiveFailures: 0,
    reason: '3 consecutive failures',
  },
  {
    name: 'closed: a success resets the consecutive count',
    state: closed({ consecutiveFailures: 2 }),
    event: { settle: 'success' },
    nowMs: 1_000,
    status: 'closed',
    consecutiveFailures: 0,
  },
  {
    name: 'closed: a neutral outcome changes nothing',
    state: closed({ consecutiveFailures: 2, buckets: [{ startMs: 0, successes: 1, failures: 2 }] }),
    event: { settle: 'neutral' },
    nowMs: 1_000,
    status: 'closed',
    unchanged: true,
  },
  // closed -> open on error rate once minimumRequests is reached
  {
    name: 'closed -> open when the window error rate reaches the threshold at minimumRequests',
    state: closed({ buckets: [{ startMs: 1_000, successes: 2, failures: 1 }] }),
    event: { settle: 'failure' },
    nowMs: 1_500,
    status: 'open',
    openedAtMs: 1_500,
    reason: 'error rate 50% over 4 calls',
  },
  {
    name: 'closed stays closed at a high error rate below minimumRequests',
    state: closed({ consecutiveFailures: 0, buckets: [{ startMs: 1_000, successes: 1, failures: 1 }] }),
    event: { settle: 'failure' },
    nowMs: 1_500,
    status: 'closed',
    consecutiveFailures: 1,
  },
  {
    name: 'closed stays closed below the error-rate threshold',
    state: closed({ buckets: [{ startMs: 1_000, successes: 3, failures: 0 }] }),
    event: { settle: 'failure' },
    nowMs: 1_500,
    status: 'closed',
    consecutiveFailures: 1,
  },
  // window pruning
  {
    name: 'failures still in the window count towards the error rate',
    state: closed({
      buckets: [
        { startMs: 0, successes: 0, failures: 2 },
        { startMs: 5_000, successes: 1, failures: 0 },
      ],
    }),
    event: { settle: 'failure' },
    nowMs: 9_999,
    status: 'open',
    reason: 'error rate 75% over 4 calls',
  },
  {
    name: 'failures older than windowMs fall out of the window',
    state: closed({
      buckets: [
        { startMs: 0, successes: 0, failures: 2 },
        { startMs: 5_000, successes: 1, failures: 0 },
      ],
    }),
    event: { settle: 'failure' },
    nowMs: 10_000,
    status: 'closed',
    consecutiveFailures: 1,
  },
  // open rejects until cooldownMs
  {
    name: 'open rejects just after opening',
    state: opened(),
    event: { admit: true },
    nowMs: openedAtMs,
    status: 'open',
    allowed: false,
    unchanged: true,
  },
  {
    name: 'open rejects 1 ms before the cooldown ends',
    state: opened(),
    event: { admit: true },
    nowMs: openedAtMs + settings.cooldownMs - 1,
    status: 'open',
    allowed: false,
    unchanged: true,
  },
  // open -> half-open after cooldown, admitting only halfOpenProbes probes
  {
    name: 'open -> half-open once the cooldown has passed, counting the probe',
    state: opened(),
    event: { admit: true },
    nowMs: openedAtMs + settings.cooldownMs,
    status: 'half-open',
    allowed: true,
    probesInFlight: 1,
    reason: 'cooldown elapsed; probing',
  },
  {
    name: 'half-open admits another probe while under halfOpenProbes',
    state: halfOpen(1),
    event: { admit: true },
    nowMs: openedAtMs + settings.cooldownMs + 10,
    status: 'half-open',
    allowed: true,
    probesInFlight: 2,
  },
  {
    name: 'half-open rejects once halfOpenProbes are in flight',
    state: halfOpen(2),
    event: { admit: true },
    nowMs: openedAtMs + settings.cooldownMs + 10,
    status: 'half-open',
    allowed: false,
    unchanged: true,
  },
  // half-open -> closed / open
  {
    name: 'half-open -> closed on a probe success',
    state: halfOpen(1),
    event: { settle: 'success' },
    nowMs: openedAtMs + settings.cooldownMs + 50,
    status: 'closed',
    probesInFlight: 0,
    consecutiveFailures: 0,
    openedAtMs: undefined,
    reason: 'probe succeeded',
  },
  {
    name: 'half-open -> open on a probe failure, restarting the cooldown',
    state: halfOpen(1),
    event: { settle: 'failure' },
    nowMs: openedAtMs + settings.cooldownMs + 50,
    status: 'open',
    probesInFlight: 0,
    openedAtMs: openedAtMs + settings.cooldownMs + 50,
    reason: 'probe failed',
  },
  // neutral outcomes release a probe slot
  {
    name: 'half-open: a neutral probe releases its slot',
    state: halfOpen(2),
    event: { settle: 'neutral' },
    nowMs: openedAtMs + settings.cooldownMs + 50,
    status: 'half-open',
    probesInFlight: 1,
  },
  {
    name: 'half-open: a neutral outcome never takes probes below zero',
    state: halfOpen(0),
    event: { settle: 'neutral' },
    nowMs: openedAtMs + settings.cooldownMs + 50,
    status: 'half-open',
    probesInFlight: 0,
  },
  // late settles while open are ignored
  ...(['success', 'failure', 'neutral'] as const).map((outcome): Row => ({
    name: `open ignores a late ${outcome}`,
    state: opened(),
    event: { settle: outcome },
    nowMs: openedAtMs + 10,
    status: 'open',
    openedAtMs,
    unchanged: true,
  })),
];

describe('circuit breaker transitions', () => {
  it.each(rows)('$name', (row) => {
    let next: BreakerState;
    if ('admit' in row.event) {
      const decision = admit(row.state, row.nowMs, settings);
      expect(decision.allowed).toBe(row.allowed);
      next = decision.state;
    } else {
      next = settle(row.state, row.event.settle, row.nowMs, settings);
    }
    expect(next.status).toBe(row.status);
    if (row.unchanged === true) expect(next).toBe(row.state);
    if (row.probesInFlight !== undefined) expect(next.probesInFlight).toBe(row.probesInFlight);
    if (row.consecutiveFailures !== undefined) expect(next.consecutiveFailures).toBe(row.consecutiveFailures);
    if ('openedAtMs' in row) expect(next.openedAtMs).toBe(row.openedAtMs);
    if (row.reason !== undefined) expect(next.reason).toBe(row.reason);
  });

  it('opening clears the window and the failure count', () => {
    const next = settle(
      closed({ consecutiveFailures: 2, buckets: [{ startMs: 0, successes: 5, failures: 2 }] }),
      'failure',
      500,
      settings,
    );
    expect(next).toEqual({
      status: 'open',
      consecutiveFailures: 0,
      buckets: [],
      openedAtMs: 500,
      probesInFlight: 0,
      reason: '3 consecutive failures',
      generation: 1,
    });
  });

  it('ignores a late answer admitted in an older generation while half-open', () => {
    const probing = halfOpen(1);
    expect(settle(probing, 'success', openedAtMs + 40_000, settings, 0)).toBe(probing);
    expect(settle(probing, 'failure', openedAtMs + 40_000, settings, 0)).toBe(probing);
    expect(settle(probing, 'success', openedAtMs + 40_000, settings, 1).status).toBe('closed');
  });
});

describe('circuit breaker window', () => {
  it('groups calls into buckets a tenth of windowMs wide and counts them', () => {
    let state: BreakerState = closedBreaker;
    state = settle(state, 'success', 1_100, settings);
    state = settle(state, 'failure', 1_900, settings);
    state = settle(state, 'success', 2_050, settings);
    expect(state.buckets).toEqual([
      { startMs: 1_000, successes: 1, failures: 1 },
      { startMs: 2_000, successes: 1, failures: 0 },
    ]);
    expect(windowCounts(state, 2_100, settings)).toEqual({ calls: 3, failures: 1 });
    // The first bucket leaves the window once its start is windowMs old.
    expect(windowCounts(state, 10_999, settings)).toEqual({ calls: 3, failures: 1 });
    expect(windowCounts(state, 11_000, settings)).toEqual({ calls: 1, failures: 0 });
    expect(windowCounts(state, 12_000, settings)).toEqual({ calls: 0, failures: 0 });
  });

  it('does not open on the error rate before minimumRequests, then opens at it', () => {
    // failure, success, failure, success, failure: never 3 failures in a row.
    let state: BreakerState = closedBreaker;
    const outcomes: CallOutcome[] = ['failure', 'success', 'failure'];
    for (const outcome of outcomes) {
      state = settle(state, outcome, 1_000, settings);
      expect(state.status).toBe('closed');
    }
    expect(windowCounts(state, 1_000, settings)).toEqual({ calls: 3, failures: 2 });
    state = settle(state, 'failure', 1_000, settings);
    expect(state.status).toBe('open');
    expect(state.reason).toBe('error rate 75% over 4 calls');
  });

  it('forgets old failures so a later burst must reach minimumRequests again', () => {
    let state: BreakerState = closedBreaker;
    state = settle(state, 'failure', 0, settings);
    state = settle(state, 'failure', 0, settings);
    state = settle(state, 'success', 0, settings);
    // 20 s later the three calls above are out of the window.
    state = settle(state, 'failure', 20_000, settings);
    expect(state.status).toBe('closed');
    expect(windowCounts(state, 20_000, settings)).toEqual({ calls: 1, failures: 1 });
    expect(state.buckets).toEqual([{ startMs: 20_000, successes: 0, failures: 1 }]);
  });
});

describe('circuit breaker lifecycle', () => {
  it('goes closed -> open -> half-open -> open -> half-open -> closed', () => {
    let state: BreakerState = closedBreaker;
    for (let call = 0; call < 3; call++) state = settle(state, 'failure', 1_000, settings);
    expect(state.status).toBe('open');

    expect(admit(state, 5_999, settings).allowed).toBe(false);
    let decision = admit(state, 6_000, settings);
    expect(decision).toMatchObject({ allowed: true, state: { status: 'half-open', probesInFlight: 1 } });
    state = decision.state;

    state = settle(state, 'failure', 6_100, settings);
    expect(state).toMatchObject({ status: 'open', openedAtMs: 6_100, reason: 'probe failed' });
    expect(admit(state, 11_099, settings).allowed).toBe(false);

    decision = admit(state, 11_100, settings);
    state = decision.state;
    decision = admit(state, 11_100, settings);
    state = decision.state;
    expect(decision.allowed).toBe(true);
    expect(admit(state, 11_100, settings).allowed).toBe(false);

    // A probe that ended neutrally frees its slot for another probe.
    state = settle(state, 'neutral', 11_200, settings);
    decision = admit(state, 11_200, settings);
    expect(decision.allowed).toBe(true);
    state = decision.state;

    state = settle(state, 'success', 11_300, settings);
    expect(state).toEqual({ ...closedBreaker, reason: 'probe succeeded', generation: 2 });
    expect(admit(state, 11_300, settings)).toEqual({ allowed: true, state });
  });
});

describe('trip and reset', () => {
  it('trip opens the breaker at now with an operator reason, whatever it was', () => {
    expect(trip(closedBreaker, 200_000)).toEqual({
      status: 'open',
      consecutiveFailures: 0,
      buckets: [],
      openedAtMs: 200_000,
      probesInFlight: 0,
      reason: 'tripped by an operator',
      generation: 1,
    });
    expect(trip(closedBreaker, 200_000, 'maintenance').reason).toBe('maintenance');
    // A tripped breaker rejects until its cooldown passes.
    expect(admit(trip(closedBreaker, 200_000), 204_999, settings).allowed).toBe(false);
    expect(admit(trip(closedBreaker, 200_000), 205_000, settings).allowed).toBe(true);
  });

  it('reset closes the breaker with a clean slate', () => {
    expect(reset(opened())).toEqual({ ...closedBreaker, reason: 'reset by an operator', generation: 2 });
    expect(reset(opened(), 'all clear')).toEqual({ ...closedBreaker, reason: 'all clear', generation: 2 });
    const afterReset = reset(opened());
    expect(admit(afterReset, 0, settings)).toEqual({ allowed: true, state: afterReset });
  });
});
