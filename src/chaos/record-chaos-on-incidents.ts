// Writes every chaos injection's start and end to the timeline of each open incident.
import type { IncidentService } from '../incidents/incident-service.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { ChaosInjectionEvent } from '../telemetry/events.js';

/** The note an injection change leaves on an incident's timeline (markdown). */
export function describeChaosChange(change: ChaosInjectionEvent): string {
  const { injection } = change;
  if (change.action === 'end') {
    return `Chaos injection ${injection.id} on \`${injection.target}\` ended (${change.reason ?? 'cleared'}).`;
  }
  const faults: string[] = [];
  if (injection.outage === true) faults.push(`outage (${injection.errorKind ?? '503'})`);
  if ((injection.errorRate ?? 0) > 0) {
    faults.push(`${Math.round((injection.errorRate ?? 0) * 100)} % errors (${injection.errorKind ?? '500'})`);
  }
  if ((injection.latencyMs ?? 0) > 0) faults.push(`+${injection.latencyMs} ms latency`);
  if ((injection.cutRate ?? 0) > 0)
    faults.push(`${Math.round((injection.cutRate ?? 0) * 100)} % cut mid-stream`);
  return (
    `Chaos injection ${injection.id} started on \`${injection.target}\`: ${faults.join(', ')}; ` +
    `expires ${new Date(injection.expiresAtMs).toISOString()}.`
  );
}

/**
 * Subscribes to `chaos:injection` and adds a note (author `chaos`) to every active or stable
 * incident, so a postmortem shows which faults were injected while it was open. Returns the
 * unsubscribe function.
 * @example recordChaosOnIncidents(events, operations.incidents)
 */
export function recordChaosOnIncidents(
  events: EventBus,
  incidents: Pick<IncidentService, 'list' | 'addNote'>,
): () => void {
  return events.on('chaos:injection', (change) => {
    const text = describeChaosChange(change);
    const open = incidents.list({ status: ['active', 'stable'], limit: 200 }).incidents;
    for (const incident of open) incidents.addNote(incident.id, { text, author: 'chaos' });
  });
}
