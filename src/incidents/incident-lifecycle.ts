// The incident lifecycle as a pure decision: (incident, event, now, settings) -> the next incident, timeline entries, notifications.
import type { MonitorTransition } from '../monitors/monitor-transition.js';
import type { DeliveryReport } from '../notifications/notification.js';
import { applyIncidentPatch, type IncidentPatch } from './apply-incident-patch.js';
import {
  incidentIdOf,
  severityOfPriority,
  type Incident,
  type IncidentSettings,
  type Severity,
} from './incident.js';
import { IncidentOutcome, noDecision, type IncidentDecision } from './incident-outcome.js';
import { formatValue, summarizeGraph } from './summarize-graph.js';

/** An incident declared by a person. */
export interface IncidentDeclaration {
  title: string;
  severity: Severity;
  commander?: string | undefined;
  description?: string | undefined;
  author?: string | undefined;
}

/** Everything that can happen to an incident. */
export type IncidentEvent =
  | { type: 'transition'; transition: MonitorTransition }
  | { type: 'tick' }
  | { type: 'declare'; declaration: IncidentDeclaration }
  | { type: 'update'; patch: IncidentPatch; author?: string | undefined }
  | { type: 'note'; text: string; author?: string | undefined }
  | { type: 'delivery'; report: DeliveryReport };

export interface ApplyIncidentEventOptions {
  /** For a transition: the open incident of its monitor and group, if any. Otherwise the incident concerned. */
  incident: Incident | undefined;
  event: IncidentEvent;
  nowMs: number;
  settings: IncidentSettings;
  /** The number a new incident gets, should the event open one. */
  newIncidentNumber: number;
}

export type { IncidentDecision } from './incident-outcome.js';
export type { IncidentPatch } from './apply-incident-patch.js';

function titleOf(transition: MonitorTransition): string {
  return transition.groupId === ''
    ? transition.monitor.title
    : `${transition.monitor.title} (${transition.groupId})`;
}

function transitionText(transition: MonitorTransition): string {
  const value = transition.value === null ? '' : ` (value ${formatValue(transition.value)})`;
  return `${transition.from} → ${transition.to}${value}: ${transition.reason}`;
}

function recordTransition(outcome: IncidentOutcome, transition: MonitorTransition): void {
  outcome.entry({
    kind: 'transition',
    atMs: transition.atMs,
    text: transitionText(transition),
    data: {
      monitorId: transition.monitor.id,
      groupId: transition.groupId,
      from: transition.from,
      to: transition.to,
      value: transition.value,
      reason: transition.reason,
    },
  });
  if (transition.to === 'ALERT' && transition.graph !== undefined) {
    outcome.entry({
      kind: 'graph',
      atMs: transition.atMs,
      text: summarizeGraph(transition.graph),
      data: { ...transition.graph },
    });
  }
}

function openFromTransition(
  options: ApplyIncidentEventOptions,
  transition: MonitorTransition,
): IncidentDecision {
  const { nowMs, settings, newIncidentNumber } = options;
  const incident: Incident = {
    id: incidentIdOf(newIncidentNumber),
    number: newIncidentNumber,
    title: titleOf(transition),
    severity: severityOfPriority(transition.monitor.priority),
    status: 'active',
    source: 'monitor',
    monitor: transition.monitor,
    group: transition.group,
    groupId: transition.groupId,
    trigger: {
      from: transition.from,
      to: transition.to,
      value: transition.value,
      reason: transition.reason,
      atMs: transition.atMs,
    },
    lastMonitorStatus: transition.to,
    impactStartMs: transition.atMs,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    notificationSequence: 0,
  };
  const outcome = new IncidentOutcome({ incident, nowMs, settings });
  outcome.entry({
    kind: 'created',
    atMs: transition.atMs,
    text: `Opened by monitor ${transition.monitor.id}${transition.groupId === '' ? '' : ` for ${transition.groupId}`} at ${incident.severity}`,
    data: {
      source: 'monitor',
      monitorId: transition.monitor.id,
      groupId: transition.groupId,
      severity: incident.severity,
    },
  });
  recordTransition(outcome, transition);
  outcome.notify('incident.opened', 'ALERT', transition);
  return outcome.decision({ created: true, changed: true });
}

function joinTransition(
  options: ApplyIncidentEventOptions,
  incident: Incident,
  transition: MonitorTransition,
): IncidentDecision {
  const { nowMs, settings } = options;
  const outcome = new IncidentOutcome({
    incident: {
      ...incident,
      monitor: transition.monitor,
      group: transition.group,
      lastMonitorStatus: transition.to,
      updatedAtMs: nowMs,
    },
    nowMs,
    settings,
  });
  recordTransition(outcome, transition);
  const current = outcome.incident;
  if (transition.to === 'ALERT' && current.status === 'stable') {
    outcome.incident = { ...current, status: 'active', impactEndMs: undefined, quietSinceMs: undefined };
    outcome.entry({
      kind: 'status',
      atMs: transition.atMs,
      text: 'stable → active: the monitor alerts again',
      data: { from: 'stable', to: 'active' },
    });
    outcome.notify('incident.updated', 'ALERT again', transition);
  } else if (transition.to === 'OK' && current.status === 'active') {
    outcome.incident = {
      ...current,
      status: 'stable',
      impactEndMs: transition.atMs,
      quietSinceMs: transition.atMs,
    };
    outcome.entry({
      kind: 'status',
      atMs: transition.atMs,
      text: 'active → stable: the monitor recovered',
      data: { from: 'active', to: 'stable' },
    });
    outcome.notify('incident.stable', 'recovered', transition);
  } else if (current.status === 'stable') {
    // The quiet period runs only while the monitor is OK: a WARN or NO_DATA pauses it until the next OK.
    outcome.incident = { ...current, quietSinceMs: transition.to === 'OK' ? transition.atMs : undefined };
  }
  return outcome.decision({ created: false, changed: true });
}

