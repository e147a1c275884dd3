// Cross-checks of the monitors, notifications and incidents sections: ids, webhook targets, levels and series queries.
import type { z } from 'zod';
import { SERIES_MONITOR_METRICS, seriesMetricOf } from '../monitors/monitor-series.js';
import { isProbeMetric, parseMonitorMetric, parseWindow } from '../monitors/read-monitor-metric.js';
import type {
  IncidentsConfig,
  MonitorDefinition,
  MonitorsConfig,
  NotificationsConfig,
} from './monitors-schema.js';

/** Monitor and webhook ids are unique, notify names a webhook, and thresholds are consistent. */
export function checkMonitors(
  config: {
    monitors?: Pick<MonitorsConfig, 'definitions'> | undefined;
    notifications?: NotificationsConfig | undefined;
    incidents?: Pick<IncidentsConfig, 'notify'> | undefined;
  },
  context: z.RefinementCtx,
): void {
  const webhooks = config.notifications?.webhooks ?? [];
  const webhookIds = new Set<string>();
  webhooks.forEach((webhook, index) => {
    if (webhookIds.has(webhook.id)) {
      context.addIssue({
        code: 'custom',
        path: ['notifications', 'webhooks', index, 'id'],
        input: webhook.id,
        message: 'duplicate webhook id; give each webhook its own id',
      });
    }
    webhookIds.add(webhook.id);
  });
  const known = [...webhookIds].join(', ') || '(none defined; add one under notifications.webhooks)';
  const checkTargets = (targets: readonly string[] | undefined, path: (string | number)[]) => {
    (targets ?? []).forEach((target, index) => {
      if (!webhookIds.has(target)) {
        context.addIssue({
          code: 'custom',
          path: [...path, index],
          input: target,
          message: `no webhook has this id; use one of: ${known}`,
        });
      }
    });
  };
  checkTargets(config.notifications?.budgetTargets, ['notifications', 'budgetTargets']);
  checkTargets(config.incidents?.notify, ['incidents', 'notify']);
  const monitorIds = new Set<string>();
  (config.monitors?.definitions ?? []).forEach((definition, index) => {
    const at = (...path: (string | number)[]) => ['monitors', 'definitions', index, ...path];
    if (monitorIds.has(definition.id)) {
      context.addIssue({
        code: 'custom',
        path: at('id'),
        input: definition.id,
        message: 'duplicate monitor id; give each monitor its own id',
      });
    }
    monitorIds.add(definition.id);
    definition.notify.forEach((target, targetIndex) => {
      if (!webhookIds.has(target)) {
        context.addIssue({
          code: 'custom',
          path: at('notify', targetIndex),
          input: target,
          message: `no webhook has this id; use one of: ${known}`,
        });
      }
    });
    if (definition.type === 'slo') return;
    if (
      definition.type === 'threshold' &&
      definition.metric === 'breaker.open' &&
      definition.groupBy.some((dimension) => dimension !== 'provider')
    ) {
      context.addIssue({
        code: 'custom',
        path: at('groupBy'),
        input: definition.groupBy,
        message: 'breaker.open counts targets per provider only; write groupBy: [provider] or leave it out',
      });
    }
    if (definition.type === 'threshold' && isProbeMetric(definition.metric))
      checkProbeQuery(definition, at, context);
    if (definition.type === 'threshold' && definition.critical === undefined) {
      context.addIssue({
        code: 'custom',
        path: at('critical'),
        message: 'a threshold monitor needs critical; add e.g. critical: 4000',
      });
    }
    if (
      definition.type === 'forecast' &&
      definition.critical === undefined &&
      definition.budgetUsd === undefined
    ) {
      context.addIssue({
        code: 'custom',
        path: at('budgetUsd'),
        message: 'a forecast monitor needs budgetUsd or critical; add e.g. budgetUsd: 100',
      });
    }
    if (definition.type === 'anomaly' || definition.type === 'forecast') {
      checkSeriesQuery(definition, at, context);
      return;
    }
    checkThresholdOrder(definition, at, context);
  });
}

