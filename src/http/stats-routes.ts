// GET /api/stats, /api/requests (JSON or CSV) and /api/timeseries over the telemetry store.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { invalidRequest } from '../spec/index.js';
import {
  STORE_DIMENSIONS,
  TIMESERIES_METRICS,
  type RequestFilters,
  type StoreDimension,
  type TelemetryStore,
  type TimeseriesMetric,
} from '../store/store.js';
import type { RequestRecord, StatusClass } from '../telemetry/request-record.js';
import { csvCell } from './csv.js';
import { parseWindow } from '../monitors/read-monitor-metric.js';

export interface StatsRoutesOptions {
  store: TelemetryStore;
  /** Called before each read so records still buffered in memory are counted. */
  beforeRead: () => Promise<void>;
  breakers: () => BreakerSnapshot[];
  now?: () => number;
}

export type Query = Record<string, string | undefined>;

/** "15m", "1h", "7d" -> milliseconds: a monitor window's syntax (parseWindow), as a 400 naming `param`. */
export function parseDuration(text: string, param: string): number {
  try {
    return parseWindow(text.trim());
  } catch {
    throw invalidRequest(`'${param}' must be a duration such as 15m, 1h or 7d; got "${text}".`, param);
  }
}

/** An ISO date or epoch milliseconds. */
function parseTime(text: string, param: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value))
    throw invalidRequest(`'${param}' must be an ISO time or epoch ms; got "${text}".`, param);
  return value;
}

/** from/to, or window (default 1h) ending now. */
export function timeRange(query: Query, now: number, defaultWindow = '1h'): { fromMs: number; toMs: number } {
  const toMs = query.to === undefined ? now : parseTime(query.to, 'to');
  const fromMs =
    query.from === undefined
      ? toMs - parseDuration(query.window ?? defaultWindow, 'window')
      : parseTime(query.from, 'from');
  if (fromMs >= toMs) throw invalidRequest("'from' must be before 'to'.", 'from');
  return { fromMs, toMs };
}

function dimension(text: string, param: string): StoreDimension {
  if (!(STORE_DIMENSIONS as readonly string[]).includes(text)) {
    throw invalidRequest(`'${param}' must be one of ${STORE_DIMENSIONS.join(', ')}; got "${text}".`, param);
  }
  return text as StoreDimension;
}

function statusClassOf(text: string | undefined): StatusClass | undefined {
  if (text === undefined) return undefined;
  if (text !== '2xx' && text !== '4xx' && text !== '5xx') {
    throw invalidRequest(`'status_class' must be 2xx, 4xx or 5xx; got "${text}".`, 'status_class');
  }
  return text;
}

/** `latency_below_ms`: a number of milliseconds >= 0 (SLO good counts, see StatsQuery.latencyBelowMs). */
function latencyThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!(Number.isFinite(value) && value >= 0)) {
    throw invalidRequest(
      `'latency_below_ms' must be a number of milliseconds >= 0; got "${text}".`,
      'latency_below_ms',
    );
  }
  return value;
}

const recordOnlyFilters = [
  'status',
  'outcome',
  'error_code',
  'experiment_id',
  'variant_id',
  'feature_version',
  'prompt_version',
  'key_id',
  'team',
];

/** Stats and timeseries come from rollups, which only know the rollup dimensions. */
function rollupFilters(query: Query): RequestFilters {
  const unsupported = recordOnlyFilters.filter((name) => query[name] !== undefined);
  if (unsupported.length > 0) {
    throw invalidRequest(
      `'${unsupported[0]}' filters raw records only (GET /api/requests); stats and timeseries filter by environment, application, provider, model and status_class.`,
      unsupported[0],
    );
  }
  return filters(query);
}

function filters(query: Query): RequestFilters {
  const status = query.status === undefined ? undefined : Number(query.status);
  if (status !== undefined && !Number.isInteger(status))
    throw invalidRequest("'status' must be an HTTP status.", 'status');
  const outcome = query.outcome;
  if (outcome !== undefined && outcome !== 'ok' && outcome !== 'error') {
    throw invalidRequest("'outcome' must be ok or error.", 'outcome');
  }
  return {
    environment: query.environment,
    application: query.application,
    provider: query.provider,
    model: query.model,
    statusClass: statusClassOf(query.status_class),
    status,
    outcome,
    errorCode: query.error_code,
    experimentId: query.experiment_id,
    variantId: query.variant_id,
    featureVersion: query.feature_version,
    promptVersion: query.prompt_version,
    keyId: query.key_id,
    team: query.team,
  };
}

