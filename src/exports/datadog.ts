// Generates Datadog dashboard and monitor definitions (API v1 JSON) over the DogStatsD metrics Keel sends.
import type { KeelConfig } from '../config/index.js';
import { parseGoodExpression, type MonitorDefinition } from '../config/monitors-schema.js';
import { exportedMonitors, type SkippedMonitor } from './exported-monitors.js';
import { BURN_RATE_ALERTS } from './prometheus-rules.js';

/** A monitor as `POST /api/v1/monitor` takes it. */
export interface DatadogMonitor {
  name: string;
  type: 'query alert';
  query: string;
  message: string;
  tags: string[];
  priority: number;
  options: {
    thresholds: { critical: number; warning?: number; critical_recovery?: number; warning_recovery?: number };
    notify_no_data: boolean;
    require_full_window: boolean;
    include_tags: boolean;
    renotify_interval?: number;
  };
}

/** A dashboard widget of the `ordered` layout. */
export interface DatadogWidget {
  definition: {
    type: 'timeseries' | 'query_value';
    title: string;
    requests: { q: string; display_type?: 'line' | 'bars' }[];
  };
}

/** A dashboard as `POST /api/v1/dashboard` takes it. */
export interface DatadogDashboard {
  title: string;
  description: string;
  layout_type: 'ordered';
  widgets: DatadogWidget[];
}

type Dimension = 'provider' | 'model' | 'environment' | 'application';

/** Tags each metric carries, per Keel's dimension (docs/api.md, StatsD and DogStatsD metrics). */
const METRIC_TAGS: Readonly<Record<string, Dimension[]>> = {
  requests: ['provider', 'model'],
  'request.errors': ['provider', 'model'],
  failovers: ['model'],
  'request.duration': ['provider', 'model'],
  'request.upstream_duration': ['provider', 'model'],
  'request.overhead': [],
  'request.ttft': ['provider', 'model'],
  tokens: ['provider', 'model'],
  cost_usd: ['provider', 'model'],
};

const DISTRIBUTIONS: Readonly<Record<string, string>> = {
  latency: 'request.duration',
  overhead: 'request.overhead',
  upstream: 'request.upstream_duration',
  ttft: 'request.ttft',
};

interface QueryParts {
  prefix: string;
  groupBy: readonly string[];
  filters: Readonly<Record<string, string | undefined>>;
}

/** `keel.requests{provider:x,outcome:error} by {provider}`, checking the metric has the tags. */
function metricQuery(name: string, parts: QueryParts, extra: string[] = []): string | undefined {
  const tags = METRIC_TAGS[name] ?? [];
  const filters = Object.entries(parts.filters).filter(([, value]) => value !== undefined);
  if (parts.groupBy.some((dimension) => !tags.includes(dimension as Dimension))) return undefined;
  if (filters.some(([dimension]) => !tags.includes(dimension as Dimension))) return undefined;
  const scope = [...filters.map(([key, value]) => `${key}:${value}`), ...extra];
  const by = parts.groupBy.length === 0 ? '' : ` by {${parts.groupBy.join(',')}}`;
  return `${parts.prefix}${name}{${scope.length === 0 ? '*' : scope.join(',')}}${by}`;
}

