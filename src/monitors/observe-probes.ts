// Reads a probe metric per group from the synthetic probes' measurements over a monitor's window.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import type { ProbeDimension, ProbeWindowGroup } from '../probes/probe-store.js';
import { groupIdOf } from './monitor-transition.js';
import type { GroupObservation } from './observe-monitor.js';
import { parseWindow } from './read-monitor-metric.js';

/** Reads the probe measurements of a window per group (SqliteProbeStore.window). */
export type ProbeWindowReader = (options: {
  fromMs: number;
  toMs: number;
  groupBy: readonly ProbeDimension[];
  filters?: Partial<Record<ProbeDimension, string>> | undefined;
  /** Which values of the successes the metric needs (counts always come). */
  values?: 'both' | 'latency' | 'ttft' | 'none' | undefined;
}) => ProbeWindowGroup[];

/** The values a probe metric needs beside the counts. */
function valuesOf(metric: string): 'latency' | 'ttft' | 'none' {
  if (metric.startsWith('probe.latency.')) return 'latency';
  if (metric.startsWith('probe.ttft.')) return 'ttft';
  return 'none';
}

/** The dimensions probe monitors may group and filter by. */
export const PROBE_DIMENSIONS: readonly ProbeDimension[] = ['environment', 'model'];

/** The value at quantile `q` (0..1) of `values` by nearest rank; null over none. */
export function nearestRank(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? null;
}

/** A probe metric's value in one group; `requests` of the observation is the number of probes. */
export function probeMetricValue(metric: string, group: ProbeWindowGroup): number | null {
  switch (metric) {
    case 'probe.count':
      return group.count;
    case 'probe.failure_rate':
      return group.count === 0 ? null : group.failures / group.count;
    case 'probe.latency.p50':
      return nearestRank(group.latencies, 0.5);
    case 'probe.latency.p95':
      return nearestRank(group.latencies, 0.95);
    case 'probe.latency.avg':
      return group.latencies.length === 0
        ? null
        : group.latencies.reduce((sum, value) => sum + value, 0) / group.latencies.length;
    case 'probe.ttft.p95':
      return nearestRank(group.ttfts, 0.95);
    default:
      throw new RangeError(`${metric} is not a probe metric`);
  }
}

/**
 * A threshold monitor on a `probe.*` metric: one observation per group of its window's
 * measurements. Without probes (`read` undefined) or without measurements and groupBy, one empty
 * group, so a probe monitor on a Keel that probes nothing shows no data rather than OK.
 */
export function observeProbes(options: {
  definition: Extract<MonitorDefinition, { type: 'threshold' }>;
  nowMs: number;
  read: ProbeWindowReader | undefined;
}): GroupObservation[] {
  const { definition, nowMs } = options;
  const groupBy = definition.groupBy.filter((dimension): dimension is ProbeDimension =>
    (PROBE_DIMENSIONS as readonly string[]).includes(dimension),
  );
  const filters: Partial<Record<ProbeDimension, string>> = {};
  if (definition.filters?.environment !== undefined) filters.environment = definition.filters.environment;
  if (definition.filters?.model !== undefined) filters.model = definition.filters.model;
  // Up to now inclusive: a probe stored at this very millisecond (a manual clock) counts.
  const window = { fromMs: nowMs - parseWindow(definition.window), toMs: nowMs + 1 };
  const groups = options.read?.({ ...window, groupBy, filters, values: valuesOf(definition.metric) }) ?? [];
  if (groups.length === 0 && groupBy.length === 0) {
    groups.push({ key: {}, count: 0, failures: 0, latencies: [], ttfts: [] });
  }
  return groups.map((group) => {
    const key = group.key as Record<string, string>;
    return {
      group: key,
      groupId: groupIdOf(key),
      observation: {
        kind: 'value',
        value: probeMetricValue(definition.metric, group),
        requests: group.count,
      },
    };
  });
}
