import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.js';
import { buildDemoConfig, demoMonitorIds, demoPrimary } from './build-demo-config.js';
import { alignedOffsetMs } from './demo-clock.js';
import { fullDemoTimings, shortDemoTimings } from './demo-timings.js';

describe('buildDemoConfig', () => {
  it('keeps every file in the data dir and watches the primary with two monitors', () => {
    const config = validateConfig(buildDemoConfig({ dataDir: '/tmp/d', timings: shortDemoTimings }), {
      source: 'test',
      env: {},
    });
    expect([config.telemetry.store.path, config.ops.path, config.keys.path]).toEqual([
      '/tmp/d/keel.db',
      '/tmp/d/ops.db',
      '/tmp/d/keys.db',
    ]);
    expect(config.monitors.definitions.map((definition) => definition.id)).toEqual([
      demoMonitorIds.latency,
      demoMonitorIds.breaker,
    ]);
    for (const definition of config.monitors.definitions)
      expect(definition.filters?.provider).toBe(demoPrimary);
    expect(config.monitors.evaluationIntervalMs).toBe(shortDemoTimings.evaluationIntervalMs);
    expect(config.incidents).toMatchObject({
      autoResolve: true,
      quietPeriodMs: shortDemoTimings.quietPeriodMs,
    });
    expect(config.reliability.circuitBreaker.cooldownMs).toBe(shortDemoTimings.breakerCooldownMs);
    expect(config.incidents.publicUrl).toBeUndefined();
  });

  it('sets the dashboard address for links when it is known', () => {
    const config = validateConfig(
      buildDemoConfig({ dataDir: '/tmp/d', timings: fullDemoTimings, publicUrl: 'http://127.0.0.1:8080' }),
      { source: 'test', env: {} },
    );
    expect(config.incidents.publicUrl).toBe('http://127.0.0.1:8080');
  });
});

describe('alignedOffsetMs', () => {
  const minute = Date.parse('2026-01-01T00:00:00Z');

  it('moves the clock to the wanted point of its minute, by at most half a minute', () => {
    expect(alignedOffsetMs({ nowMs: minute + 10_000, targetMsIntoMinute: 20_000 })).toBe(10_000);
    expect(alignedOffsetMs({ nowMs: minute + 50_000, targetMsIntoMinute: 20_000 })).toBe(30_000);
    expect(alignedOffsetMs({ nowMs: minute + 55_000, targetMsIntoMinute: 20_000 })).toBe(25_000);
    expect(alignedOffsetMs({ nowMs: minute + 5_000, targetMsIntoMinute: 50_000 })).toBe(-15_000);
    for (let into = 0; into < 60_000; into += 7_000) {
      const offset = alignedOffsetMs({ nowMs: minute + into, targetMsIntoMinute: 29_000 });
      expect(Math.abs(offset)).toBeLessThanOrEqual(30_000);
      expect((minute + into + offset) % 60_000).toBe(29_000);
    }
  });
});
