// The incident record, its timeline entries and the settings of the lifecycle: the types every incident module shares.
import type { MonitorStatus } from '../monitors/monitor-state.js';
import type { MonitorSummary } from '../monitors/monitor-transition.js';

/** active: the monitor alerts (or a person declared it); stable: recovered, waiting out the quiet period; resolved: over. */
export type IncidentStatus = 'active' | 'stable' | 'resolved';

export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['active', 'stable', 'resolved'];

/** SEV-1 is the worst. */
export type Severity = 'SEV-1' | 'SEV-2' | 'SEV-3' | 'SEV-4' | 'SEV-5';

export const SEVERITIES: readonly Severity[] = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4', 'SEV-5'];

/** What opened the incident. */
export type IncidentSource = 'monitor' | 'manual';

/** The monitor transition that opened an incident. */
export interface IncidentTrigger {
  from: MonitorStatus;
  to: MonitorStatus;
  value: number | null;
  reason: string;
  atMs: number;
}

/** One incident: one per monitor and group while open, or declared by a person. */
export interface Incident {
  /** `INC-<number>`, e.g. `INC-42`. */
  id: string;
  /** The sequence number in `id`; newer incidents have larger numbers. */
  number: number;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  source: IncidentSource;
  commander?: string | undefined;
  description?: string | undefined;
  /** The monitor as it was at its last transition (targets, mute and runbook follow config reloads). */
  monitor?: MonitorSummary | undefined;
  group?: Record<string, string> | undefined;
  /** With `monitor.id`, the dedupe key of an open incident. */
  groupId?: string | undefined;
  trigger?: IncidentTrigger | undefined;
  /** The monitor group's status after its last transition. */
  lastMonitorStatus?: MonitorStatus | undefined;
  /** Customer impact: from the first ALERT (or the declaration)... */
  impactStartMs: number;
  /** ...to the recovery (set on stable, cleared on a re-alert, kept at resolve). */
  impactEndMs?: number | undefined;
  /** Since when the monitor has been OK while stable; the quiet period runs from here. */
  quietSinceMs?: number | undefined;
  createdAtMs: number;
  updatedAtMs: number;
  resolvedAtMs?: number | undefined;
  /** Counts the notifications planned so far; part of each one's dedupe key. */
  notificationSequence: number;
}

/** The kinds of timeline entries. */
export type TimelineKind =
  | 'created'
  | 'transition'
  | 'graph'
  | 'note'
  | 'status'
  | 'severity'
  | 'commander'
  | 'title'
  | 'notification'
  | 'resolved';

/** One append-only line of an incident's history. */
export interface TimelineEntry {
  /** Increases with every entry of the ops database. */
  id: number;
  incidentId: string;
  atMs: number;
  kind: TimelineKind;
  author?: string | undefined;
  /** Markdown for notes, one plain line otherwise. */
  text: string;
  /** Facts for programs: a transition's statuses, a graph snapshot, a delivery's outcome. */
  data: Record<string, unknown>;
}

/** A timeline entry before the store numbers it. */
export type NewTimelineEntry = Omit<TimelineEntry, 'id'>;

/** How the lifecycle behaves; from the `incidents` config section. */
export interface IncidentSettings {
  /** Resolve a stable monitor incident after `quietPeriodMs` without a re-alert; default true. */
  autoResolve: boolean;
  /** ms the monitor must stay OK while stable before the incident resolves; default 900_000 (15 min). */
  quietPeriodMs: number;
  /** Keel's dashboard address, e.g. `https://keel.example.com`; links go to `${publicUrl}/ui/incidents/${id}`. */
  publicUrl?: string | undefined;
  /** Webhook ids for incidents declared by hand (monitor incidents use the monitor's `notify`). */
  defaultNotify: readonly string[];
}

/** The defaults of the `incidents` config section. */
export const DEFAULT_INCIDENT_SETTINGS: IncidentSettings = {
  autoResolve: true,
  quietPeriodMs: 900_000, // 15 min
  defaultNotify: [],
};

/** Longest accepted texts, in characters. */
export const INCIDENT_LIMITS = {
  titleChars: 200,
  descriptionChars: 4000,
  noteChars: 8000,
  authorChars: 100,
  commanderChars: 100,
} as const;

/**
 * The severity a monitor priority maps to: 1 -> SEV-1, clamped to 1..5.
 * @example severityOfPriority(2) // 'SEV-2'
 */
export function severityOfPriority(priority: number): Severity {
  const level = Number.isFinite(priority) ? Math.min(5, Math.max(1, Math.round(priority))) : 3;
  return `SEV-${level}` as Severity;
}

/** 1 for SEV-1 ... 5 for SEV-5; smaller is worse. */
export function severityLevel(severity: Severity): number {
  return Number(severity.slice(4));
}

/** The id of incident number `number`. */
export function incidentIdOf(number: number): string {
  return `INC-${number}`;
}