/** The metric part of a monitor query (after `aggregation(last_W):`), or undefined. */
function monitorMetricQuery(
  metric: string,
  parts: QueryParts,
): { aggregation: string; query: string } | undefined {
  const [head = '', statistic = ''] = metric.split('.');
  const distribution = DISTRIBUTIONS[head];
  if (distribution !== undefined && /^(p50|p95|p99|avg)$/.test(statistic)) {
    const query = metricQuery(distribution, parts);
    return query === undefined ? undefined : { aggregation: 'avg', query: `${statistic}:${query}` };
  }
  const count = (name: string, extra: string[] = []) => {
    const query = metricQuery(name, parts, extra);
    return query === undefined ? undefined : `sum:${query}.as_count()`;
  };
  const sum = (query: string | undefined) =>
    query === undefined ? undefined : { aggregation: 'sum', query };
  switch (metric) {
    case 'requests':
      return sum(count('requests'));
    case 'tokens.sum':
      return sum(count('tokens'));
    case 'cost.sum':
      return sum(count('cost_usd'));
    case 'error_rate': {
      const errors = count('requests', ['outcome:error']);
      const all = count('requests');
      return errors === undefined || all === undefined ? undefined : sum(`${errors} / ${all}`);
    }
    case 'failover_rate': {
      const failovers = count('failovers');
      const all = count('requests');
      return failovers === undefined || all === undefined ? undefined : sum(`${failovers} / ${all}`);
    }
    default:
      return undefined;
  }
}

function message(definition: MonitorDefinition, extra = ''): string {
  const notify = definition.notify.map((id) => `@webhook-${id}`).join(' ');
  return [
    `{{#is_alert}}${definition.title ?? definition.id} is alerting.{{/is_alert}}`,
    `{{#is_warning}}${definition.title ?? definition.id} is warning.{{/is_warning}}`,
    definition.runbook ?? '',
    extra,
    notify,
  ]
    .filter((line) => line !== '')
    .join('\n\n');
}

function baseMonitor(
  definition: MonitorDefinition,
  query: string,
  thresholds: DatadogMonitor['options']['thresholds'],
) {
  return {
    name: `[Keel] ${definition.title ?? definition.id}`,
    type: 'query alert' as const,
    query,
    tags: ['service:keel', `monitor:${definition.id}`, ...definition.tags],
    priority: definition.priority,
    options: {
      thresholds,
      notify_no_data: definition.noData === 'no-data',
      require_full_window: false,
      include_tags: true,
      ...(definition.renotifyIntervalMs === undefined
        ? {}
        : { renotify_interval: Math.max(1, Math.round(definition.renotifyIntervalMs / 60_000)) }),
    },
  };
}

function thresholdMonitor(
  definition: Extract<MonitorDefinition, { type: 'threshold' }>,
  prefix: string,
): DatadogMonitor | SkippedMonitor {
  const parts = { prefix, groupBy: definition.groupBy, filters: definition.filters ?? {} };
  const translated = monitorMetricQuery(definition.metric, parts);
  if (translated === undefined)
    return { id: definition.id, reason: `no DogStatsD metric carries ${definition.metric} with these tags` };
  if (/s$/.test(definition.window)) return { id: definition.id, reason: 'Datadog windows start at 1 minute' };
  const critical = definition.critical ?? definition.warn;
  if (critical === undefined) return { id: definition.id, reason: 'no threshold' };
  const operator = definition.direction === 'below' ? '<' : '>';
  const thresholds: DatadogMonitor['options']['thresholds'] = { critical };
  if (definition.critical !== undefined && definition.warn !== undefined)
    thresholds.warning = definition.warn;
  if (definition.recoveryCritical !== undefined) thresholds.critical_recovery = definition.recoveryCritical;
  if (definition.recoveryWarn !== undefined) thresholds.warning_recovery = definition.recoveryWarn;
  const query = `${translated.aggregation}(last_${definition.window}):${translated.query} ${operator} ${critical}`;
  return { ...baseMonitor(definition, query, thresholds), message: message(definition) };
}

