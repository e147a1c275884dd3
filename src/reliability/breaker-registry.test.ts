import { describe, expect, it } from 'vitest';
import type { Clock } from '../spec/index.js';
import { BreakerRegistry, type BreakerTransition } from './breaker-registry.js';
import type { BreakerSettings } from './circuit-breaker.js';

const settings: BreakerSettings = {
  consecutiveFailures: 2,
  errorRateThreshold: 0.5,
  minimumRequests: 10,
  windowMs: 60_000,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
};

const startMs = Date.parse('2025-01-02T03:04:05.000Z');

/** A clock the test moves by hand; sleeping is never needed here. */
function fakeClock(): Clock & { advance(ms: number): void } {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    sleep: (_ms, signal) =>
      signal?.aborted === true ? Promise.reject(signal.reason as Error) : Promise.resolve(),
    advance(ms) {
      nowMs += ms;
    },
  };
}

function setup() {
  const clock = fakeClock();
  const transitions: BreakerTransition[] = [];
  const registry = new BreakerRegistry({
    settings,
    clock,
    onTransition: (transition) => transitions.push(transition),
  });
  return { clock, transitions, registry };
}

describe('BreakerRegistry', () => {
  it('reports each state change exactly once, with the time it happened', () => {
    const { clock, transitions, registry } = setup();
    const target = 'primary/gpt-4o-mini';

    expect(registry.admit(target)).toBeTypeOf('number');
    registry.settle(target, 'failure');
    expect(transitions).toEqual([]);
    registry.settle(target, 'failure');
    expect(transitions).toEqual([
      { target, from: 'closed', to: 'open', reason: '2 consecutive failures', atMs: startMs },
    ]);

    // Rejections and late settles while open change nothing and report nothing.
    clock.advance(29_999);
    expect(registry.admit(target)).toBeUndefined();
    expect(registry.admit(target)).toBeUndefined();
    registry.settle(target, 'failure');
    expect(transitions).toHaveLength(1);

    clock.advance(1);
    expect(registry.admit(target)).toBeTypeOf('number');
    expect(registry.status(target)).toBe('half-open');
    // The only probe slot is taken: refused, no new transition.
    expect(registry.admit(target)).toBeUndefined();
    registry.settle(target, 'neutral');
    expect(registry.admit(target)).toBeTypeOf('number');
    expect(transitions).toHaveLength(2);
    expect(transitions[1]).toEqual({
      target,
      from: 'open',
      to: 'half-open',
      reason: 'cooldown elapsed; probing',
      atMs: startMs + 30_000,
    });

    clock.advance(500);
    registry.settle(target, 'failure');
    expect(transitions[2]).toEqual({
      target,
      from: 'half-open',
      to: 'open',
      reason: 'probe failed',
      atMs: startMs + 30_500,
    });

    clock.advance(30_000);
    expect(registry.admit(target)).toBeTypeOf('number');
    registry.settle(target, 'success');
    expect(transitions.slice(3)).toEqual([
      { target, from: 'open', to: 'half-open', reason: 'cooldown elapsed; probing', atMs: startMs + 60_500 },
      { target, from: 'half-open', to: 'closed', reason: 'probe succeeded', atMs: startMs + 60_500 },
    ]);
    expect(transitions).toHaveLength(5);

    // Calls on a closed breaker report nothing.
    registry.settle(target, 'success');
    registry.settle(target, 'neutral');
    expect(registry.admit(target)).toBeTypeOf('number');
    expect(transitions).toHaveLength(5);
  });

  it('keeps targets apart', () => {
    const { transitions, registry } = setup();
    registry.settle('a/m', 'failure');
    registry.settle('b/m', 'failure');
    registry.settle('a/m', 'failure');
    expect(registry.status('a/m')).toBe('open');
    expect(registry.status('b/m')).toBe('closed');
    expect(registry.status('never-seen/m')).toBe('closed');
    expect(transitions.map((transition) => transition.target)).toEqual(['a/m']);
  });

  it('reports trip and reset only when they change the status', () => {
    const { clock, transitions, registry } = setup();
    const target = 'claude/haiku';
    registry.reset(target);
    expect(transitions).toEqual([]);

    registry.trip(target, 'maintenance');
    expect(transitions).toEqual([
      { target, from: 'closed', to: 'open', reason: 'maintenance', atMs: startMs },
    ]);
    clock.advance(1_000);
    registry.trip(target);
    expect(transitions).toHaveLength(1);
    // Tripping again restarts the cooldown from the new time.
    expect(registry.snapshot(target).openedAt).toBe(new Date(startMs + 1_000).toISOString());
    expect(registry.snapshot(target).reason).toBe('tripped by an operator');

    registry.reset(target, 'fixed');
    expect(transitions[1]).toEqual({
      target,
      from: 'open',
      to: 'closed',
      reason: 'fixed',
      atMs: startMs + 1_000,
    });
    expect(transitions).toHaveLength(2);
    expect(registry.admit(target)).toBeTypeOf('number');
  });

  it('works without an onTransition listener', () => {
    const registry = new BreakerRegistry({ settings, clock: fakeClock() });
    registry.trip('x/y');
    expect(registry.status('x/y')).toBe('open');
    expect(registry.admit('x/y')).toBeUndefined();
  });

  it('snapshots an unknown target as a fresh closed breaker', () => {
    const { registry } = setup();
    expect(registry.snapshot('primary/gpt-4o')).toEqual({
      target: 'primary/gpt-4o',
      status: 'closed',
      reason: 'initial',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
      openedAt: undefined,
    });
  });

  it('snapshots window counts at the clock time and the opening time as ISO text', () => {
    const { clock, registry } = setup();
    const target = 'primary/gpt-4o';
    registry.settle(target, 'success');
    registry.settle(target, 'success');
    registry.settle(target, 'failure');
    expect(registry.snapshot(target)).toEqual({
      target,
      status: 'closed',
      reason: 'initial',
      consecutiveFailures: 1,
      windowCalls: 3,
      windowFailures: 1,
      openedAt: undefined,
    });

    clock.advance(settings.windowMs);
    expect(registry.snapshot(target)).toMatchObject({ windowCalls: 0, windowFailures: 0 });

    registry.settle(target, 'failure');
    expect(registry.snapshot(target)).toEqual({
      target,
      status: 'open',
      reason: '2 consecutive failures',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
      openedAt: '2025-01-02T03:05:05.000Z',
    });
  });

  it('ignores a late answer from a call admitted before the breaker opened', () => {
    const { clock, registry } = setup();
    const target = 'primary/gpt-4o';
    const slowCall = registry.admit(target);
    registry.settle(target, 'failure', registry.admit(target));
    registry.settle(target, 'failure', registry.admit(target));
    expect(registry.status(target)).toBe('open');
    clock.advance(settings.cooldownMs);
    expect(registry.admit(target)).toBeTypeOf('number'); // the probe
    registry.settle(target, 'success', slowCall);
    expect(registry.status(target)).toBe('half-open');
  });
});
