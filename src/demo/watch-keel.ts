// Feeds the demo's signals from a running Keel: request and breaker events as they happen, monitors and incidents by polling.
import type { Keel } from '../compose/create-keel.js';
import type { IncidentStatus } from '../incidents/incident.js';
import type { MonitorStatus } from '../monitors/monitor-state.js';
import { timerScheduler, type Clock, type Scheduler } from '../spec/clock.js';
import { requestSignal, type DemoSignal } from './demo-signals.js';

/**
 * Calls `onSignal` for every request that ends, every breaker transition, and (checked every
 * `pollMs`) every change of a monitor group's status or an incident's status. Monitor transitions
 * are not events on the bus: the ops database is SQLite on this thread, so reading it is cheap.
 * Incidents created before `sinceMs` (an earlier run in the same data dir) are left out.
 * Returns a function that stops watching (it polls one last time first).
 */
export function watchKeel(options: {
  keel: Keel;
  /** The clock Keel runs on: signals are stamped with it. */
  clock: Pick<Clock, 'now'>;
  onSignal: (signal: DemoSignal) => void;
  sinceMs: number;
  pollMs?: number | undefined;
  scheduler?: Scheduler | undefined;
}): () => void {
  const { keel, onSignal } = options;
  const now = () => options.clock.now();
  const monitors = new Map<string, MonitorStatus>();
  const incidents = new Map<string, IncidentStatus>();
  const offRequest = keel.events.on('request:end', (event) => onSignal(requestSignal(event, now())));
  const offBreaker = keel.events.on('breaker:transition', (transition) =>
    onSignal({ kind: 'breaker', ...transition, atMs: now() }),
  );
  const poll = () => {
    for (const state of keel.operations.monitors?.scheduler.states() ?? []) {
      const key = `${state.monitorId}\u0000${state.groupId}`;
      const from = monitors.get(key);
      if (from === state.status) continue;
      monitors.set(key, state.status);
      onSignal({
        kind: 'monitor',
        atMs: now(),
        monitorId: state.monitorId,
        group: state.group,
        from,
        to: state.status,
        value: state.value,
        reason: state.reason,
      });
    }
    const page = keel.operations.incidents.list({ fromMs: options.sinceMs, limit: 200 });
    // Oldest first, so INC-1 is told before INC-2.
    for (const incident of [...page.incidents].sort((a, b) => a.number - b.number)) {
      const from = incidents.get(incident.id);
      if (from === incident.status) continue;
      incidents.set(incident.id, incident.status);
      onSignal({
        kind: 'incident',
        atMs: now(),
        id: incident.id,
        title: incident.title,
        severity: incident.severity,
        from,
        to: incident.status,
      });
    }
  };
  const stopPolling = (options.scheduler ?? timerScheduler).every(options.pollMs ?? 250, poll);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    stopPolling();
    offRequest();
    offBreaker();
    poll();
  };
}
