// Wires the monitors: registry (config, default pack, API), scheduler over the telemetry store, and their API.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import { createMonitorRoutes } from '../http/monitor-routes.js';
import { defaultMonitorPack } from '../monitors/default-monitor-pack.js';
import { MonitorRegistry } from '../monitors/monitor-registry.js';
import { MonitorScheduler, type MonitorSchedulerOptions } from '../monitors/monitor-scheduler.js';
import { SqliteMonitorStore } from '../monitors/sqlite-monitor-store.js';
import type { OpsDatabase } from '../ops/ops-database.js';
import { timerScheduler, type Clock, type Scheduler } from '../spec/index.js';
import type { Telemetry } from './create-telemetry.js';

export interface Monitors {
  registry: MonitorRegistry;
  scheduler: MonitorScheduler;
  store: SqliteMonitorStore;
  routes: FastifyPluginAsync;
}

/**
 * The monitors, or undefined when the telemetry store is off (monitors read nothing else). Errors of
 * one monitor are logged at most once per monitor and minute; the others keep running.
 */
export function createMonitors(options: {
  config: Readonly<KeelConfig>;
  db: OpsDatabase;
  telemetry: Telemetry;
  clock: Clock;
  logger: Logger;
  scheduler?: Scheduler | undefined;
  onTransition?: MonitorSchedulerOptions['onTransition'];
  afterTick?: MonitorSchedulerOptions['afterTick'];
  notifier?: MonitorSchedulerOptions['notifier'];
  breakers?: MonitorSchedulerOptions['breakers'];
  probes?: MonitorSchedulerOptions['probes'];
}): Monitors | undefined {
  const { config, telemetry, clock, logger } = options;
  const store = telemetry.store;
  if (store === undefined) return undefined;
  const monitorStore = new SqliteMonitorStore(options.db);
  const settings = config.monitors;
  const registry = new MonitorRegistry({
    configured: settings.definitions,
    defaults: settings.defaultPack
      ? defaultMonitorPack({
          dailyBudgetUsd: config.budgets?.global?.dailyUsd,
          notify: config.notifications.webhooks.map((webhook) => webhook.id),
          probeIntervalMs: config.probes.enabled ? config.probes.intervalMs : undefined,
        })
      : [],
    store: monitorStore,
    notifications: config.notifications,
    now: () => clock.now(),
  });
  const loggedAtMs = new Map<string, number>();
  const scheduler = new MonitorScheduler({
    store,
    monitorStore,
    definitions: () => registry.definitions(),
    isMuted: (definition) => registry.isMuted(definition),
    intervalMs: settings.evaluationIntervalMs,
    clock,
    scheduler: options.scheduler ?? timerScheduler,
    beforeRead: () => telemetry.flush(),
    onTransition: options.onTransition,
    afterTick: options.afterTick,
    notifier: options.notifier,
    breakers: options.breakers,
    probes: options.probes,
    historyRetentionMs: settings.historyRetentionMs,
    onError: (error, monitorId) => {
      const nowMs = clock.now();
      if (nowMs - (loggedAtMs.get(monitorId) ?? Number.NEGATIVE_INFINITY) < 60_000) return;
      loggedAtMs.set(monitorId, nowMs);
      logger.warn({ err: error, monitor: monitorId }, 'monitor not evaluated; it keeps its last state');
    },
  });
  const routes = createMonitorRoutes({
    registry,
    scheduler,
    monitorStore,
    intervalMs: settings.evaluationIntervalMs,
    now: () => clock.now(),
  });
  return { registry, scheduler, store: monitorStore, routes };
}
