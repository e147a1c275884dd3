import { describe, expect, it } from 'vitest';
import type { RequestEndEvent } from '../telemetry/events.js';
import { DemoNarrator, formatElapsed, percentile, type DemoNarratorOptions } from './demo-narrator.js';
import { requestSignal, type DemoSignal } from './demo-signals.js';
import { demoSucceeded, formatDemoSummary } from './demo-summary.js';

const startedAtMs = 1_000_000;
const options: DemoNarratorOptions = {
  startedAtMs,
  baseUrl: 'http://127.0.0.1:8080',
  primary: 'sim-openai',
  backup: 'sim-anthropic',
  model: 'chat-default',
  rps: 8,
  burstRps: 40,
  spikeLatencyMs: 2500,
  quietPeriodMs: 3000,
  latencyCriticalMs: 2000,
  monitorTitles: { 'primary-latency': 'p95 above 2 s', 'primary-breaker': 'breaker open' },
};

const at = (seconds: number) => startedAtMs + seconds * 1000;
const phase = (name: 'baseline' | 'spike' | 'outage' | 'recovery', seconds: number): DemoSignal => ({
  kind: 'phase',
  phase: name,
  atMs: at(seconds),
});
const answered = (
  seconds: number,
  providerId: string,
  totalMs: number,
  failedOverFrom?: string,
): DemoSignal => ({
  kind: 'request',
  atMs: at(seconds),
  status: 200,
  ok: true,
  providerId,
  totalMs,
  failedOverFrom,
  failoverReason: failedOverFrom === undefined ? undefined : 'KEEL_UPSTREAM_OVERLOADED',
});
const monitor = (
  seconds: number,
  monitorId: string,
  from: 'OK' | 'ALERT' | undefined,
  to: 'OK' | 'ALERT',
  value: number,
): DemoSignal => ({
  kind: 'monitor',
  atMs: at(seconds),
  monitorId,
  group: { provider: 'sim-openai' },
  from,
  to,
  value,
  reason: '',
});
const incident = (
  seconds: number,
  from: 'active' | 'stable' | undefined,
  to: 'active' | 'stable' | 'resolved',
): DemoSignal => ({
  kind: 'incident',
  atMs: at(seconds),
  id: 'INC-1',
  title: 'p95 above 2 s',
  severity: 'SEV-3',
  from,
  to,
});

