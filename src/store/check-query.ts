// Checks store queries at the boundary; a bad query is a 400 KEEL_INVALID_REQUEST naming the field.
import { invalidRequest } from '../spec/errors.js';
import {
  DEFAULT_REQUESTS_LIMIT,
  MAX_REQUESTS_LIMIT,
  MAX_TIMESERIES_POINTS,
  STORE_DIMENSIONS,
  TIMESERIES_METRICS,
  type RequestFilters,
  type RequestsQuery,
  type RollupFilters,
  type StatsQuery,
  type StoreDimension,
  type TimeseriesQuery,
} from './store.js';
import { MINUTE_MS } from './rollup.js';

const STATUS_CLASSES = new Set(['2xx', '4xx', '5xx']);

export function checkTimeRange(query: { fromMs: number; toMs: number }): void {
  if (!Number.isFinite(query.fromMs)) throw invalidRequest(`fromMs must be a number of epoch ms`, 'fromMs');
  if (!Number.isFinite(query.toMs)) throw invalidRequest(`toMs must be a number of epoch ms`, 'toMs');
  if (query.toMs < query.fromMs) {
    throw invalidRequest(`toMs (${query.toMs}) is before fromMs (${query.fromMs})`, 'toMs');
  }
}

function checkDimension(value: string, param: string): asserts value is StoreDimension {
  if (!(STORE_DIMENSIONS as readonly string[]).includes(value)) {
    throw invalidRequest(`${param} "${value}" is not one of ${STORE_DIMENSIONS.join(', ')}`, param);
  }
}

function checkRollupFilters(filters: RollupFilters | undefined): void {
  const statusClass = filters?.statusClass;
  if (statusClass !== undefined && !STATUS_CLASSES.has(statusClass)) {
    throw invalidRequest(`statusClass "${String(statusClass)}" is not one of 2xx, 4xx, 5xx`, 'statusClass');
  }
}

export function checkStatsQuery(query: StatsQuery): void {
  checkTimeRange(query);
  checkRollupFilters(query.filters);
  for (const dimension of query.groupBy ?? []) checkDimension(dimension, 'groupBy');
  const { latencyBelowMs } = query;
  if (latencyBelowMs !== undefined && !(Number.isFinite(latencyBelowMs) && latencyBelowMs >= 0)) {
    throw invalidRequest(
      `latencyBelowMs ${String(latencyBelowMs)} is not a number of milliseconds >= 0`,
      'latencyBelowMs',
    );
  }
}

/** Returns the page size to use. */
export function checkRequestsQuery(query: RequestsQuery): number {
  checkTimeRange(query);
  checkRollupFilters(query.filters);
  const filters: RequestFilters | undefined = query.filters;
  if (filters?.outcome !== undefined && filters.outcome !== 'ok' && filters.outcome !== 'error') {
    throw invalidRequest(`outcome "${String(filters.outcome)}" is not ok or error`, 'outcome');
  }
  if (filters?.status !== undefined && !Number.isInteger(filters.status)) {
    throw invalidRequest(`status must be an integer HTTP status`, 'status');
  }
  const limit = query.limit ?? DEFAULT_REQUESTS_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REQUESTS_LIMIT) {
    throw invalidRequest(`limit ${limit} is not an integer from 1 to ${MAX_REQUESTS_LIMIT}`, 'limit');
  }
  return limit;
}

export function checkTimeseriesQuery(query: TimeseriesQuery): void {
  checkTimeRange(query);
  checkRollupFilters(query.filters);
  if (!TIMESERIES_METRICS.includes(query.metric)) {
    throw invalidRequest(
      `metric "${String(query.metric)}" is not one of ${TIMESERIES_METRICS.join(', ')}`,
      'metric',
    );
  }
  if (query.by !== undefined) checkDimension(query.by, 'by');
  if (!Number.isInteger(query.stepMs) || query.stepMs <= 0 || query.stepMs % MINUTE_MS !== 0) {
    throw invalidRequest(`stepMs ${query.stepMs} is not a positive multiple of 60000 (1 min)`, 'stepMs');
  }
  const buckets = Math.ceil(query.toMs / query.stepMs) - Math.floor(query.fromMs / query.stepMs);
  if (buckets > MAX_TIMESERIES_POINTS) {
    throw invalidRequest(
      `the range holds ${buckets} steps of ${query.stepMs} ms, more than ${MAX_TIMESERIES_POINTS}; use a larger stepMs`,
      'stepMs',
    );
  }
}
