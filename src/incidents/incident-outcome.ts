// The result of one lifecycle decision, and the builder that collects its timeline entries and notifications.
import type { MonitorTransition } from '../monitors/monitor-transition.js';
import type { Incident, IncidentSettings, NewTimelineEntry, TimelineKind } from './incident.js';
import {
  planIncidentNotification,
  type IncidentNotificationKind,
  type PlannedNotification,
} from './incident-notification.js';

/** What an event does. */
export interface IncidentDecision {
  /** The incident after the event; undefined when the event concerns no incident (a WARN with nothing open). */
  incident: Incident | undefined;
  /** True when the event opened a new incident. */
  created: boolean;
  /** True when the incident record changed and must be saved. */
  changed: boolean;
  timeline: NewTimelineEntry[];
  /** To enqueue once the change is stored. */
  notifications: PlannedNotification[];
}

/** A decision that changes nothing. */
export function noDecision(incident: Incident | undefined): IncidentDecision {
  return { incident, created: false, changed: false, timeline: [], notifications: [] };
}

/** Collects the entries and notifications of one decision while the incident is being changed. */
export class IncidentOutcome {
  incident: Incident;
  readonly timeline: NewTimelineEntry[] = [];
  readonly notifications: PlannedNotification[] = [];
  readonly #nowMs: number;
  readonly #settings: IncidentSettings;

  constructor(options: { incident: Incident; nowMs: number; settings: IncidentSettings }) {
    this.incident = options.incident;
    this.#nowMs = options.nowMs;
    this.#settings = options.settings;
  }

  /** Appends a timeline entry for the incident as it is now; `atMs` defaults to the decision's time. */
  entry(entry: {
    kind: TimelineKind;
    text: string;
    data?: Record<string, unknown>;
    author?: string | undefined;
    atMs?: number;
  }): void {
    this.timeline.push({
      incidentId: this.incident.id,
      atMs: entry.atMs ?? this.#nowMs,
      kind: entry.kind,
      author: entry.author,
      text: entry.text,
      data: entry.data ?? {},
    });
  }

  /** Plans a notification of the incident as it is now (none when muted or without targets). */
  notify(kind: IncidentNotificationKind, headline: string, transition?: MonitorTransition): void {
    const planned = planIncidentNotification({
      incident: this.incident,
      kind,
      headline,
      settings: this.#settings,
      nowMs: this.#nowMs,
      value: transition?.value,
      reason: transition?.reason,
    });
    this.incident = planned.incident;
    if (planned.notification !== undefined) this.notifications.push(planned.notification);
  }

  /** Resolves the incident now: a `resolved` entry, the impact window closed, a notification. */
  resolve(options: { author?: string | undefined; automatic: boolean }): void {
    const current = this.incident;
    this.entry({
      kind: 'resolved',
      author: options.author,
      text: options.automatic
        ? 'Resolved automatically: the monitor stayed OK through the quiet period'
        : `${current.status} → resolved`,
      data: { from: current.status, automatic: options.automatic },
    });
    this.incident = {
      ...current,
      status: 'resolved',
      resolvedAtMs: this.#nowMs,
      impactEndMs: current.impactEndMs ?? this.#nowMs,
      quietSinceMs: undefined,
      updatedAtMs: this.#nowMs,
    };
    this.notify('incident.resolved', 'resolved');
  }

  decision(options: { created: boolean; changed: boolean }): IncidentDecision {
    return {
      incident: this.incident,
      created: options.created,
      changed: options.changed || options.created,
      timeline: this.timeline,
      notifications: this.notifications,
    };
  }
}
