// The demo's closing lines: what the traffic did, the failovers, and each incident with its dashboard link.
import type { Incident } from '../incidents/incident.js';
import type { DemoCounts } from './demo-narrator.js';

/** Whether the story ended as told: at least one incident opened, and every one of them resolved. */
export function demoSucceeded(incidents: readonly Pick<Incident, 'status'>[]): boolean {
  return incidents.length > 0 && incidents.every((incident) => incident.status === 'resolved');
}

/** The summary block printed when the story ends. */
export function formatDemoSummary(options: {
  counts: DemoCounts;
  incidents: readonly Pick<Incident, 'id' | 'status' | 'severity' | 'title'>[];
  baseUrl: string;
  primary: string;
  backup: string;
  /** The user stopped the story before its end. */
  stopped?: boolean | undefined;
}): string[] {
  const { counts, incidents, baseUrl, primary, backup } = options;
  const served = Object.entries(counts.byProvider)
    .sort(([, a], [, b]) => b - a)
    .map(([provider, answered]) => `${provider} ${answered}`)
    .join(', ');
  const failures = Object.entries(counts.failedByCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  // A simulated stream cut after its first token reached the client cannot be failed over.
  const cuts =
    counts.failedByCode.KEEL_STREAM_INTERRUPTED === undefined
      ? ''
      : '; streams cut after their first token cannot fail over';
  const lines = [
    '── summary ──',
    `requests:  ${counts.requests} sent, ${counts.answered} answered${served === '' ? '' : ` (${served})`}, ` +
      `${counts.refused} refused on purpose (the mixed traffic's malformed calls), ${counts.failed} failed` +
      (failures === '' ? '' : ` (${failures}${cuts})`),
    `failovers: ${counts.failovers} answered by ${backup} after ${primary} failed`,
  ];
  if (incidents.length === 0) lines.push('incidents: none opened');
  else lines.push('incidents:');
  for (const incident of incidents) {
    lines.push(
      `  ${incident.id}  ${incident.status.padEnd(8)}  ${incident.severity}  ${incident.title}  → ${baseUrl}/ui/incidents/${encodeURIComponent(incident.id)}`,
    );
  }
  if (options.stopped === true) {
    lines.push('■ stopped before the story ended');
  } else if (incidents.length === 0) {
    lines.push('✗ no incident opened: the monitors did not alert (see the missed milestones above)');
  } else if (!demoSucceeded(incidents)) {
    lines.push('✗ not every incident resolved in time: the dashboard shows where each one stands');
  } else {
    lines.push('✓ the outage was detected, contained by failover, and every incident opened and resolved');
  }
  return lines;
}