function sloMonitors(
  definition: Extract<MonitorDefinition, { type: 'slo' }>,
  prefix: string,
): DatadogMonitor[] | SkippedMonitor {
  const parts = { prefix, groupBy: [], filters: definition.filters ?? {} };
  const errors = metricQuery('requests', parts, ['outcome:error']);
  const all = metricQuery('requests', parts);
  if (errors === undefined || all === undefined)
    return { id: definition.id, reason: 'keel.requests has no tag for these filters' };
  const criteria = parseGoodExpression(definition.good);
  const note =
    criteria.latencyMs === undefined
      ? ''
      : `Counts failed requests only: the latency clause (${criteria.latencyMs} ms) has no count in DogStatsD; Keel's own SLO monitor judges it.`;
  const budget = Number((1 - definition.objective).toPrecision(12));
  return BURN_RATE_ALERTS.map(({ factor, longWindow, severity }) => {
    const limit = Number((factor * budget).toPrecision(12));
    const query = `sum(last_${longWindow}):sum:${errors}.as_count() / sum:${all}.as_count() > ${limit}`;
    const monitor = baseMonitor(definition, query, { critical: limit });
    return {
      ...monitor,
      name: `${monitor.name}: error budget burn ${factor}x over ${longWindow}`,
      tags: [...monitor.tags, `severity:${severity}`],
      message: message(definition, note),
    };
  });
}

/** The metric prefix as Keel sends it: `keel.` unless `telemetry.statsd.prefix` says otherwise. */
function metricPrefix(config: Readonly<KeelConfig>): string {
  const prefix = config.telemetry.statsd.prefix;
  return prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
}

/**
 * Datadog monitors for `config`'s threshold monitors and SLOs (one burn-rate monitor per SRE
 * Workbook long window: Datadog joins windows only in composite monitors, which need monitor ids),
 * and the monitors left out with the reason. Assumes `telemetry.statsd.protocol: dogstatsd`.
 */
export function datadogMonitors(config: Readonly<KeelConfig>): {
  monitors: DatadogMonitor[];
  skipped: SkippedMonitor[];
} {
  const prefix = metricPrefix(config);
  const monitors: DatadogMonitor[] = [];
  const skipped: SkippedMonitor[] = [];
  for (const definition of exportedMonitors(config)) {
    if (definition.type === 'anomaly' || definition.type === 'forecast') {
      skipped.push({ id: definition.id, reason: `${definition.type} monitors run in Keel only` });
      continue;
    }
    const result =
      definition.type === 'slo' ? sloMonitors(definition, prefix) : thresholdMonitor(definition, prefix);
    if ('reason' in result) skipped.push(result);
    else monitors.push(...(Array.isArray(result) ? result : [result]));
  }
  return { monitors, skipped };
}

/** The overview dashboard over the DogStatsD metrics (durations in milliseconds). */
export function datadogDashboard(config: Readonly<KeelConfig>): DatadogDashboard {
  const prefix = metricPrefix(config);
  const line = (title: string, ...queries: string[]): DatadogWidget => ({
    definition: { type: 'timeseries', title, requests: queries.map((q) => ({ q, display_type: 'line' })) },
  });
  const percentiles = (name: string) =>
    ['p50', 'p95', 'p99'].map((statistic) => `${statistic}:${prefix}${name}{*}`);
  return {
    title: 'Keel overview',
    description: 'Generated by `keel export datadog` over the DogStatsD metrics Keel sends.',
    layout_type: 'ordered',
    widgets: [
      line('Requests by provider and outcome', `sum:${prefix}requests{*} by {provider,outcome}.as_count()`),
      line(
        'Error rate by provider',
        `sum:${prefix}requests{outcome:error} by {provider}.as_count() / sum:${prefix}requests{*} by {provider}.as_count()`,
      ),
      line('Latency p50 / p95 / p99 (ms)', ...percentiles('request.duration')),
      line('Time to first token (ms)', ...percentiles('request.ttft')),
      line('Keel overhead (ms)', ...percentiles('request.overhead')),
      line('Tokens by type', `sum:${prefix}tokens{*} by {token_type}.as_count()`),
      line('Cost (USD) by provider and model', `sum:${prefix}cost_usd{*} by {provider,model}.as_count()`),
      line('Failovers by model', `sum:${prefix}failovers{*} by {model}.as_count()`),
      line(
        'Circuit breaker state (0 closed, 1 half-open, 2 open)',
        `max:${prefix}circuit_breaker.state{*} by {target}`,
      ),
    ],
  };
}
