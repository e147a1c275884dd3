// Builds the notification an incident change sends: title, markdown text, link, targets and dedupe key.
import type { NotificationKind, NotificationMessage } from '../notifications/notification.js';
import type { Incident, IncidentSettings } from './incident.js';

/** Incident kinds of notification. */
export type IncidentNotificationKind = Extract<NotificationKind, `incident.${string}`>;

/** A message the service hands to the notifier once the change is stored. */
export interface PlannedNotification {
  targets: readonly string[];
  message: NotificationMessage;
}

/** How many runbook lines a notification quotes. */
const RUNBOOK_LINES = 3;

/** The dashboard link of an incident, when a public URL is configured. */
export function incidentUrl(
  incident: Pick<Incident, 'id'>,
  publicUrl: string | undefined,
): string | undefined {
  if (publicUrl === undefined || publicUrl === '') return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/ui/incidents/${encodeURIComponent(incident.id)}`;
}

/** The webhook ids an incident notifies: its monitor's, or the configured default for declared incidents. */
export function incidentTargets(incident: Incident, settings: IncidentSettings): readonly string[] {
  return incident.monitor === undefined ? settings.defaultNotify : incident.monitor.notify;
}

function runbookExcerpt(runbook: string | undefined): string | undefined {
  if (runbook === undefined) return undefined;
  const lines = runbook
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  if (lines.length === 0) return undefined;
  const shown = lines.slice(0, RUNBOOK_LINES);
  return [...shown, ...(lines.length > RUNBOOK_LINES ? ['…'] : [])].map((line) => `> ${line}`).join('\n');
}

export interface PlanNotificationOptions {
  incident: Incident;
  kind: IncidentNotificationKind;
  /** What happened in a word or two: `ALERT`, `recovered`, `escalated from SEV-3`... */
  headline: string;
  settings: IncidentSettings;
  nowMs: number;
  /** The value and reason of the transition behind the change; default the trigger's. */
  value?: number | null | undefined;
  reason?: string | undefined;
}

/**
 * Plans one notification and counts it on the incident. Nothing is planned (and the incident is
 * returned as it was) when the monitor is muted or there is no target.
 * @example planIncidentNotification({ incident, kind: 'incident.opened', headline: 'ALERT', settings, nowMs })
 */
export function planIncidentNotification(options: PlanNotificationOptions): {
  incident: Incident;
  notification: PlannedNotification | undefined;
} {
  const { incident, kind, headline, settings, nowMs } = options;
  const targets = incidentTargets(incident, settings);
  if (incident.monitor?.muted === true || targets.length === 0) return { incident, notification: undefined };
  const sequence = incident.notificationSequence + 1;
  const subject = incident.monitor?.id ?? incident.id;
  const group = incident.groupId === undefined || incident.groupId === '' ? '' : ` ${incident.groupId}`;
  const value = options.value !== undefined ? options.value : (incident.trigger?.value ?? null);
  const reason = options.reason ?? incident.trigger?.reason;
  const url = incidentUrl(incident, settings.publicUrl);
  const lines = [
    `**${incident.id}** ${incident.title}`,
    `Severity ${incident.severity} · status ${incident.status}`,
  ];
  if (incident.monitor !== undefined) {
    lines.push(`Monitor \`${incident.monitor.id}\`${group === '' ? '' : ` · group \`${incident.groupId}\``}`);
  }
  if (value !== null || reason !== undefined) {
    lines.push([value === null ? undefined : `Value ${value}`, reason].filter(Boolean).join(' · '));
  }
  if (incident.monitor === undefined && incident.description !== undefined) lines.push(incident.description);
  const runbook = runbookExcerpt(incident.monitor?.runbook);
  if (runbook !== undefined) lines.push(`Runbook:\n${runbook}`);
  if (url !== undefined) lines.push(`[Open ${incident.id}](${url})`);
  const message: NotificationMessage = {
    kind,
    title: `[${incident.severity}] ${subject} ${headline}${group}`,
    text: lines.join('\n'),
    severity: incident.severity,
    status: incident.status,
    url,
    incidentId: incident.id,
    monitorId: incident.monitor?.id,
    fields: {
      incident: incident.id,
      severity: incident.severity,
      status: incident.status,
      ...(incident.monitor === undefined ? {} : { monitor: incident.monitor.id }),
      ...(group === '' ? {} : { group: incident.groupId ?? '' }),
      ...(value === null ? {} : { value }),
      ...(incident.commander === undefined ? {} : { commander: incident.commander }),
    },
    dedupeKey: `${incident.id}:${kind}:${sequence}`,
    atMs: nowMs,
  };
  return { incident: { ...incident, notificationSequence: sequence }, notification: { targets, message } };
}
