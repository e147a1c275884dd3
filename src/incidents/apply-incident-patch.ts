// The part of the lifecycle people drive: a PATCH of status, severity, commander or title.
import { invalidRequest } from '../spec/errors.js';
import {
  severityLevel,
  type Incident,
  type IncidentSettings,
  type IncidentStatus,
  type Severity,
} from './incident.js';
import { IncidentOutcome, type IncidentDecision } from './incident-outcome.js';

/** The fields a person may change; `commander: null` clears the commander. */
export interface IncidentPatch {
  status?: IncidentStatus | undefined;
  severity?: Severity | undefined;
  commander?: string | null | undefined;
  title?: string | undefined;
}

function changeStatus(
  outcome: IncidentOutcome,
  to: IncidentStatus,
  author: string | undefined,
  nowMs: number,
): void {
  const current = outcome.incident;
  const from = current.status;
  if (to === from) return;
  if (to === 'resolved') {
    outcome.resolve({ author, automatic: false });
    return;
  }
  if (from === 'resolved' && to === 'stable') {
    throw invalidRequest(`${current.id} is resolved; reopen it with status "active".`, 'status');
  }
  outcome.entry({
    kind: 'status',
    author,
    text: from === 'resolved' ? 'resolved → active: reopened' : `${from} → ${to}`,
    data: { from, to },
  });
  if (to === 'stable') {
    outcome.incident = {
      ...current,
      status: 'stable',
      impactEndMs: nowMs,
      // A monitor still alerting keeps the quiet period from starting until it reports OK.
      quietSinceMs: current.source === 'monitor' && current.lastMonitorStatus === 'OK' ? nowMs : undefined,
    };
    outcome.notify('incident.stable', 'stable');
    return;
  }
  outcome.incident = {
    ...current,
    status: 'active',
    impactEndMs: undefined,
    quietSinceMs: undefined,
    resolvedAtMs: undefined,
  };
  outcome.notify('incident.updated', from === 'resolved' ? 'reopened' : 'active again');
}

/**
 * Applies a person's change; each changed field is one timeline entry with the author. A raised
 * severity (SEV-3 -> SEV-1) of an unresolved incident notifies; resolved -> active reopens;
 * resolved -> stable is refused (KEEL_INVALID_REQUEST). Fields given with their current value change nothing.
 */
export function applyIncidentPatch(options: {
  incident: Incident;
  patch: IncidentPatch;
  author?: string | undefined;
  nowMs: number;
  settings: IncidentSettings;
}): IncidentDecision {
  const { incident, patch, author, nowMs, settings } = options;
  const outcome = new IncidentOutcome({ incident, nowMs, settings });
  if (patch.title !== undefined && patch.title !== incident.title) {
    outcome.entry({
      kind: 'title',
      author,
      text: `Title: ${patch.title}`,
      data: { from: incident.title, to: patch.title },
    });
    outcome.incident = { ...outcome.incident, title: patch.title };
  }
  if (patch.commander !== undefined && (patch.commander ?? undefined) !== incident.commander) {
    const to = patch.commander ?? undefined;
    outcome.entry({
      kind: 'commander',
      author,
      text: to === undefined ? 'Commander removed' : `Commander: ${to}`,
      data: { from: incident.commander ?? null, to: to ?? null },
    });
    outcome.incident = { ...outcome.incident, commander: to };
  }
  if (patch.severity !== undefined && patch.severity !== incident.severity) {
    outcome.entry({
      kind: 'severity',
      author,
      text: `${incident.severity} → ${patch.severity}`,
      data: { from: incident.severity, to: patch.severity },
    });
    outcome.incident = { ...outcome.incident, severity: patch.severity };
    if (severityLevel(patch.severity) < severityLevel(incident.severity) && incident.status !== 'resolved') {
      outcome.notify('incident.updated', `escalated from ${incident.severity}`);
    }
  }
  if (patch.status !== undefined) changeStatus(outcome, patch.status, author, nowMs);
  const changed = outcome.timeline.length > 0;
  if (changed) outcome.incident = { ...outcome.incident, updatedAtMs: nowMs };
  return outcome.decision({ created: false, changed });
}
