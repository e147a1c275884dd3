// Wires the operations side on the ops database: notification outbox, incidents, monitors, their APIs and metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KeelConfig } from '../config/index.js';
import { createIncidentRoutes } from '../http/incident-routes.js';
import { IncidentService } from '../incidents/incident-service.js';
import { SqliteIncidentStore } from '../incidents/sqlite-incident-store.js';
import { subscribeBudgetNotifications } from '../notifications/budget-notifications.js';
import { registerNotificationMetrics } from '../notifications/notification-metrics.js';
import { createNotificationRoutes } from '../notifications/notification-routes.js';
import { WebhookNotifier } from '../notifications/webhook-notifier.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { timerScheduler, type Clock, type Scheduler } from '../spec/index.js';
import type { EventBus } from '../telemetry/event-bus.js';
import { registerMonitorMetrics } from '../telemetry/metrics/monitor-metrics.js';
import { createMonitors, type Monitors } from './create-monitors.js';
import { createProbes, type Probes } from './create-probes.js';
import type { Telemetry } from './create-telemetry.js';

/** Monitors, incidents and notifications, sharing one ops database. */
export interface Operations {
  db: OpsDatabase;
  notifier: WebhookNotifier;
  incidents: IncidentService;
  /** Undefined when the telemetry store is off: monitors read nothing else. */
  monitors: Monitors | undefined;
  /** Synthetic probes (probes.enabled); their store and API exist either way. */
  probes: Probes;
  /** /api routes to mount behind the admin guard. */
  routes: FastifyPluginAsync[];
  registerMetrics(registry: Registry): void;
  /** Starts delivering notifications and ticking monitors (probes start once Keel listens: probes.start). */
  start(): void;
  /** Stops ticking and delivering (in-flight deliveries finish or stay pending), then closes the database. */
  close(): Promise<void>;
}

/** Builds the operations side from the config. Nothing runs until {@link Operations.start}. */
export function createOperations(options: {
  config: Readonly<KeelConfig>;
  events: EventBus;
  telemetry: Telemetry;
  clock: Clock;
  logger: Logger;
  /** Runs monitor ticks; default: timers. */
  monitorScheduler?: Scheduler | undefined;
  /** Runs probe cycles; default: timers. */
  probeScheduler?: Scheduler | undefined;
  /** Live breaker states, for `breaker.open` monitors. */
  breakers?: (() => readonly BreakerSnapshot[]) | undefined;
}): Operations {
  const { config, events, clock, logger } = options;
  const db = openOpsDatabase(config.ops.path);
  const webhooks = config.notifications.webhooks;
  // The incident service and the notifier need each other: delivery reports (which come after
  // construction, asynchronously) go to the incident's timeline.
  const notifier = new WebhookNotifier({
    db,
    webhooks,
    clock,
    scheduler: timerScheduler,
    onReport: (report) => {
      service.onDeliveryReport(report);
      if (report.outcome !== 'delivered') {
        logger.warn(
          {
            target: report.target,
            notificationId: report.notificationId,
            outcome: report.outcome,
            attempts: report.attempts,
            status: report.status,
            error: report.error,
          },
          'notification failed',
        );
      }
    },
    onError: (error, context) => logger.error({ err: error, ...context }, 'notification outbox error'),
  });
  const service = new IncidentService({
    store: new SqliteIncidentStore({ db }),
    notifier,
    now: () => clock.now(),
    settings: {
      autoResolve: config.incidents.autoResolve,
      quietPeriodMs: config.incidents.quietPeriodMs,
      publicUrl: config.incidents.publicUrl,
      defaultNotify: config.incidents.notify,
    },
    onNotifyError: (error, incidentId) =>
      logger.warn({ err: error, incidentId }, 'incident notification not queued'),
  });
  const probes = createProbes({ config, db, clock, logger, scheduler: options.probeScheduler });
  const monitors = createMonitors({
    config,
    db,
    telemetry: options.telemetry,
    clock,
    logger,
    scheduler: options.monitorScheduler,
    onTransition: (transition) => {
      service.onMonitorTransition(transition);
    },
    afterTick: (nowMs) => {
      service.tick(nowMs);
    },
    notifier,
    breakers: options.breakers,
    probes: (query) => probes.store.window(query),
  });
  let stopBudgetNotifications: (() => void) | undefined;
  const routes = [
    ...(monitors === undefined ? [] : [monitors.routes]),
    createIncidentRoutes({ service, now: () => clock.now() }),
    createNotificationRoutes({ notifier, now: () => clock.now() }),
    probes.routes,
  ];
  return {
    db,
    notifier,
    incidents: service,
    monitors,
    probes,
    routes,
    registerMetrics: (registry) => {
      registerNotificationMetrics(registry, notifier);
      probes.registerMetrics(registry);
      if (monitors !== undefined) {
        registerMonitorMetrics(registry, {
          states: () => monitors.scheduler.states(),
          counters: () => monitors.scheduler.counters(),
        });
      }
    },
    start: () => {
      stopBudgetNotifications ??= subscribeBudgetNotifications({
        events,
        notifier,
        targets: config.notifications.budgetTargets ?? webhooks.map((webhook) => webhook.id),
      });
      notifier.start();
      monitors?.scheduler.start();
    },
    close: async () => {
      await probes.close();
      await monitors?.scheduler.stop();
      stopBudgetNotifications?.();
      await notifier.stop();
      db.close();
    },
  };
}
