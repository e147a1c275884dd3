// What the monitor scheduler hands to incidents and notifications when a monitor group changes state.
import type { MonitorStatus } from './monitor-state.js';

/** A chart of the monitored metric around a moment, kept on an incident's timeline. */
export interface GraphSnapshot {
  /** The monitor metric, e.g. `latency.p95`, or `burn_rate.1h` for SLOs. */
  metric: string;
  /** ms, ratio, usd, tokens, requests or x (a burn rate). */
  unit: string;
  fromMs: number;
  toMs: number;
  stepMs: number;
  /** Ascending; a bucket without a value is left out. */
  points: { tMs: number; value: number }[];
  /** Lines to draw: the monitor's levels. */
  thresholds: { warn?: number | undefined; critical?: number | undefined };
}

/** The parts of a monitor definition an incident or a notification needs. */
export interface MonitorSummary {
  id: string;
  type: 'threshold' | 'anomaly' | 'forecast' | 'slo';
  /** Human title, e.g. "p95 latency above 4000 ms". */
  title: string;
  /** 1..5; an incident it opens is SEV-<priority>. */
  priority: number;
  runbook?: string | undefined;
  /** Webhook ids. */
  notify: readonly string[];
  muted: boolean;
  tags: readonly string[];
}

/** One monitor group's state change at one evaluation tick. */
export interface MonitorTransition {
  monitor: MonitorSummary;
  /** The group's dimension values, e.g. `{ provider: 'openai' }`; `{}` without groupBy. */
  group: Record<string, string>;
  /** A stable text form of `group`, e.g. `provider=openai` ('' without groupBy); the dedupe key with monitor.id. */
  groupId: string;
  from: MonitorStatus;
  to: MonitorStatus;
  value: number | null;
  /** Why, e.g. "p95 4210 >= critical 4000". */
  reason: string;
  atMs: number;
  /** The metric around the tick, attached to the incident when `to` is ALERT. */
  graph?: GraphSnapshot | undefined;
}

/**
 * The stable text form of a group key: `dimension=value` pairs sorted by dimension, joined by `,`.
 * @example groupIdOf({ provider: 'openai', model: 'gpt' }) // 'model=gpt,provider=openai'
 */
export function groupIdOf(group: Readonly<Record<string, string>>): string {
  return Object.keys(group)
    .sort()
    .map((dimension) => `${dimension}=${group[dimension] ?? ''}`)
    .join(',');
}