/** Probe metrics come from the probe measurements, which know only environment and model. */
function checkProbeQuery(
  definition: Extract<MonitorDefinition, { type: 'threshold' }>,
  at: (...path: (string | number)[]) => (string | number)[],
  context: z.RefinementCtx,
): void {
  const allowed = new Set(['environment', 'model']);
  if (definition.groupBy.some((dimension) => !allowed.has(dimension))) {
    context.addIssue({
      code: 'custom',
      path: at('groupBy'),
      input: definition.groupBy,
      message: `${definition.metric} groups by environment and model only`,
    });
  }
  const filtered = Object.entries(definition.filters ?? {}).filter(([, value]) => value !== undefined);
  if (filtered.some(([dimension]) => !allowed.has(dimension))) {
    context.addIssue({
      code: 'custom',
      path: at('filters'),
      input: definition.filters,
      message: `${definition.metric} filters by environment and model only`,
    });
  }
}

/** The most buckets a forecast may look ahead. */
export const MAX_FORECAST_STEPS = 10_000;

/** Anomaly and forecast monitors read a stored series: a metric that has one, one group-by dimension, whole minutes. */
function checkSeriesQuery(
  definition: Extract<MonitorDefinition, { type: 'anomaly' | 'forecast' }>,
  at: (...path: (string | number)[]) => (string | number)[],
  context: z.RefinementCtx,
): void {
  if (seriesMetricOf(parseMonitorMetric(definition.metric)) === undefined) {
    context.addIssue({
      code: 'custom',
      path: at('metric'),
      input: definition.metric,
      message: `${definition.type} monitors need a metric with a stored series; use one of: ${SERIES_MONITOR_METRICS.join(', ')}`,
    });
  }
  if (definition.groupBy.length > 1) {
    context.addIssue({
      code: 'custom',
      path: at('groupBy'),
      input: definition.groupBy,
      message: `${definition.type} monitors group by at most one dimension; keep one of ${definition.groupBy.join(', ')}`,
    });
  }
  if (parseWindow(definition.window) % 60_000 !== 0) {
    context.addIssue({
      code: 'custom',
      path: at('window'),
      input: definition.window,
      message: `${definition.type} monitors need a window of whole minutes, e.g. 5m or 1h`,
    });
  }
  if (definition.type === 'forecast') {
    const windowMs = parseWindow(definition.window);
    if (windowMs > 0 && parseWindow(definition.horizon) / windowMs > MAX_FORECAST_STEPS) {
      context.addIssue({
        code: 'custom',
        path: at('horizon'),
        input: definition.horizon,
        message: `horizon is more than ${MAX_FORECAST_STEPS} windows of ${definition.window}; shorten it or widen window`,
      });
    }
    checkThresholdOrder(definition, at, context);
  }
}

/** With direction above, warn <= critical and each recovery sits on the good side of its threshold. */
function checkThresholdOrder(
  definition: Extract<MonitorDefinition, { type: 'threshold' | 'forecast' }>,
  at: (...path: (string | number)[]) => (string | number)[],
  context: z.RefinementCtx,
): void {
  const above = definition.direction === 'above';
  // "Worse" means further in the bad direction.
  const worse = (a: number, b: number) => (above ? a > b : a < b);
  const { warn, recoveryWarn, recoveryCritical } = definition;
  const critical = definition.critical ?? (definition.type === 'forecast' ? definition.budgetUsd : undefined);
  if (recoveryWarn !== undefined && warn === undefined) {
    context.addIssue({
      code: 'custom',
      path: at('recoveryWarn'),
      input: recoveryWarn,
      message: 'recoveryWarn needs warn; set warn or remove recoveryWarn',
    });
  }
  if (warn !== undefined && critical !== undefined && worse(warn, critical)) {
    context.addIssue({
      code: 'custom',
      path: at('warn'),
      input: warn,
      message: `warn is ${above ? 'above' : 'below'} critical (${critical}) with direction ${definition.direction}; write a warn ${above ? 'at most' : 'at least'} ${critical}, or set direction: ${above ? 'below' : 'above'}`,
    });
  }
  const recoveries = [
    ['recoveryWarn', recoveryWarn, warn, 'warn'],
    ['recoveryCritical', recoveryCritical, critical, 'critical'],
  ] as const;
  for (const [option, recovery, threshold, thresholdName] of recoveries) {
    if (recovery !== undefined && threshold !== undefined && worse(recovery, threshold)) {
      context.addIssue({
        code: 'custom',
        path: at(option),
        input: recovery,
        message: `${option} is past ${thresholdName} (${threshold}) with direction ${definition.direction}; write a value ${above ? 'at most' : 'at least'} ${threshold}`,
      });
    }
  }
}