const csvColumns: (keyof RequestRecord)[] = [
  'timeMs',
  'requestId',
  'environment',
  'application',
  'route',
  'requestedModel',
  'provider',
  'servedModel',
  'stream',
  'status',
  'outcome',
  'errorCode',
  'totalMs',
  'upstreamMs',
  'overheadMs',
  'ttftMs',
  'inputTokens',
  'outputTokens',
  'totalTokens',
  'cachedInputTokens',
  'reasoningTokens',
  'costUsd',
  'attempts',
  'failoverPath',
  'breakerState',
  'featureVersion',
  'promptVersion',
  'experimentId',
  'variantId',
  'keyId',
  'team',
  'promptChars',
  'responseChars',
];

function sendCsv(
  reply: FastifyReply,
  records: RequestRecord[],
  nextCursor: string | undefined,
): FastifyReply {
  const lines = [csvColumns.join(',')];
  for (const record of records) lines.push(csvColumns.map((column) => csvCell(record[column])).join(','));
  if (nextCursor !== undefined) reply.header('x-next-cursor', nextCursor);
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', 'attachment; filename="keel-requests.csv"')
    .send(`${lines.join('\n')}\n`);
}

/** The /api read routes over a store; mount behind the admin guard. */
export function createStatsRoutes(options: StatsRoutesOptions): FastifyPluginAsync {
  const now = options.now ?? Date.now;
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/stats', async (request) => {
      const query = request.query as Query;
      const range = timeRange(query, now());
      const groupBy =
        query.group_by === undefined || query.group_by === ''
          ? undefined
          : query.group_by.split(',').map((item) => dimension(item, 'group_by'));
      const latencyBelowMs = latencyThreshold(query.latency_below_ms);
      await options.beforeRead();
      const result = await options.store.stats({
        ...range,
        filters: rollupFilters(query),
        groupBy,
        latencyBelowMs,
      });
      return { ...result, breakers: options.breakers() };
    });

    api.get('/api/requests', async (request, reply) => {
      const query = request.query as Query;
      const range = timeRange(query, now(), '24h');
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
        throw invalidRequest("'limit' must be 1 to 1000.", 'limit');
      }
      await options.beforeRead();
      const page = await options.store.requests({
        ...range,
        filters: filters(query),
        limit,
        cursor: query.cursor,
      });
      if (query.format === 'csv') return sendCsv(reply, page.items, page.nextCursor);
      return page;
    });

    api.get('/api/requests.csv', async (request, reply) => {
      const query = request.query as Query;
      const range = timeRange(query, now(), '24h');
      const limit = query.limit === undefined ? 1000 : Number(query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw invalidRequest("'limit' must be 1 to 1000.", 'limit');
      await options.beforeRead();
      const page = await options.store.requests({
        ...range,
        filters: filters(query),
        limit,
        cursor: query.cursor,
      });
      return sendCsv(reply, page.items, page.nextCursor);
    });

    api.get('/api/timeseries', async (request) => {
      const query = request.query as Query;
      const metric = query.metric ?? 'requests';
      if (!(TIMESERIES_METRICS as readonly string[]).includes(metric)) {
        throw invalidRequest(
          `'metric' must be one of ${TIMESERIES_METRICS.join(', ')}; got "${metric}".`,
          'metric',
        );
      }
      const range = timeRange(query, now());
      const stepMs = parseDuration(query.step ?? '1m', 'step');
      if (stepMs % 60_000 !== 0)
        throw invalidRequest("'step' must be whole minutes (1m, 5m, 1h...).", 'step');
      if ((range.toMs - range.fromMs) / stepMs > 10_000) {
        throw invalidRequest(
          "Too many points: widen 'step' or narrow the range (at most 10,000 points).",
          'step',
        );
      }
      await options.beforeRead();
      return options.store.timeseries({
        metric: metric as TimeseriesMetric,
        by: query.by === undefined ? undefined : dimension(query.by, 'by'),
        ...range,
        stepMs,
        filters: rollupFilters(query),
      });
    });
  };
}
