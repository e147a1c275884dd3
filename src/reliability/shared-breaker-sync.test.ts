import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import type { Clock } from '../spec/index.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedBreakerState, SharedState } from '../state/shared-state.js';
import { BreakerRegistry } from './breaker-registry.js';
import type { BreakerSettings, BreakerStatus } from './circuit-breaker.js';
import { decideSharedBreaker, SharedBreakerSync, type SharedBreakerAction } from './shared-breaker-sync.js';

const settings: BreakerSettings = {
  consecutiveFailures: 2,
  errorRateThreshold: 0.5,
  minimumRequests: 10,
  windowMs: 60_000,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
};
const startMs = Date.parse('2026-01-02T03:04:05.000Z');
const target = 'sim/sim-1';

function fakeClock(): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    sleep: () => Promise.resolve(),
    advance(ms) {
      nowMs += ms;
    },
  };
}

/** One replica: its registry, its sync, and the state failures it reported. */
function replica(options: {
  id: string;
  state: Pick<SharedState, 'publishBreaker' | 'readBreakers'>;
  clock: Clock;
}) {
  const scheduler = new ManualScheduler();
  const errors: string[] = [];
  const breakers = new BreakerRegistry({
    settings,
    clock: options.clock,
    // Called only after `sync` exists: the registry reports nothing while being built.
    onTransition: (transition) => sync.onTransition(transition),
  });
  const sync = new SharedBreakerSync({
    breakers,
    state: options.state,
    clock: options.clock,
    scheduler,
    replicaId: options.id,
    cooldownMs: settings.cooldownMs,
    syncIntervalMs: 2_000,
    onError: (_error, operation) => errors.push(operation),
  });
  sync.start();
  return {
    breakers,
    sync,
    scheduler,
    errors,
    /** Publishes what is pending (the deferred task) and waits for the write. */
    async publish() {
      scheduler.runSoon();
      await sync.idle();
    },
  };
}

/** Two replicas sharing one MemoryState and one clock. */
function setup() {
  const clock = fakeClock();
  const state = new MemoryState({ now: () => clock.now() });
  return { clock, state, a: replica({ id: 'a', state, clock }), b: replica({ id: 'b', state, clock }) };
}

/** Runs the deferred publishes of `from`, then one sync round of `to`. */
async function propagate(from: ReturnType<typeof replica>, to: ReturnType<typeof replica>): Promise<void> {
  from.scheduler.runSoon();
  await from.sync.idle();
  to.scheduler.tick();
  await to.sync.syncNow();
}

describe('decideSharedBreaker', () => {
  const open: SharedBreakerState = { status: 'open', untilMs: startMs + 1_000, origin: 'b', atMs: startMs };
  const closed: SharedBreakerState = { status: 'closed', origin: 'b', atMs: startMs };
  const rows: [string, SharedBreakerState, BreakerStatus, boolean, SharedBreakerAction][] = [
    ['another replica opened it: open the closed local one', open, 'closed', false, 'trip'],
    ['already open locally: keep', open, 'open', false, 'keep'],
    ['probing locally: keep', open, 'half-open', true, 'keep'],
    ['its cooldown is over: keep', { ...open, untilMs: startMs }, 'closed', false, 'keep'],
    ['this replica published it: keep', { ...open, origin: 'a' }, 'closed', false, 'keep'],
    ['another replica closed it, sync opened ours: reset', closed, 'open', true, 'reset'],
    ['closed elsewhere, ours probing after sync: reset', closed, 'half-open', true, 'reset'],
    ['closed elsewhere, ours opened by its own failures: keep', closed, 'open', false, 'keep'],
    ['closed elsewhere, ours closed: keep', closed, 'closed', true, 'keep'],
  ];
  it.each(rows)('%s', (_name, shared, local, trippedBySync, action) => {
    expect(decideSharedBreaker({ shared, local, trippedBySync, replicaId: 'a', nowMs: startMs })).toBe(
      action,
    );
  });
});

describe('SharedBreakerSync', () => {
  it('opens the other replica’s breaker when one opens from its failures, and closes it on recovery', async () => {
    const { clock, a, b } = setup();
    a.breakers.settle(target, 'failure');
    a.breakers.settle(target, 'failure');
    expect(a.breakers.status(target)).toBe('open');
    await propagate(a, b);
    expect(b.breakers.status(target)).toBe('open');
    expect(b.breakers.snapshot(target).reason).toBe('opened by replica a: 2 consecutive failures');

    // A's cooldown ends, its probe succeeds: B follows, though B's own cooldown has not ended.
    clock.advance(settings.cooldownMs);
    const ticket = a.breakers.admit(target);
    expect(a.breakers.status(target)).toBe('half-open');
    a.breakers.settle(target, 'success', ticket);
    expect(a.breakers.status(target)).toBe('closed');
    await propagate(a, b);
    expect(b.breakers.status(target)).toBe('closed');
    expect(b.breakers.snapshot(target).reason).toBe('closed by replica a: probe succeeded');
  });

  it('does not echo: what sync applied is not published back, so the origin stays the first replica', async () => {
    const { state, a, b } = setup();
    a.breakers.trip(target, 'maintenance');
    await propagate(a, b);
    expect(b.breakers.status(target)).toBe('open');
    expect(b.scheduler.soonTasks).toHaveLength(0);
    b.scheduler.runSoon();
    await b.sync.idle();
    expect((await state.readBreakers(startMs)).get(target)).toMatchObject({
      status: 'open',
      origin: 'a',
      reason: 'maintenance',
      untilMs: startMs + settings.cooldownMs,
    });
  });

  it('an operator reset reaches the other replica; a shared close never resets a breaker opened by its own failures', async () => {
    const { a, b } = setup();
    a.breakers.trip(target);
    await propagate(a, b);
    a.breakers.reset(target);
    await propagate(a, b);
    expect(b.breakers.status(target)).toBe('closed');

    // B opens from its own failures; A, closed all along, resets by hand: B keeps its own decision.
    b.breakers.settle(target, 'failure');
    b.breakers.settle(target, 'failure');
    await propagate(b, a);
    expect(a.breakers.status(target)).toBe('open');
    a.breakers.reset(target);
    await propagate(a, b);
    expect(b.breakers.status(target)).toBe('open');
    expect(b.breakers.snapshot(target).reason).toBe('2 consecutive failures');
  });

  it('acts on each shared decision once: a replica that closed itself is not re-opened by the same one', async () => {
    const { a, b } = setup();
    a.breakers.trip(target);
    await propagate(a, b);
    b.breakers.reset(target, 'reset on b');
    // B's reset is still waiting to be published; the next read still holds A's open decision.
    b.scheduler.tick();
    await b.sync.syncNow();
    expect(b.breakers.status(target)).toBe('closed');
  });

  it('reports state failures and leaves the breakers alone', async () => {
    const clock = fakeClock();
    const down = {
      publishBreaker: () => Promise.reject(new Error('down')),
      readBreakers: () => Promise.reject(new Error('down')),
    };
    const a = replica({ id: 'a', state: down, clock });
    a.breakers.trip(target);
    a.scheduler.tick();
    await a.sync.syncNow();
    await a.publish();
    expect(a.errors.sort()).toEqual(['publish', 'read']);
    expect(a.breakers.status(target)).toBe('open');
  });

  it('stops its timer on stop', async () => {
    const { a } = setup();
    expect(a.scheduler.intervals.filter((entry) => !entry.cancelled)).toHaveLength(1);
    await a.sync.stop();
    expect(a.scheduler.intervals.filter((entry) => !entry.cancelled)).toHaveLength(0);
  });
});