function onTransition(options: ApplyIncidentEventOptions, transition: MonitorTransition): IncidentDecision {
  const open = options.incident;
  const matches =
    open !== undefined &&
    open.status !== 'resolved' &&
    open.monitor?.id === transition.monitor.id &&
    open.groupId === transition.groupId;
  if (matches) return joinTransition(options, open, transition);
  if (transition.to === 'ALERT') return openFromTransition(options, transition);
  return noDecision(undefined);
}

function onTick(options: ApplyIncidentEventOptions, incident: Incident): IncidentDecision {
  const { nowMs, settings } = options;
  const due =
    settings.autoResolve &&
    incident.status === 'stable' &&
    incident.source === 'monitor' &&
    incident.quietSinceMs !== undefined &&
    nowMs - incident.quietSinceMs >= settings.quietPeriodMs;
  if (!due) return noDecision(incident);
  const outcome = new IncidentOutcome({ incident, nowMs, settings });
  outcome.resolve({ automatic: true });
  return outcome.decision({ created: false, changed: true });
}

function onDeclare(options: ApplyIncidentEventOptions, declaration: IncidentDeclaration): IncidentDecision {
  const { nowMs, settings, newIncidentNumber } = options;
  const incident: Incident = {
    id: incidentIdOf(newIncidentNumber),
    number: newIncidentNumber,
    title: declaration.title,
    severity: declaration.severity,
    status: 'active',
    source: 'manual',
    commander: declaration.commander,
    description: declaration.description,
    impactStartMs: nowMs,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    notificationSequence: 0,
  };
  const outcome = new IncidentOutcome({ incident, nowMs, settings });
  outcome.entry({
    kind: 'created',
    author: declaration.author,
    text: `Declared at ${incident.severity}${declaration.commander === undefined ? '' : `, commander ${declaration.commander}`}`,
    data: { source: 'manual', severity: incident.severity, commander: declaration.commander ?? null },
  });
  outcome.notify('incident.opened', 'declared');
  return outcome.decision({ created: true, changed: true });
}

function onDelivery(
  options: ApplyIncidentEventOptions,
  incident: Incident,
  report: DeliveryReport,
): IncidentDecision {
  const outcome = new IncidentOutcome({ incident, nowMs: options.nowMs, settings: options.settings });
  const attempts = `${report.attempts} attempt${report.attempts === 1 ? '' : 's'}`;
  const detail = [report.status === undefined ? undefined : `HTTP ${report.status}`, report.error]
    .filter((part) => part !== undefined)
    .join(' ');
  outcome.entry({
    kind: 'notification',
    atMs: report.atMs,
    text: `${report.message.kind} ${report.outcome} to ${report.target} (${attempts})${detail === '' ? '' : `: ${detail}`}`,
    data: {
      notificationId: report.notificationId,
      target: report.target,
      outcome: report.outcome,
      attempts: report.attempts,
      status: report.status ?? null,
      error: report.error ?? null,
      kind: report.message.kind,
      dedupeKey: report.message.dedupeKey,
    },
  });
  return outcome.decision({ created: false, changed: false });
}

/**
 * Decides what one event does to an incident. Pure: the same input gives the same output, and time
 * comes in as `nowMs`. Throws KEEL_INVALID_REQUEST for a change the lifecycle refuses (resolved -> stable).
 *
 * - A transition to ALERT opens an incident for its monitor and group unless one is open, which it joins.
 * - Every transition of an open incident's monitor group is appended; an ALERT's graph too.
 * - ALERT -> OK makes it stable (WARN and NO_DATA keep it active); a re-alert makes a stable one active.
 * - `tick` resolves a stable monitor incident whose monitor stayed OK for `quietPeriodMs` (when `autoResolve`).
 * @example applyIncidentEvent({ incident: undefined, event: { type: 'transition', transition }, nowMs, settings, newIncidentNumber: 1 })
 */
export function applyIncidentEvent(options: ApplyIncidentEventOptions): IncidentDecision {
  const { event, incident } = options;
  switch (event.type) {
    case 'transition':
      return onTransition(options, event.transition);
    case 'declare':
      return onDeclare(options, event.declaration);
    case 'tick':
      return incident === undefined ? noDecision(undefined) : onTick(options, incident);
    case 'update':
      return incident === undefined
        ? noDecision(undefined)
        : applyIncidentPatch({ ...options, incident, patch: event.patch, author: event.author });
    case 'note': {
      if (incident === undefined) return noDecision(undefined);
      const outcome = new IncidentOutcome({ incident, nowMs: options.nowMs, settings: options.settings });
      outcome.entry({ kind: 'note', author: event.author, text: event.text });
      return outcome.decision({ created: false, changed: false });
    }
    case 'delivery':
      return incident === undefined ? noDecision(undefined) : onDelivery(options, incident, event.report);
  }
}
