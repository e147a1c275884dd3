// Translates a monitor's query (metric, groupBy, filters, window) into PromQL over Keel's /metrics families.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import type { MonitorMetric } from '../monitors/read-monitor-metric.js';

type Dimension = 'provider' | 'model' | 'environment' | 'application';

/** The query fields shared by threshold, anomaly and forecast monitors. */
export type MonitorQuery = Pick<
  Extract<MonitorDefinition, { type: 'threshold' }>,
  'metric' | 'groupBy' | 'window' | 'filters'
>;

/** A monitor query in PromQL: its value in the monitor's unit, and the request count beside it. */
export interface PromqlMonitorQuery {
  /** The value, per group, in the metric's unit (milliseconds for latencies, USD, fractions 0..1). */
  value: string;
  /** Requests per group in the window, for `minRequests`; undefined when the family has no count. */
  requests: string | undefined;
  /** The Prometheus labels the groups are kept by. */
  groupLabels: string[];
}

/** A query that has no PromQL equivalent, with the reason. */
export interface UntranslatableQuery {
  skip: string;
}

/** A family and how Keel's monitor dimensions map onto its labels. */
interface Family {
  name: string;
  labels: Partial<Record<Dimension, string>>;
  /** Filter dimensions that are not the same values as the label's (provider id vs provider type). */
  unfilterable?: Dimension[];
}

const requestsFamily: Family = {
  name: 'keel_requests_total',
  labels: { provider: 'provider', model: 'model' },
};
const genAiLabels = { provider: 'gen_ai_provider_name', model: 'gen_ai_request_model' };
const durationFamily: Family = {
  name: 'gen_ai_client_operation_duration_seconds',
  labels: genAiLabels,
  unfilterable: ['provider'],
};
const ttftFamily: Family = { ...durationFamily, name: 'gen_ai_server_time_to_first_token_seconds' };
const tokensFamily: Family = { ...durationFamily, name: 'gen_ai_client_token_usage' };
const overheadFamily: Family = { name: 'keel_overhead_seconds', labels: {} };
const upstreamFamily: Family = { name: 'keel_upstream_duration_seconds', labels: { provider: 'provider' } };
const costFamily: Family = { name: 'keel_cost_usd_total', labels: { provider: 'provider', model: 'model' } };
const modelOnly = { model: 'model' };
const cacheHitsFamily: Family = { name: 'keel_cache_hits_total', labels: modelOnly };
const cacheMissesFamily: Family = { name: 'keel_cache_misses_total', labels: modelOnly };
const failoversFamily: Family = { name: 'keel_failovers_total', labels: modelOnly };
const failoverRequestsFamily: Family = { name: 'keel_requests_total', labels: modelOnly };
const qualityFamily: Family = { name: 'keel_quality_judge_score', labels: modelOnly };
const probeLabels = { environment: 'environment', model: 'model' };
const probeCallsFamily: Family = { name: 'keel_probes_total', labels: probeLabels };
const probeDurationFamily: Family = { name: 'keel_probe_duration_seconds', labels: probeLabels };
const probeTtftFamily: Family = { name: 'keel_probe_ttft_seconds', labels: probeLabels };

