// Generates Prometheus recording and alerting rules (YAML) from a config's monitors and SLOs.
import { Document } from 'yaml';
import type { KeelConfig } from '../config/index.js';
import { parseGoodExpression, type MonitorDefinition } from '../config/monitors-schema.js';
import { operationDurationBuckets } from '../telemetry/metrics/gen-ai-semconv.js';
import { exportedMonitors, type SkippedMonitor } from './exported-monitors.js';
import {
  isUntranslatable,
  promqlSelector,
  sumBy,
  translateMonitorQuery,
} from './translate-monitor-to-promql.js';

/** One rule of a Prometheus rule group. */
export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Prometheus rule file: `groups` of rules. */
export interface PrometheusRuleFile {
  groups: { name: string; rules: PrometheusRule[] }[];
}

/**
 * The SRE Workbook's multiwindow, multi-burn-rate alerts (chapter 5, "Alerting on SLOs"): burn
 * factor, long and short windows, severity. 14.4 over 1 h spends 2 % of a 30-day budget.
 */
export const BURN_RATE_ALERTS = [
  { factor: 14.4, longWindow: '1h', shortWindow: '5m', severity: 'page' },
  { factor: 6, longWindow: '6h', shortWindow: '30m', severity: 'page' },
  { factor: 1, longWindow: '3d', shortWindow: '6h', severity: 'ticket' },
] as const;

/** The windows an SLO's error ratio is recorded over. */
export const SLO_ERROR_RATIO_WINDOWS = ['5m', '30m', '1h', '6h', '3d'] as const;

