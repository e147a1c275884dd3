import { describe, expect, it } from 'vitest';
import { ChaosRegistry, type ChaosChange } from './chaos-registry.js';

function setup() {
  const clock = { nowMs: 1_000_000, now: () => clock.nowMs };
  const changes: ChaosChange[] = [];
  const registry = new ChaosRegistry({ clock, onChange: (change) => changes.push(change) });
  return { clock, changes, registry };
}

describe('ChaosRegistry', () => {
  it('applies an injection until it expires, then drops it by itself', () => {
    const { clock, changes, registry } = setup();
    const injection = registry.inject({ target: 'primary', errorRate: 0.5, forMs: 60_000 });
    expect(injection).toMatchObject({ target: 'primary', startedAtMs: 1_000_000, expiresAtMs: 1_060_000 });
    expect(registry.find('primary', 'gpt-4o-mini')).toBe(injection);
    clock.nowMs += 59_999;
    expect(registry.list()).toEqual([injection]);
    clock.nowMs += 1;
    expect(registry.find('primary', 'gpt-4o-mini')).toBeUndefined();
    expect(registry.list()).toEqual([]);
    expect(changes.map((change) => [change.action, change.reason, change.atMs])).toEqual([
      ['start', undefined, 1_000_000],
      ['end', 'expired', 1_060_000],
    ]);
  });

  it('prefers a provider/model injection over its provider one', () => {
    const { registry } = setup();
    const provider = registry.inject({ target: 'primary', latencyMs: 100, forMs: 1000 });
    const model = registry.inject({ target: 'primary/gpt-4o', outage: true, forMs: 1000 });
    expect(registry.find('primary', 'gpt-4o')).toBe(model);
    expect(registry.find('primary', 'gpt-4o-mini')).toBe(provider);
    expect(registry.find('backup', 'gpt-4o')).toBeUndefined();
  });

  it('replaces an injection on the same target, and clears one or all', () => {
    const { changes, registry } = setup();
    registry.inject({ target: 'primary', errorRate: 0.1, forMs: 1000 });
    const second = registry.inject({ target: 'primary', errorRate: 0.9, forMs: 2000 });
    registry.inject({ target: 'backup', outage: true, forMs: 500 });
    expect(registry.list().map((injection) => injection.target)).toEqual(['backup', 'primary']);
    expect(registry.clear('primary')).toEqual([second]);
    expect(registry.clear()).toHaveLength(1);
    expect(registry.list()).toEqual([]);
    expect(
      changes.map((change) => `${change.action}:${change.reason ?? ''}:${change.injection.target}`),
    ).toEqual([
      'start::primary',
      'end:replaced:primary',
      'start::primary',
      'start::backup',
      'end:cleared:primary',
      'end:cleared:backup',
    ]);
  });
});
