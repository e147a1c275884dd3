// Reads what a monitor judges from the telemetry store, per group: a window's value, a baseline, a forecast or SLO counts.
import {
  parseGoodExpression,
  type GoodRequestCriteria,
  type MonitorDefinition,
} from '../config/monitors-schema.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import type { RollupFilters, StatsGroup, TelemetryStore } from '../store/store.js';
import type { StatusClass } from '../telemetry/request-record.js';
import type { MonitorObservation } from './evaluate-monitor.js';
import { forecastSum, holtForecast } from './forecast-holt.js';
import { groupIdOf } from './monitor-transition.js';
import { readMonitorSeries, type GroupSeries } from './monitor-series.js';
import { observeProbes, type ProbeWindowReader } from './observe-probes.js';
import {
  isProbeMetric,
  parseMonitorMetric,
  parseWindow,
  readMonitorMetric,
  type MonitorMetric,
} from './read-monitor-metric.js';
import { burnRateWindows, type BurnRateWindow, type EventCounts } from './slo-burn-rate.js';

/** One group's observation at one tick. */
export interface GroupObservation {
  group: Record<string, string>;
  groupId: string;
  observation: MonitorObservation;
}

/** Holt smoothing used by forecast monitors: level follows the last few buckets, the trend changes slowly. */
export const FORECAST_ALPHA = 0.3;
export const FORECAST_BETA = 0.1;

/** Daily seasonality compares with buckets within this distance of the same time of day. */
const SEASONAL_SLOT_MS = 3_600_000; // 1 h
const DAY_MS = 86_400_000;
/** The store serves at most this many points per series. */
const MAX_SERIES_POINTS = 10_000;
const COUNTING: ReadonlySet<MonitorMetric> = new Set(['requests', 'tokens.sum', 'cost.sum', 'probe.count']);

/**
 * What each group of `definition` shows at `nowMs`. Groups seen in the window come back; the caller
 * adds the groups it knew that went quiet ({@link emptyObservation}).
 */
export async function observeMonitor(options: {
  store: TelemetryStore;
  definition: MonitorDefinition;
  nowMs: number;
  /** Live breaker states, for `breaker.open`. */
  breakers?: (() => readonly BreakerSnapshot[]) | undefined;
  /** Keeps anomaly baselines between ticks: they change only when a new bucket completes. */
  cache?: SeriesCache | undefined;
  /** The synthetic probes' measurements, for `probe.*` metrics; undefined when probes are off. */
  probes?: ProbeWindowReader | undefined;
}): Promise<GroupObservation[]> {
  const { definition } = options;
  switch (definition.type) {
    case 'threshold':
      if (definition.metric === 'breaker.open')
        return observeBreakers(definition, options.breakers?.() ?? []);
      if (isProbeMetric(definition.metric))
        return observeProbes({ definition, nowMs: options.nowMs, read: options.probes });
      return observeValues({ ...options, definition });
    case 'anomaly':
      return observeAnomaly({ ...options, definition });
    case 'forecast':
      return observeForecast({ ...options, definition });
    case 'slo':
      return [{ group: {}, groupId: '', observation: await observeSlo({ ...options, definition }) }];
  }
}

/**
 * Baseline series by monitor id. A baseline covers whole buckets that ended before the current
 * window, so it is the same at every tick until a bucket completes: re-reading a week of buckets
 * every 15 s would repeat almost all the store's work (bench/README.md, "Monitor evaluation").
 */
export type SeriesCache = Map<string, { key: string; series: GroupSeries[] }>;

async function cachedSeries(options: {
  cache: SeriesCache | undefined;
  definition: MonitorDefinition;
  fromMs: number;
  toMs: number;
  read: () => Promise<GroupSeries[]>;
}): Promise<GroupSeries[]> {
  const { cache, definition } = options;
  // The definition is part of the key: an edited monitor reads afresh.
  const key = `${options.fromMs}:${options.toMs}:${JSON.stringify(definition)}`;
  const cached = cache?.get(definition.id);
  if (cached?.key === key) return cached.series;
  const series = await options.read();
  cache?.set(definition.id, { key, series });
  return series;
}

/** The observation of a group with no traffic at all in the window. */
export function emptyObservation(definition: MonitorDefinition): MonitorObservation {
  switch (definition.type) {
    case 'threshold':
      // No traffic is a value for counts and sums (a requests monitor must see an outage as 0).
      return {
        kind: 'value',
        value: COUNTING.has(parseMonitorMetric(definition.metric)) ? 0 : null,
        requests: 0,
      };
    case 'anomaly':
      return { kind: 'anomaly', value: null, requests: 0, history: [] };
    case 'forecast':
      return { kind: 'forecast', value: null, requests: 0, points: 0 };
    case 'slo': {
      const none = { good: 0, total: 0 };
      const windows = Object.fromEntries(burnRateWindows.map((window) => [window, none]));
      return { kind: 'slo', windows: windows as Record<BurnRateWindow, EventCounts>, period: none };
    }
  }
}

