// Incidents as a service: runs lifecycle decisions against the store, then hands notifications to the notifier.
import type { MonitorTransition } from '../monitors/monitor-transition.js';
import type { DeliveryReport, Notifier } from '../notifications/notification.js';
import { ErrorCodes, KeelError, invalidRequest } from '../spec/errors.js';
import {
  DEFAULT_INCIDENT_SETTINGS,
  INCIDENT_LIMITS,
  type Incident,
  type IncidentSettings,
  type TimelineEntry,
} from './incident.js';
import {
  applyIncidentEvent,
  type IncidentDecision,
  type IncidentDeclaration,
  type IncidentEvent,
  type IncidentPatch,
} from './incident-lifecycle.js';
import { renderPostmortem } from './render-postmortem.js';
import type { IncidentListQuery, IncidentPage, SqliteIncidentStore } from './sqlite-incident-store.js';

/** An incident with its whole timeline, oldest entry first. */
export interface IncidentWithTimeline {
  incident: Incident;
  timeline: TimelineEntry[];
}

export interface IncidentServiceOptions {
  store: SqliteIncidentStore;
  notifier: Notifier;
  /** Epoch ms. */
  now: () => number;
  /** Missing fields take DEFAULT_INCIDENT_SETTINGS. */
  settings?: Partial<IncidentSettings> | undefined;
  /** Told when the notifier throws (the failure is also written to the incident's timeline). */
  onNotifyError?: ((error: unknown, incidentId: string) => void) | undefined;
}

/** KEEL_INCIDENT_NOT_FOUND (404). */
export function incidentNotFound(id: string): KeelError {
  return new KeelError({
    code: ErrorCodes.incidentNotFound,
    status: 404,
    param: 'id',
    message: `No incident "${id}"; GET /api/incidents lists them.`,
  });
}

/**
 * The incident service the monitor scheduler, the outbox and the HTTP routes call. Every method is
 * synchronous: the ops database is SQLite on the main thread and its writes are a few rows.
 * @example
 * const incidents = new IncidentService({ store: new SqliteIncidentStore({ db }), notifier, now: () => clock.now() });
 * scheduler.onTransition((transition) => incidents.onMonitorTransition(transition));
 */
export class IncidentService {
  readonly settings: IncidentSettings;
  readonly #store: SqliteIncidentStore;
  readonly #notifier: Notifier;
  readonly #now: () => number;
  readonly #onNotifyError: ((error: unknown, incidentId: string) => void) | undefined;

  constructor(options: IncidentServiceOptions) {
    this.#store = options.store;
    this.#notifier = options.notifier;
    this.#now = options.now;
    this.#onNotifyError = options.onNotifyError;
    const given = Object.fromEntries(
      Object.entries(options.settings ?? {}).filter(([, value]) => value !== undefined),
    ) as Partial<IncidentSettings>;
    this.settings = { ...DEFAULT_INCIDENT_SETTINGS, ...given };
  }

