// /api/monitors: list, read, create, replace, delete, mute and evaluate monitors, with their state and history.
import type { FastifyPluginAsync } from 'fastify';
import type { MonitorStatus } from '../monitors/monitor-state.js';
import type { MonitorRegistry, RegisteredMonitor } from '../monitors/monitor-registry.js';
import type { MonitorScheduler } from '../monitors/monitor-scheduler.js';
import type { MonitorGroupState, SqliteMonitorStore } from '../monitors/sqlite-monitor-store.js';
import { monitorTitle } from '../monitors/describe-monitor.js';
import { invalidRequest } from '../spec/index.js';
import { timeRange, type Query } from './stats-routes.js';

export interface MonitorRoutesOptions {
  registry: MonitorRegistry;
  scheduler: MonitorScheduler;
  monitorStore: SqliteMonitorStore;
  intervalMs: number;
  now: () => number;
}

/** Worst first: a monitor's status is its worst group's. */
const SEVERITY: Record<MonitorStatus, number> = { ALERT: 3, WARN: 2, NO_DATA: 1, OK: 0 };

function worst(states: readonly MonitorGroupState[]): MonitorStatus {
  return states.reduce<MonitorStatus>(
    (status, state) => (SEVERITY[state.status] > SEVERITY[status] ? state.status : status),
    'OK',
  );
}

function groupView(state: MonitorGroupState) {
  return {
    groupId: state.groupId,
    group: state.group,
    status: state.status,
    since: new Date(state.sinceMs).toISOString(),
    value: state.value,
    reason: state.reason,
    details: state.details,
    evaluatedAt: new Date(state.evaluatedMs).toISOString(),
  };
}

function monitorView(monitor: RegisteredMonitor, states: readonly MonitorGroupState[]) {
  return {
    id: monitor.definition.id,
    type: monitor.definition.type,
    title: monitorTitle(monitor.definition),
    source: monitor.source,
    muted: monitor.muted,
    status: states.length === 0 ? 'NO_DATA' : worst(states),
    groups: states.map(groupView),
    definition: monitor.definition,
  };
}

function limitOf(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw invalidRequest(`'limit' must be a whole number from 1 to ${max}; got "${text}".`, 'limit');
  }
  return limit;
}

/**
 * The monitors API. Config and default-pack monitors are read-only here except for mute/unmute;
 * monitors made with POST persist in the ops database and are evaluated from the next tick.
 */
export function createMonitorRoutes(options: MonitorRoutesOptions): FastifyPluginAsync {
  const { registry, scheduler } = options;
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/monitors', () => {
      const monitors = registry
        .list()
        .map((monitor) => monitorView(monitor, scheduler.states(monitor.definition.id)));
      const counts = { OK: 0, WARN: 0, ALERT: 0, NO_DATA: 0 };
      for (const monitor of monitors) counts[monitor.status] += 1;
      return { evaluationIntervalMs: options.intervalMs, counts, monitors };
    });

    api.get('/api/monitors/:id', (request) => {
      const { id } = request.params as { id: string };
      const monitor = registry.get(id);
      return {
        ...monitorView(monitor, scheduler.states(id)),
        transitions: options.monitorStore.transitions(id, 50).map(({ atMs, ...transition }) => ({
          at: new Date(atMs).toISOString(),
          ...transition,
        })),
      };
    });

    api.get('/api/monitors/:id/evaluations', (request) => {
      const { id } = request.params as { id: string };
      registry.get(id);
      const query = request.query as Query;
      const range = timeRange(query, options.now(), '1h');
      const evaluations = options.monitorStore.evaluations({
        monitorId: id,
        ...range,
        limit: limitOf(query.limit, 500, 5000),
        groupId: query.group,
      });
      return {
        id,
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        evaluations: evaluations.map(({ atMs, ...evaluation }) => ({
          at: new Date(atMs).toISOString(),
          atMs,
          ...evaluation,
        })),
      };
    });

    api.post('/api/monitors', (request, reply) => {
      const monitor = registry.create(request.body);
      return reply.status(201).send(monitorView(monitor, []));
    });

    api.put('/api/monitors/:id', (request) => {
      const { id } = request.params as { id: string };
      const monitor = registry.replace(id, request.body);
      // A changed query starts afresh: the old groups' states were judged by other rules.
      scheduler.forget(id, 'the monitor was replaced');
      return monitorView(monitor, []);
    });

    api.delete('/api/monitors/:id', (request, reply) => {
      const { id } = request.params as { id: string };
      registry.checkEditable(id);
      // While the definition still exists, so its incidents recover with the right targets.
      scheduler.forget(id, 'the monitor was deleted');
      registry.delete(id);
      return reply.status(204).send();
    });

    api.post('/api/monitors/:id/:action', (request) => {
      const { id, action } = request.params as { id: string; action: string };
      if (action !== 'mute' && action !== 'unmute') {
        throw invalidRequest(`Unknown action "${action}"; use /api/monitors/${id}/mute or /unmute.`);
      }
      const monitor = registry.mute(id, action === 'mute');
      return monitorView(monitor, scheduler.states(id));
    });

    api.post('/api/monitors/evaluate', async () => {
      const summary = await scheduler.tick();
      return {
        at: new Date(summary.atMs).toISOString(),
        evaluated: summary.evaluated,
        failed: summary.failed,
        transitions: summary.transitions.map(({ monitor, graph: _graph, ...transition }) => ({
          monitorId: monitor.id,
          ...transition,
        })),
      };
    });
  };
}