/** A PromQL selector `{a="x",b="y"}` (empty string when there are no matchers). */
export function promqlSelector(matchers: Readonly<Record<string, string>>): string {
  const parts = Object.entries(matchers).map(([label, value]) => `${label}=${JSON.stringify(value)}`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** `sum by (a, b) (inner)`, or `sum(inner)` without labels. */
export function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum by (${labels.join(', ')}) (${inner})`;
}

interface Scope {
  window: string;
  groupBy: readonly Dimension[];
  filters: Partial<Record<Dimension, string>>;
}

/** Maps groupBy and filters onto a family's labels, or says why it cannot. */
function bind(
  family: Family,
  scope: Scope,
  extra: Record<string, string> = {},
): { selector: string; by: string[] } | UntranslatableQuery {
  const by: string[] = [];
  for (const dimension of scope.groupBy) {
    const label = family.labels[dimension];
    if (label === undefined) return { skip: `${family.name} has no label for groupBy ${dimension}` };
    by.push(label);
  }
  const matchers: Record<string, string> = {};
  for (const [dimension, value] of Object.entries(scope.filters) as [Dimension, string][]) {
    const label = family.labels[dimension];
    if (label === undefined || family.unfilterable?.includes(dimension))
      return { skip: `${family.name} cannot be filtered by ${dimension}` };
    matchers[label] = value;
  }
  return { selector: promqlSelector({ ...matchers, ...extra }), by };
}

function isSkip(value: unknown): value is UntranslatableQuery {
  return typeof value === 'object' && value !== null && 'skip' in value;
}

function histogramQuantile(
  family: Family,
  quantile: number,
  scope: Scope,
): PromqlMonitorQuery | UntranslatableQuery {
  const bound = bind(family, scope);
  if (isSkip(bound)) return bound;
  const rate = `rate(${family.name}_bucket${bound.selector}[${scope.window}])`;
  return {
    value: `histogram_quantile(${quantile}, ${sumBy(['le', ...bound.by], rate)}) * 1000`,
    requests: sumBy(bound.by, `increase(${family.name}_count${bound.selector}[${scope.window}])`),
    groupLabels: bound.by,
  };
}

function ratio(options: {
  numerator: Family;
  numeratorExtra?: Record<string, string>;
  denominator: Family;
  denominatorExtra?: Record<string, string>;
  scope: Scope;
  scale?: string;
  increase?: boolean;
}): PromqlMonitorQuery | UntranslatableQuery {
  const { scope } = options;
  const top = bind(options.numerator, scope, options.numeratorExtra);
  const bottom = bind(options.denominator, scope, options.denominatorExtra);
  if (isSkip(top)) return top;
  if (isSkip(bottom)) return bottom;
  const fn = options.increase === true ? 'increase' : 'rate';
  const numerator = sumBy(top.by, `${fn}(${options.numerator.name}${top.selector}[${scope.window}])`);
  const denominator = sumBy(
    bottom.by,
    `${fn}(${options.denominator.name}${bottom.selector}[${scope.window}])`,
  );
  return {
    value: `${numerator} / ${denominator}${options.scale ?? ''}`,
    requests: undefined,
    groupLabels: top.by,
  };
}

function total(family: Family, scope: Scope, suffix = ''): PromqlMonitorQuery | UntranslatableQuery {
  const bound = bind(family, scope);
  if (isSkip(bound)) return bound;
  return {
    value: sumBy(bound.by, `increase(${family.name}${suffix}${bound.selector}[${scope.window}])`),
    requests: undefined,
    groupLabels: bound.by,
  };
}

const QUANTILES: Readonly<Record<string, number>> = { p50: 0.5, p95: 0.95, p99: 0.99 };
const HISTOGRAMS: Readonly<Record<string, Family>> = {
  latency: durationFamily,
  overhead: overheadFamily,
  upstream: upstreamFamily,
  ttft: ttftFamily,
};

function translate(metric: MonitorMetric, scope: Scope): PromqlMonitorQuery | UntranslatableQuery {
  const [head = '', statistic = ''] = metric.split('.');
  const histogram = HISTOGRAMS[head];
  const quantile = QUANTILES[statistic];
  if (histogram !== undefined && quantile !== undefined) return histogramQuantile(histogram, quantile, scope);
  switch (metric) {
    case 'requests':
      return total(requestsFamily, scope);
    case 'error_rate':
      return ratio({
        numerator: requestsFamily,
        numeratorExtra: { outcome: 'error' },
        denominator: requestsFamily,
        scope,
      });
    case 'latency.avg':
      return ratio({
        numerator: { ...durationFamily, name: `${durationFamily.name}_sum` },
        denominator: { ...durationFamily, name: `${durationFamily.name}_count` },
        scope,
        scale: ' * 1000',
      });
    case 'tokens.sum':
      return total(tokensFamily, scope, '_sum');
    case 'tokens.avg':
      return ratio({
        numerator: { ...tokensFamily, name: `${tokensFamily.name}_sum` },
        denominator: { ...durationFamily, name: `${durationFamily.name}_count` },
        scope,
        increase: true,
      });
    case 'cost.sum':
      return total(costFamily, scope);
    case 'cache_hit_rate': {
      const hits = bind(cacheHitsFamily, scope);
      if (isSkip(hits)) return hits;
      const rate = (family: Family) =>
        sumBy(hits.by, `rate(${family.name}${hits.selector}[${scope.window}])`);
      return {
        value: `${rate(cacheHitsFamily)} / (${rate(cacheHitsFamily)} + ${rate(cacheMissesFamily)})`,
        requests: undefined,
        groupLabels: hits.by,
      };
    }
    case 'failover_rate':
      return ratio({ numerator: failoversFamily, denominator: failoverRequestsFamily, scope });
    case 'quality.score':
      return ratio({
        numerator: { ...qualityFamily, name: `${qualityFamily.name}_sum` },
        denominator: { ...qualityFamily, name: `${qualityFamily.name}_count` },
        scope,
      });
    case 'breaker.open':
      if (scope.groupBy.length > 0 || Object.keys(scope.filters).length > 0)
        return { skip: 'keel_circuit_breaker_state has only a target label' };
      return {
        value: 'count(keel_circuit_breaker_state == 2) or vector(0)',
        requests: undefined,
        groupLabels: [],
      };
    case 'probe.count':
    case 'probe.failure_rate':
    case 'probe.latency.p50':
    case 'probe.latency.p95':
    case 'probe.latency.avg':
    case 'probe.ttft.p95':
      return translateProbe(metric, scope);
    default:
      return { skip: `no Prometheus family for ${metric}` };
  }
}

/** Probe metrics over keel_probe_*; the probe count (not requests) guards `minRequests`. */
function translateProbe(metric: MonitorMetric, scope: Scope): PromqlMonitorQuery | UntranslatableQuery {
  const count = total(probeCallsFamily, scope);
  if (isSkip(count)) return count;
  const withCount = (query: PromqlMonitorQuery | UntranslatableQuery) =>
    isSkip(query) ? query : { ...query, requests: count.value };
  switch (metric) {
    case 'probe.failure_rate':
      return withCount(
        ratio({
          numerator: probeCallsFamily,
          numeratorExtra: { outcome: 'failure' },
          denominator: probeCallsFamily,
          scope,
        }),
      );
    case 'probe.latency.p50':
      return withCount(histogramQuantile(probeDurationFamily, 0.5, scope));
    case 'probe.latency.p95':
      return withCount(histogramQuantile(probeDurationFamily, 0.95, scope));
    case 'probe.latency.avg':
      return withCount(
        ratio({
          numerator: { ...probeDurationFamily, name: `${probeDurationFamily.name}_sum` },
          denominator: { ...probeDurationFamily, name: `${probeDurationFamily.name}_count` },
          scope,
          scale: ' * 1000',
        }),
      );
    case 'probe.ttft.p95':
      return withCount(histogramQuantile(probeTtftFamily, 0.95, scope));
    default:
      return { ...count, requests: count.value };
  }
}

/**
 * The PromQL of a monitor query, or why there is none. Groups by provider over the GenAI histograms
 * are by provider type (`gen_ai_provider_name`: `openai`, `anthropic`, ...), the only provider label
 * those families carry; a provider filter on them, and any environment or application, cannot be
 * translated.
 *
 * @example translateMonitorQuery({ metric: 'error_rate', groupBy: ['provider'], window: '5m' }).value
 * // 'sum by (provider) (rate(keel_requests_total{outcome="error"}[5m])) / sum by (provider) (rate(keel_requests_total[5m]))'
 */
export function translateMonitorQuery(query: MonitorQuery): PromqlMonitorQuery | UntranslatableQuery {
  const filters = Object.fromEntries(
    Object.entries(query.filters ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<Record<Dimension, string>>;
  const translated = translate(query.metric as MonitorMetric, {
    window: query.window,
    groupBy: query.groupBy,
    filters,
  });
  if (isSkip(translated)) return translated;
  if (translated.requests !== undefined) return translated;
  const requests = total(requestsFamily, { window: query.window, groupBy: query.groupBy, filters });
  return { ...translated, requests: isSkip(requests) ? undefined : requests.value };
}

/** Whether a translation was refused. */
export function isUntranslatable(
  value: PromqlMonitorQuery | UntranslatableQuery,
): value is UntranslatableQuery {
  return isSkip(value);
}