  /** Opens, joins or moves the incident of the transition's monitor group; undefined when none is concerned. */
  onMonitorTransition(transition: MonitorTransition): Incident | undefined {
    return this.#apply((nowMs) => ({
      incident: this.#store.findOpen({ monitorId: transition.monitor.id, groupId: transition.groupId }),
      event: { type: 'transition', transition },
      nowMs,
    })).incident;
  }

  /** Resolves the stable incidents whose quiet period is over; returns them. Call every evaluation tick. */
  tick(nowMs: number = this.#now()): Incident[] {
    const resolved: Incident[] = [];
    for (const stable of this.#store.withStatus('stable')) {
      const decision = this.#apply(() => ({ incident: stable, event: { type: 'tick' }, nowMs }));
      if (decision.changed && decision.incident !== undefined) resolved.push(decision.incident);
    }
    return resolved;
  }

  /** Opens an incident declared by a person (no monitor: it resolves only on request). */
  declare(declaration: IncidentDeclaration): IncidentWithTimeline {
    const decision = this.#apply((nowMs) => ({
      incident: undefined,
      event: { type: 'declare', declaration },
      nowMs,
    }));
    return this.get((decision.incident as Incident).id);
  }

  /**
   * Changes status, severity, commander or title. Reopening (resolved -> active) is refused with
   * KEEL_INCIDENT_CONFLICT while another incident is open for the same monitor group.
   */
  update(id: string, patch: IncidentPatch, author?: string): IncidentWithTimeline {
    this.#apply((nowMs) => {
      const incident = this.#require(id);
      if (patch.status === 'active' && incident.status === 'resolved' && incident.monitor !== undefined) {
        const open = this.#store.findOpen({
          monitorId: incident.monitor.id,
          groupId: incident.groupId ?? '',
        });
        if (open !== undefined) {
          throw new KeelError({
            code: ErrorCodes.incidentConflict,
            status: 409,
            param: 'status',
            message: `${id} cannot be reopened: ${open.id} is open for the same monitor and group; add to ${open.id} instead.`,
          });
        }
      }
      return { incident, event: { type: 'update', patch, author }, nowMs };
    });
    return this.get(id);
  }

  /** Appends a markdown note (at most INCIDENT_LIMITS.noteChars characters). */
  addNote(id: string, note: { text: string; author?: string | undefined }): TimelineEntry {
    if (note.text.trim() === '' || note.text.length > INCIDENT_LIMITS.noteChars) {
      throw invalidRequest(`A note is 1 to ${INCIDENT_LIMITS.noteChars} characters of markdown.`, 'text');
    }
    const decision = this.#apply((nowMs) => ({
      incident: this.#require(id),
      event: { type: 'note', text: note.text, author: note.author },
      nowMs,
    }));
    return decision.stored.at(-1) as TimelineEntry;
  }

  /** Writes a delivery outcome to its incident's timeline; undefined when the message is not an incident's. */
  onDeliveryReport(report: DeliveryReport): TimelineEntry | undefined {
    const incidentId = report.message.incidentId;
    if (incidentId === undefined) return undefined;
    const decision = this.#apply((nowMs) => ({
      incident: this.#store.get(incidentId),
      event: { type: 'delivery', report },
      nowMs,
    }));
    return decision.stored.at(-1);
  }

  /** Throws KEEL_INCIDENT_NOT_FOUND for an unknown id. */
  get(id: string): IncidentWithTimeline {
    return { incident: this.#require(id), timeline: this.#store.timeline(id) };
  }

  list(query: IncidentListQuery = {}): IncidentPage {
    return this.#store.list(query);
  }

  /** The markdown postmortem draft of an incident. */
  postmortem(id: string): string {
    const { incident, timeline } = this.get(id);
    return renderPostmortem({ incident, timeline, publicUrl: this.settings.publicUrl });
  }

  #require(id: string): Incident {
    const incident = this.#store.get(id);
    if (incident === undefined) throw incidentNotFound(id);
    return incident;
  }

  /** Reads, decides and writes in one transaction; notifies after the commit. */
  #apply(
    read: (nowMs: number) => { incident: Incident | undefined; event: IncidentEvent; nowMs: number },
  ): IncidentDecision & { stored: TimelineEntry[] } {
    const result = this.#store.transaction(() => {
      const input = read(this.#now());
      const decision = applyIncidentEvent({
        ...input,
        settings: this.settings,
        newIncidentNumber: this.#store.nextNumber(),
      });
      if (decision.incident !== undefined) {
        if (decision.created) this.#store.create(decision.incident);
        else if (decision.changed) this.#store.update(decision.incident);
      }
      return { ...decision, stored: this.#store.append(decision.timeline) };
    });
    for (const { targets, message } of result.notifications) {
      try {
        this.#notifier.enqueue(targets, message);
      } catch (error) {
        this.#onNotifyError?.(error, message.incidentId ?? '');
        this.#store.append([
          {
            incidentId: message.incidentId ?? '',
            atMs: this.#now(),
            kind: 'notification',
            text: `${message.kind} could not be queued: ${error instanceof Error ? error.message : String(error)}`,
            data: {
              kind: message.kind,
              outcome: 'failed',
              targets: [...targets],
              dedupeKey: message.dedupeKey,
            },
          },
        ]);
      }
    }
    return result;
  }
}
