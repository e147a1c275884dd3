// The monitors an export describes: the config's definitions, or the default pack when it defines none.
import type { KeelConfig } from '../config/index.js';
import type { MonitorDefinition } from '../config/monitors-schema.js';
import { defaultMonitorPack } from '../monitors/default-monitor-pack.js';

/**
 * The monitors Keel runs for `config`, as the monitor registry picks them: the configured
 * definitions, else the default pack (when `monitors.defaultPack` is on), else none.
 */
export function exportedMonitors(config: Readonly<KeelConfig>): MonitorDefinition[] {
  if (config.monitors.definitions.length > 0) return [...config.monitors.definitions];
  if (!config.monitors.defaultPack) return [];
  return defaultMonitorPack({
    dailyBudgetUsd: config.budgets?.global?.dailyUsd,
    notify: config.notifications.webhooks.map((webhook) => webhook.id),
    probeIntervalMs: config.probes.enabled ? config.probes.intervalMs : undefined,
  });
}

/** A monitor an export could not translate, and why (shown as a comment or note in the output). */
export interface SkippedMonitor {
  id: string;
  reason: string;
}