type Of<T extends MonitorDefinition['type']> = Extract<MonitorDefinition, { type: T }>;

async function observeValues(options: {
  store: TelemetryStore;
  definition: Of<'threshold'>;
  nowMs: number;
}): Promise<GroupObservation[]> {
  const { definition } = options;
  const values = await readMonitorMetric({
    store: options.store,
    metric: parseMonitorMetric(definition.metric),
    windowMs: parseWindow(definition.window),
    nowMs: options.nowMs,
    groupBy: definition.groupBy,
    filters: definition.filters,
  });
  return values.filter(reachedProvider).map((sample) => ({
    group: sample.key,
    groupId: groupIdOf(sample.key),
    observation: { kind: 'value', value: sample.value, requests: sample.requests },
  }));
}

/**
 * `breaker.open`: how many targets have a breaker that is not closed (open or half-open), now; per
 * provider with `groupBy: [provider]`. `requests` is the number of targets, so `minRequests` reads
 * as "at least this many targets".
 */
function observeBreakers(
  definition: Of<'threshold'>,
  breakers: readonly BreakerSnapshot[],
): GroupObservation[] {
  const byProvider = definition.groupBy.includes('provider');
  const groups = new Map<string, { group: Record<string, string>; open: number; targets: number }>();
  if (!byProvider) groups.set('', { group: {}, open: 0, targets: 0 });
  for (const breaker of breakers) {
    const provider = breaker.target.slice(0, Math.max(0, breaker.target.indexOf('/')));
    if (definition.filters?.provider !== undefined && provider !== definition.filters.provider) continue;
    const group: Record<string, string> = byProvider ? { provider } : {};
    const groupId = groupIdOf(group);
    const entry = groups.get(groupId) ?? { group, open: 0, targets: 0 };
    entry.targets += 1;
    if (breaker.status !== 'closed') entry.open += 1;
    groups.set(groupId, entry);
  }
  return [...groups.entries()].map(([groupId, entry]) => ({
    group: entry.group,
    groupId,
    observation: { kind: 'value', value: entry.open, requests: entry.targets },
  }));
}

async function observeAnomaly(options: {
  store: TelemetryStore;
  definition: Of<'anomaly'>;
  nowMs: number;
  cache?: SeriesCache | undefined;
}): Promise<GroupObservation[]> {
  const { store, definition, nowMs } = options;
  const metric = parseMonitorMetric(definition.metric);
  const windowMs = parseWindow(definition.window);
  const current = await readMonitorMetric({
    store,
    metric,
    windowMs,
    nowMs,
    groupBy: definition.groupBy,
    filters: definition.filters,
  });
  // Whole buckets that end before the current window starts: the baseline never contains what it judges.
  const toMs = Math.floor((nowMs - windowMs) / windowMs) * windowMs;
  const earliestMs = Math.max(nowMs - parseWindow(definition.history), toMs - MAX_SERIES_POINTS * windowMs);
  const fromMs = Math.floor(earliestMs / windowMs) * windowMs;
  const series = await cachedSeries({
    cache: options.cache,
    definition,
    fromMs,
    toMs,
    read: () =>
      readMonitorSeries({
        store,
        metric,
        by: definition.groupBy[0],
        fromMs,
        toMs,
        stepMs: windowMs,
        filters: definition.filters,
      }),
  });
  const historyOf = new Map<string, number[]>();
  for (const entry of series) {
    const points = COUNTING.has(metric) ? trimLeadingZeros(entry.points) : entry.points;
    const seasonal =
      definition.seasonality === 'daily'
        ? points.filter((point) => timeOfDayDistanceMs(point.tMs, nowMs) <= SEASONAL_SLOT_MS)
        : points;
    historyOf.set(
      groupIdOf(entry.key),
      seasonal.map((point) => point.value),
    );
  }
  return current.filter(reachedProvider).map((sample) => {
    const groupId = groupIdOf(sample.key);
    return {
      group: sample.key,
      groupId,
      observation: {
        kind: 'anomaly',
        value: sample.value,
        requests: sample.requests,
        history: historyOf.get(groupId) ?? [],
      },
    };
  });
}