describe('DemoNarrator', () => {
  it('stamps lines with the time since the start', () => {
    expect(formatElapsed(0)).toBe('00:00');
    expect(formatElapsed(65_900)).toBe('01:05');
    expect(new DemoNarrator(options).observe(phase('baseline', 12))).toEqual([
      '[00:12] ▶ 1/4 baseline: mixed traffic to chat-default, 8 rps with bursts of 40 (sim-openai first, sim-anthropic as backup)',
    ]);
  });

  it('tells the p95 rise once, during the spike, against the baseline p95', () => {
    const narrator = new DemoNarrator(options);
    narrator.observe(phase('baseline', 0));
    for (let index = 0; index < 20; index++) narrator.observe(answered(1, 'sim-openai', 500 + index * 10));
    // Slow answers before the spike are not the spike.
    expect(narrator.observe(answered(2, 'sim-openai', 9000))).toEqual([]);
    narrator.observe(phase('spike', 3));
    const lines = Array.from({ length: 20 }, () => narrator.observe(answered(5, 'sim-openai', 3000))).flat();
    expect(lines).toEqual([
      '[00:05] ⚠ latency: sim-openai p95 over its last 20 answers is 3.0 s (0.7 s before)',
    ]);
    expect(narrator.reached('latency-rising')).toBe(at(5));
  });

  it('counts failovers, tells the first one, and sums them up when the outage ends', () => {
    const narrator = new DemoNarrator(options);
    narrator.observe(phase('outage', 10));
    expect(narrator.observe(answered(11, 'sim-anthropic', 700, 'sim-openai'))).toEqual([
      '[00:11] ↪ failover: a request answered by sim-anthropic after sim-openai failed (KEEL_UPSTREAM_OVERLOADED)',
    ]);
    expect(narrator.observe(answered(12, 'sim-anthropic', 700, 'sim-openai'))).toEqual([]);
    expect(narrator.endPhase('outage', at(14))).toEqual([
      '[00:14] ✓ failover: 2 requests answered by sim-anthropic after sim-openai failed',
      '[00:14] ✗ no breaker opening within 4.0 s; going on',
      '[00:14] ✗ no breaker monitor alert within 4.0 s; going on',
    ]);
    expect(narrator.counts).toMatchObject({ requests: 2, answered: 2, failovers: 2 });
  });

  it('tells the breaker opening once and its closing as the recovery', () => {
    const narrator = new DemoNarrator(options);
    const breaker = (
      seconds: number,
      from: 'closed' | 'open' | 'half-open',
      to: 'closed' | 'open' | 'half-open',
    ) =>
      narrator.observe({
        kind: 'breaker',
        atMs: at(seconds),
        target: 'sim-openai/gpt-4o-mini',
        from,
        to,
        reason: 'r',
      });
    narrator.observe(phase('outage', 10));
    expect(breaker(11, 'closed', 'open')).toEqual([
      '[00:11] ✗ breaker open: sim-openai/gpt-4o-mini (r); Keel stops calling it and fails over at once',
    ]);
    expect(breaker(13, 'open', 'half-open')).toEqual([]);
    expect(breaker(13, 'half-open', 'open')).toHaveLength(1);
    expect(breaker(15, 'half-open', 'open')).toEqual([]);
    expect(
      narrator.observe({
        kind: 'breaker',
        atMs: at(16),
        target: 'sim-anthropic/x',
        from: 'closed',
        to: 'open',
        reason: 'r',
      }),
    ).toEqual([]);
    narrator.observe(phase('recovery', 20));
    expect(breaker(22, 'open', 'half-open')).toEqual([
      '[00:22] … breaker half-open: sim-openai/gpt-4o-mini gets a probe call',
    ]);
    expect(breaker(23, 'half-open', 'closed')).toEqual([
      '[00:23] ✓ recovery: breaker sim-openai/gpt-4o-mini half-open → closed; traffic is back on sim-openai',
    ]);
    expect(narrator.reached('breaker-open')).toBe(at(11));
    expect(narrator.reached('breaker-closed')).toBe(at(23));
  });

  it('tells monitor alerts and recoveries, and the incident from opening to resolution with its link', () => {
    const narrator = new DemoNarrator(options);
    narrator.observe(phase('spike', 0));
    // A group first seen OK is not news.
    expect(narrator.observe(monitor(1, 'primary-latency', undefined, 'OK', 900))).toEqual([]);
    expect(narrator.observe(monitor(4, 'primary-latency', 'OK', 'ALERT', 2900))).toEqual([
      '[00:04] ⚠ monitor alert: "p95 above 2 s" {provider=sim-openai} is ALERT (p95 2.9 s)',
    ]);
    expect(narrator.observe(incident(4, undefined, 'active'))).toEqual([
      '[00:04] ✗ incident INC-1 opened (SEV-3): p95 above 2 s → http://127.0.0.1:8080/ui/incidents/INC-1',
    ]);
    expect(narrator.phaseComplete('spike')).toBe(false);
    narrator.observe(phase('recovery', 20));
    expect(narrator.observe(monitor(30, 'primary-latency', 'ALERT', 'OK', 800))).toEqual([
      '[00:30] ✓ monitor "p95 above 2 s" {provider=sim-openai} back to OK (p95 0.8 s)',
      '[00:30] ✓ every monitor that alerted is back to OK',
    ]);
    expect(narrator.observe(incident(30, 'active', 'stable'))).toEqual([
      '[00:30] … incident INC-1 stable: its monitor recovered; it resolves after 3.0 s without a new alert',
    ]);
    expect(narrator.observe(incident(34, 'stable', 'resolved'))).toEqual([
      '[00:34] ✓ incident INC-1 resolved after 30 s → http://127.0.0.1:8080/ui/incidents/INC-1',
      '[00:34] ✓ every incident the demo opened is resolved',
    ]);
    expect(narrator.reached('incidents-resolved')).toBe(at(34));
  });

  it('reads request:end events: who answered, and who failed before', () => {
    const attempt = (providerId: string, outcome: 'ok' | 'error' | 'skipped', errorCode?: string) => ({
      index: 1,
      target: `${providerId}/m`,
      providerId,
      modelId: 'm',
      outcome,
      startedAtMs: 0,
      durationMs: 1,
      errorCode,
    });
    const event = (attempts: ReturnType<typeof attempt>[], providerId: string) =>
      ({ outcome: 'ok', status: 200, providerId, totalMs: 40, attempts }) as unknown as RequestEndEvent;
    expect(requestSignal(event([attempt('a', 'error', 'KEEL_X'), attempt('b', 'ok')], 'b'), 5)).toMatchObject(
      {
        failedOverFrom: 'a',
        failoverReason: 'KEEL_X',
        providerId: 'b',
        atMs: 5,
      },
    );
    expect(requestSignal(event([attempt('a', 'skipped'), attempt('b', 'ok')], 'b'), 5)).toMatchObject({
      failedOverFrom: 'a',
      failoverReason: 'breaker open',
    });
    // A retry on the same provider is not a failover.
    expect(
      requestSignal(event([attempt('a', 'error'), attempt('a', 'ok')], 'a'), 5).failedOverFrom,
    ).toBeUndefined();
  });

  it('has a nearest-rank percentile', () => {
    expect(percentile([], 0.95)).toBe(0);
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(
      percentile(
        Array.from({ length: 20 }, (_, index) => index + 1),
        0.95,
      ),
    ).toBe(19);
  });
});

