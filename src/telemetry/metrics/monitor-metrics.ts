// Prometheus families about the monitors: each group's state, SLO error budgets, ticks and failed evaluations.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MonitorStatus } from '../../monitors/monitor-state.js';
import type { MonitorGroupState } from '../../monitors/sqlite-monitor-store.js';

/** Where the figures are read from at each scrape. */
export interface MonitorMetricSources {
  states: () => readonly MonitorGroupState[];
  counters: () => { ticks: number; errors: number };
}

const STATUSES: readonly MonitorStatus[] = ['OK', 'WARN', 'ALERT', 'NO_DATA'];

/**
 * Registers keel_monitor_* families, read from the scheduler at scrape time:
 * `keel_monitor_status{monitor,group,status}` is 1 for the group's current status and 0 for the others
 * (the Prometheus "state set" shape, so `keel_monitor_status{status="ALERT"} == 1` selects firing groups).
 */
export function registerMonitorMetrics(registry: Registry, sources: MonitorMetricSources): void {
  const registers = [registry];
  new Gauge<'monitor' | 'group' | 'status'>({
    name: 'keel_monitor_status',
    help: 'Current state of each monitor group: 1 for its status, 0 for the others.',
    labelNames: ['monitor', 'group', 'status'],
    registers,
    collect() {
      this.reset();
      for (const state of sources.states()) {
        for (const status of STATUSES) {
          this.set(
            { monitor: state.monitorId, group: state.groupId, status },
            state.status === status ? 1 : 0,
          );
        }
      }
    },
  });
  new Gauge<'monitor' | 'group'>({
    name: 'keel_monitor_value',
    help: 'The last value each monitor group judged, in the metric’s unit (a burn rate for SLOs).',
    labelNames: ['monitor', 'group'],
    registers,
    collect() {
      this.reset();
      for (const state of sources.states()) {
        if (state.value !== null) this.set({ monitor: state.monitorId, group: state.groupId }, state.value);
      }
    },
  });
  new Gauge<'monitor'>({
    name: 'keel_slo_error_budget_remaining',
    help: 'Share of each SLO’s error budget left over its period: 1 untouched, 0 spent, below 0 overspent.',
    labelNames: ['monitor'],
    registers,
    collect() {
      this.reset();
      for (const state of sources.states()) {
        const remaining = state.details.errorBudgetRemaining;
        if (typeof remaining === 'number') this.set({ monitor: state.monitorId }, remaining);
      }
    },
  });
  new Counter({
    name: 'keel_monitor_ticks_total',
    help: 'Monitor evaluation ticks run.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.counters().ticks);
    },
  });
  new Counter({
    name: 'keel_monitor_errors_total',
    help: 'Monitor evaluations that failed (the monitor kept its last state).',
    registers,
    collect() {
      this.reset();
      this.inc(sources.counters().errors);
    },
  });
}
