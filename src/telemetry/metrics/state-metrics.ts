// Prometheus families about the policies' shared state: whether it is reachable, and the failures each policy absorbed.
import { Counter, Gauge, type Registry } from 'prom-client';

/** Read at each scrape. */
export interface StateMetricSources {
  /** Failed state calls per policy and failure mode (StateFailureReporter.counts). */
  errors: () => readonly { policy: string; mode: string; count: number }[];
  /** The state is reachable (always true in memory). */
  up: () => boolean;
}

/**
 * Registers keel_state_errors_total{policy,mode} and keel_state_up. A rising error count with
 * mode="open" means requests went through unchecked; with mode="closed", that they were refused.
 *
 * @example
 * registerStateMetrics(metrics.registry, { errors: () => failures.counts(), up: () => state.up });
 */
export function registerStateMetrics(registry: Registry, sources: StateMetricSources): void {
  const registers = [registry];
  new Counter<'policy' | 'mode'>({
    name: 'keel_state_errors_total',
    help: 'Shared-state calls (Redis) that failed, per policy and the failure mode applied: open = admitted unchecked, closed = refused with 503.',
    labelNames: ['policy', 'mode'],
    registers,
    collect() {
      this.reset();
      for (const row of sources.errors()) this.inc({ policy: row.policy, mode: row.mode }, row.count);
    },
  });
  new Gauge({
    name: 'keel_state_up',
    help: '1 while the shared state the policies use is reachable (always 1 in memory), 0 while it is not.',
    registers,
    collect() {
      this.set(sources.up() ? 1 : 0);
    },
  });
}
