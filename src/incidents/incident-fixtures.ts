// Test fixtures for incidents: a monitor summary, transitions and a recording notifier.
import type { MonitorStatus } from '../monitors/monitor-state.js';
import type { GraphSnapshot, MonitorSummary, MonitorTransition } from '../monitors/monitor-transition.js';
import type { NotificationMessage, Notifier } from '../notifications/notification.js';

export const T0 = Date.parse('2026-11-30T10:00:00Z');
export const MINUTE_MS = 60_000;

/** A p95 latency monitor notifying one webhook. */
export function monitorSummary(overrides: Partial<MonitorSummary> = {}): MonitorSummary {
  return {
    id: 'p95-latency',
    type: 'threshold',
    title: 'p95 latency above 4000 ms',
    priority: 2,
    runbook:
      'Check the provider status page.\nFail over with POST /api/breakers/trip.\nPage the owner.\nFourth line.',
    notify: ['slack-oncall'],
    muted: false,
    tags: ['team:platform'],
    ...overrides,
  };
}

/** A snapshot of five points from 812 to 4210 ms. */
export function graphSnapshot(atMs: number): GraphSnapshot {
  return {
    metric: 'latency.p95',
    unit: 'ms',
    fromMs: atMs - 30 * MINUTE_MS,
    toMs: atMs,
    stepMs: 5 * MINUTE_MS,
    points: [812, 900, 1500, 3900, 4210].map((value, index) => ({
      tMs: atMs - (4 - index) * 5 * MINUTE_MS,
      value,
    })),
    thresholds: { warn: 3000, critical: 4000 },
  };
}

/** A transition of the `provider=openai` group of `monitorSummary()`. */
export function transition(options: {
  from: MonitorStatus;
  to: MonitorStatus;
  atMs: number;
  monitor?: MonitorSummary;
  groupId?: string;
  value?: number | null;
  graph?: GraphSnapshot;
}): MonitorTransition {
  const groupId = options.groupId ?? 'provider=openai';
  const group = Object.fromEntries(
    groupId === '' ? [] : groupId.split(',').map((pair) => pair.split('=') as [string, string]),
  );
  return {
    monitor: options.monitor ?? monitorSummary(),
    group,
    groupId,
    from: options.from,
    to: options.to,
    value: options.value === undefined ? 4210 : options.value,
    reason: `p95 ${options.value ?? 4210} vs critical 4000`,
    atMs: options.atMs,
    graph: options.graph,
  };
}

/** A Notifier that records every call; `fail` makes it throw. */
export class RecordingNotifier implements Notifier {
  readonly calls: { targets: readonly string[]; message: NotificationMessage }[] = [];
  fail: Error | undefined;

  enqueue(targets: readonly string[], message: NotificationMessage): string[] {
    if (this.fail !== undefined) throw this.fail;
    this.calls.push({ targets, message });
    return targets.map((target, index) => `ntf_${this.calls.length}_${index}_${target}`);
  }
}