async function observeForecast(options: {
  store: TelemetryStore;
  definition: Of<'forecast'>;
  nowMs: number;
}): Promise<GroupObservation[]> {
  const { store, definition, nowMs } = options;
  const metric = parseMonitorMetric(definition.metric);
  const stepMs = parseWindow(definition.window);
  // Only whole buckets: the one still filling would read as a sudden drop.
  const toMs = Math.floor(nowMs / stepMs) * stepMs;
  // Whole buckets at the start too, for the same reason.
  const earliestMs = Math.max(nowMs - parseWindow(definition.history), toMs - MAX_SERIES_POINTS * stepMs);
  const fromMs = Math.ceil(earliestMs / stepMs) * stepMs;
  const by = definition.groupBy[0];
  const [series, stats] = await Promise.all([
    readMonitorSeries({ store, metric, by, fromMs, toMs, stepMs, filters: definition.filters }),
    store.stats({ fromMs, toMs, filters: definition.filters, groupBy: definition.groupBy }),
  ]);
  const requestsOf = new Map(stats.groups.map((group) => [groupIdOf(group.key), group.requests]));
  const horizon = Math.max(1, Math.ceil(parseWindow(definition.horizon) / stepMs));
  return series.filter(reachedProvider).map((entry) => {
    const groupId = groupIdOf(entry.key);
    const trimmed = COUNTING.has(metric) ? trimLeadingZeros(entry.points) : entry.points;
    // Traffic that began inside the first bucket filled it only partly: a false jump for the trend.
    const whole = COUNTING.has(metric) && trimmed.length >= 3 ? trimmed.slice(1) : trimmed;
    const values = whole.map((point) => point.value);
    const holt = { values, alpha: FORECAST_ALPHA, beta: FORECAST_BETA, horizon };
    const value =
      values.length < 2
        ? null
        : COUNTING.has(metric)
          ? forecastSum({ ...holt, floor: 0 })
          : (holtForecast(holt).forecast.at(-1) ?? null);
    return {
      group: entry.key,
      groupId,
      observation: { kind: 'forecast', value, requests: requestsOf.get(groupId) ?? 0, points: values.length },
    };
  });
}

/** Good and total requests per burn-rate window and over the SLO period. */
async function observeSlo(options: {
  store: TelemetryStore;
  definition: Of<'slo'>;
  nowMs: number;
}): Promise<MonitorObservation> {
  const { store, definition, nowMs } = options;
  const good = parseGoodExpression(definition.good);
  const countsOver = (windowMs: number) =>
    sloCounts({ store, filters: definition.filters, good, fromMs: nowMs - windowMs, toMs: nowMs });
  const [period, ...windowCounts] = await Promise.all([
    countsOver(parseWindow(definition.window)),
    ...burnRateWindows.map((window) => countsOver(parseWindow(window))),
  ]);
  const windows = Object.fromEntries(burnRateWindows.map((window, index) => [window, windowCounts[index]]));
  return {
    kind: 'slo',
    windows: windows as Record<BurnRateWindow, EventCounts>,
    period: period ?? { good: 0, total: 0 },
  };
}

/**
 * An SLO's events over one window. 4xx answers are left out altogether: they are the caller's
 * mistakes or Keel's own refusals (unknown model, key, rate limit, budget), not the service failing.
 * Good events are successes (2xx; a stream cut after its head is a 5xx in the store), and with a
 * latency clause only those faster than it, read from the successes' latency sketch (within 1 %).
 */
async function sloCounts(options: {
  store: TelemetryStore;
  filters: RollupFilters | undefined;
  good: GoodRequestCriteria;
  fromMs: number;
  toMs: number;
}): Promise<EventCounts> {
  const { store, good, fromMs, toMs } = options;
  const query = (statusClass: StatusClass, latencyBelowMs?: number) =>
    store.stats({ fromMs, toMs, filters: { ...options.filters, statusClass }, latencyBelowMs });
  const [ok, serverErrors] = await Promise.all([
    query('2xx', good.latencyMs),
    query('5xx', good.status === undefined ? good.latencyMs : undefined),
  ]);
  const okCount = totalOf(ok.groups, (group) => group.requests);
  const total = okCount + totalOf(serverErrors.groups, (group) => group.requests);
  const fastOk =
    good.latencyMs === undefined ? okCount : totalOf(ok.groups, (group) => group.latencyBelow ?? 0);
  // Without a status clause a fast failure is good too.
  const fastErrors =
    good.status !== undefined
      ? 0
      : good.latencyMs === undefined
        ? total - okCount
        : totalOf(serverErrors.groups, (group) => group.latencyBelow ?? 0);
  return { total, good: Math.min(total, Math.round(fastOk + fastErrors)) };
}

/**
 * Grouped by provider, requests that reached none (refused by Keel: unknown model, key, limits)
 * form a group with provider ''. It says nothing about a provider, so per-provider monitors skip it.
 */
function reachedProvider(group: { key: Record<string, string> }): boolean {
  return group.key.provider !== '';
}

function totalOf(groups: readonly StatsGroup[], pick: (group: StatsGroup) => number): number {
  return groups.reduce((sum, group) => sum + pick(group), 0);
}

function trimLeadingZeros<T extends { value: number }>(points: readonly T[]): T[] {
  const first = points.findIndex((point) => point.value !== 0);
  return first === -1 ? [] : points.slice(first);
}

/** How far apart two instants are in time of day (UTC), 0..12 h. */
function timeOfDayDistanceMs(aMs: number, bMs: number): number {
  const distance = Math.abs((((aMs - bMs) % DAY_MS) + DAY_MS) % DAY_MS);
  return Math.min(distance, DAY_MS - distance);
}