describe('demo summary', () => {
  const counts = {
    requests: 10,
    answered: 8,
    refused: 1,
    failed: 1,
    failedByCode: { KEEL_STREAM_INTERRUPTED: 1 },
    failovers: 3,
    byProvider: { a: 5, b: 3 },
  };
  const resolved = { id: 'INC-1', status: 'resolved' as const, severity: 'SEV-3' as const, title: 'slow' };

  it('succeeds only when an incident opened and every one resolved', () => {
    expect(demoSucceeded([])).toBe(false);
    expect(demoSucceeded([resolved])).toBe(true);
    expect(demoSucceeded([resolved, { ...resolved, status: 'stable' }])).toBe(false);
  });

  it('lists the counts and each incident with its dashboard link', () => {
    const lines = formatDemoSummary({
      counts,
      incidents: [resolved],
      baseUrl: 'http://h:1',
      primary: 'a',
      backup: 'b',
    });
    expect(lines).toContain('failovers: 3 answered by b after a failed');
    expect(lines[1]).toContain(
      '1 failed (KEEL_STREAM_INTERRUPTED 1; streams cut after their first token cannot fail over)',
    );
    expect(lines).toContain('  INC-1  resolved  SEV-3  slow  → http://h:1/ui/incidents/INC-1');
    expect(lines.at(-1)).toMatch(/^✓ /);
    expect(
      formatDemoSummary({ counts, incidents: [], baseUrl: 'http://h:1', primary: 'a', backup: 'b' }).at(-1),
    ).toMatch(/^✗ no incident opened/);
    const stopped = {
      counts,
      incidents: [],
      baseUrl: 'http://h:1',
      primary: 'a',
      backup: 'b',
      stopped: true,
    };
    expect(formatDemoSummary(stopped).at(-1)).toBe('■ stopped before the story ended');
  });
});