/** A monitor id as a part of a Prometheus metric or alert name. */
function metricNamePart(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

/** `error-rate` -> `KeelErrorRate`. */
export function alertName(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  return `Keel${words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}`;
}

/** The recording rule name of an SLO's error ratio over `window`. */
export function sloErrorRatioName(window: string): string {
  return `keel_slo:error_ratio:rate${window}`;
}

function annotations(definition: MonitorDefinition, summary: string): Record<string, string> {
  const result: Record<string, string> = { summary };
  if (definition.runbook !== undefined) result.runbook = definition.runbook;
  return result;
}

function thresholdRules(
  definition: Extract<MonitorDefinition, { type: 'threshold' }>,
): { recording: PrometheusRule[]; alerts: PrometheusRule[] } | SkippedMonitor {
  const query = translateMonitorQuery(definition);
  if (isUntranslatable(query)) return { id: definition.id, reason: query.skip };
  const record = `keel_monitor:${metricNamePart(definition.id)}:value`;
  const recording: PrometheusRule[] = [{ record, expr: query.value, labels: { monitor: definition.id } }];
  const guard =
    definition.minRequests > 0 && query.requests !== undefined
      ? ` and on (${query.groupLabels.join(', ')}) (${query.requests}) >= ${definition.minRequests}`
      : '';
  const operator = definition.direction === 'below' ? '<' : '>';
  const alerts: PrometheusRule[] = [];
  const levels = [
    { threshold: definition.critical, severity: 'critical' },
    { threshold: definition.warn, severity: 'warning' },
  ];
  for (const { threshold, severity } of levels) {
    if (threshold === undefined) continue;
    alerts.push({
      alert: alertName(definition.id),
      expr: `${record}${promqlSelector({ monitor: definition.id })} ${operator} ${threshold}${guard}`,
      labels: { severity, monitor: definition.id, priority: `P${definition.priority}` },
      annotations: annotations(
        definition,
        `${definition.title ?? definition.id}: ${definition.metric} over ${definition.window} is {{ $value | humanize }} (${severity} ${operator} ${threshold})`,
      ),
    });
  }
  return { recording, alerts };
}

/** The smallest duration bucket bound (seconds, as the `le` label) holding `latencyMs`. */
function latencyBucket(latencyMs: number): string {
  const bound = operationDurationBuckets.find((seconds) => seconds * 1000 >= latencyMs);
  return bound === undefined ? '+Inf' : String(bound);
}

function sloErrorRatio(
  definition: Extract<MonitorDefinition, { type: 'slo' }>,
  window: string,
): string | SkippedMonitor {
  const criteria = parseGoodExpression(definition.good);
  const filters = definition.filters ?? {};
  if (filters.environment !== undefined || filters.application !== undefined)
    return { id: definition.id, reason: 'Keel metrics carry no environment or application label' };
  if (criteria.latencyMs === undefined) {
    const selector = (extra: Record<string, string>) =>
      promqlSelector({
        ...(filters.provider === undefined ? {} : { provider: filters.provider }),
        ...(filters.model === undefined ? {} : { model: filters.model }),
        ...extra,
      });
    return `${sumBy([], `rate(keel_requests_total${selector({ outcome: 'error' })}[${window}])`)} / ${sumBy([], `rate(keel_requests_total${selector({})}[${window}])`)}`;
  }
  if (filters.provider !== undefined)
    return { id: definition.id, reason: 'the duration histogram has a provider type, not the provider id' };
  const model: Record<string, string> =
    filters.model === undefined ? {} : { gen_ai_request_model: filters.model };
  const family = 'gen_ai_client_operation_duration_seconds';
  // Failed requests carry error_type; an empty matcher keeps the successful ones only.
  const good = promqlSelector({
    ...model,
    le: latencyBucket(criteria.latencyMs),
    ...(criteria.status === 'ok' ? { error_type: '' } : {}),
  });
  return `1 - (${sumBy([], `rate(${family}_bucket${good}[${window}])`)} / ${sumBy([], `rate(${family}_count${promqlSelector(model)}[${window}])`)})`;
}

function sloRules(
  definition: Extract<MonitorDefinition, { type: 'slo' }>,
): { recording: PrometheusRule[]; alerts: PrometheusRule[] } | SkippedMonitor {
  const recording: PrometheusRule[] = [];
  for (const window of SLO_ERROR_RATIO_WINDOWS) {
    const expr = sloErrorRatio(definition, window);
    if (typeof expr !== 'string') return expr;
    recording.push({ record: sloErrorRatioName(window), expr, labels: { monitor: definition.id } });
  }
  const budget = Number((1 - definition.objective).toPrecision(12));
  const selector = promqlSelector({ monitor: definition.id });
  const alerts = BURN_RATE_ALERTS.map(({ factor, longWindow, shortWindow, severity }) => {
    const limit = Number((factor * budget).toPrecision(12));
    return {
      alert: 'KeelSloErrorBudgetBurn',
      expr: `${sloErrorRatioName(longWindow)}${selector} > ${limit} and ${sloErrorRatioName(shortWindow)}${selector} > ${limit}`,
      labels: {
        severity,
        monitor: definition.id,
        long_window: longWindow,
        short_window: shortWindow,
        priority: `P${definition.priority}`,
      },
      annotations: annotations(
        definition,
        `${definition.title ?? definition.id}: error budget of ${definition.objective * 100}% (${definition.good}) burning ${factor}x over ${longWindow} and ${shortWindow}`,
      ),
    };
  });
  return { recording, alerts };
}

/** The rules of `config`'s monitors, and the monitors that have no Prometheus equivalent. */
export function prometheusRules(config: Readonly<KeelConfig>): {
  rules: PrometheusRuleFile;
  skipped: SkippedMonitor[];
} {
  const skipped: SkippedMonitor[] = [];
  const monitorValues: PrometheusRule[] = [];
  const monitorAlerts: PrometheusRule[] = [];
  const sloRatios: PrometheusRule[] = [];
  const sloAlerts: PrometheusRule[] = [];
  for (const definition of exportedMonitors(config)) {
    if (definition.type === 'anomaly' || definition.type === 'forecast') {
      skipped.push({
        id: definition.id,
        reason: `${definition.type} monitors judge Keel's own baselines and forecasts; they run in Keel only`,
      });
      continue;
    }
    const result = definition.type === 'slo' ? sloRules(definition) : thresholdRules(definition);
    if ('reason' in result) {
      skipped.push(result);
      continue;
    }
    (definition.type === 'slo' ? sloRatios : monitorValues).push(...result.recording);
    (definition.type === 'slo' ? sloAlerts : monitorAlerts).push(...result.alerts);
  }
  const groups = [
    { name: 'keel-monitor-values', rules: monitorValues },
    { name: 'keel-monitor-alerts', rules: monitorAlerts },
    { name: 'keel-slo-error-ratios', rules: sloRatios },
    { name: 'keel-slo-burn-rate-alerts', rules: sloAlerts },
  ].filter((group) => group.rules.length > 0);
  return { rules: { groups }, skipped };
}

/**
 * The rule file as YAML for `rule_files:`, with a header comment naming the monitors left out.
 *
 * @example writeFileSync('keel-rules.yml', prometheusRulesYaml(validateConfig(raw)));
 */
export function prometheusRulesYaml(config: Readonly<KeelConfig>): string {
  const { rules, skipped } = prometheusRules(config);
  const document = new Document(rules);
  document.commentBefore = [
    ' Prometheus rules for Keel, generated by `keel export prometheus-rules`; do not edit by hand.',
    ...skipped.map((monitor) => ` Not exported: ${monitor.id}: ${monitor.reason}.`),
  ].join('\n');
  return document.toString({ lineWidth: 0 });
}
