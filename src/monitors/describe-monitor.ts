// Human words for a monitor: its title, the unit of its values, and the summary incidents and notifications carry.
import { parseGoodExpression, type MonitorDefinition } from '../config/monitors-schema.js';
import type { MonitorSummary } from './monitor-transition.js';

/** The unit a monitor's values are in: ms, ratio, usd, tokens, requests, or x for a burn rate. */
export function monitorUnit(definition: MonitorDefinition): string {
  if (definition.type === 'slo') return 'x';
  const metric = definition.metric;
  if (metric.endsWith('_rate')) return 'ratio';
  if (metric.startsWith('cost')) return 'usd';
  if (metric.startsWith('tokens')) return 'tokens';
  if (metric === 'requests') return 'requests';
  if (metric.startsWith('quality')) return 'score';
  return 'ms';
}

/**
 * The definition's own title, else one made from its query.
 * @example monitorTitle({ type: 'threshold', metric: 'latency.p95', window: '5m', critical: 4000, ... }) // 'latency.p95 over 5m at or above 4000 ms'
 */
export function monitorTitle(definition: MonitorDefinition): string {
  if (definition.title !== undefined) return definition.title;
  const unit = monitorUnit(definition);
  const withUnit = (value: number) =>
    unit === 'ms' || unit === 'tokens' ? `${value} ${unit}` : unit === 'usd' ? `$${value}` : `${value}`;
  switch (definition.type) {
    case 'threshold': {
      const side = definition.direction === 'above' ? 'at or above' : 'at or below';
      return `${definition.metric} over ${definition.window} ${side} ${withUnit(definition.critical ?? 0)}`;
    }
    case 'anomaly':
      return `${definition.metric} over ${definition.window} more than ${definition.deviations} deviations ${definition.direction === 'both' ? 'from' : definition.direction} its baseline`;
    case 'forecast':
      return `${definition.metric} forecast over the next ${definition.horizon} at or above ${withUnit(definition.critical ?? definition.budgetUsd ?? 0)}`;
    case 'slo': {
      const good = parseGoodExpression(definition.good);
      const clauses = [
        ...(good.status === undefined ? [] : ['succeed']),
        ...(good.latencyMs === undefined ? [] : [`finish under ${good.latencyMs} ms`]),
      ];
      return `SLO: ${(definition.objective * 100).toFixed(2).replace(/\.?0+$/, '')}% of requests ${clauses.join(' and ')} over ${definition.window}`;
    }
  }
}

/** What an incident or a notification needs to know about a monitor. */
export function monitorSummary(definition: MonitorDefinition, muted: boolean): MonitorSummary {
  return {
    id: definition.id,
    type: definition.type,
    title: monitorTitle(definition),
    priority: definition.priority,
    runbook: definition.runbook,
    notify: definition.notify,
    muted,
    tags: definition.tags,
  };
}

/** The warn and critical lines to draw on a monitor's chart. */
export function monitorThresholds(definition: MonitorDefinition): { warn?: number; critical?: number } {
  switch (definition.type) {
    case 'threshold':
      return { warn: definition.warn, critical: definition.critical };
    case 'forecast':
      return { warn: definition.warn, critical: definition.critical ?? definition.budgetUsd };
    case 'slo':
      return { warn: 1, critical: 6 };
    case 'anomaly':
      return {};
  }
}
