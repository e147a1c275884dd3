// GET /api/latency (JSON or CSV) and /api/latency/summary, GET /api/models, GET /api/probes and POST /api/probes/run.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ProbeRunner } from '../probes/probe-runner.js';
import type { ProbeMeasurement, SqliteProbeStore } from '../probes/probe-store.js';
import { ErrorCodes, invalidRequest, KeelError } from '../spec/index.js';
import { probeMetricValue } from '../monitors/observe-probes.js';
import { csvCell } from './csv.js';
import { timeRange, type Query } from './stats-routes.js';

export interface ProbeRoutesOptions {
  store: SqliteProbeStore;
  /** Undefined when `probes.enabled` is false: measurements may remain, nothing new is probed. */
  runner: ProbeRunner | undefined;
  now: () => number;
}

/** Most measurements one page (or one CSV) holds. */
const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;

/** The CSV columns of GET /api/latency?format=csv, in order (seed 003's latency_data.csv, with more). */
export const PROBE_CSV_COLUMNS = [
  'timestamp',
  'environment',
  'model',
  'success',
  'status',
  'latencyMs',
  'ttftMs',
  'promptTokens',
  'completionTokens',
  'totalTokens',
  'costUsd',
  'provider',
  'servedModel',
  'errorCode',
  'error',
] as const;

function wholeNumber(text: string | undefined, param: string, fallback: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value > max) {
    throw invalidRequest(`'${param}' must be a whole number from 0 to ${max}; got "${text}".`, param);
  }
  return value;
}

function name(text: string | undefined, param: string): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length > 200) throw invalidRequest(`'${param}' is longer than 200 characters.`, param);
  return text;
}

function toWire(measurement: ProbeMeasurement) {
  const { atMs, ...rest } = measurement;
  return { timestamp: new Date(atMs).toISOString(), ...rest };
}

/** The CSV of `items`; `x-total-count` says how many match in all (more pages: skip, limit). */
function sendCsv(reply: FastifyReply, items: ProbeMeasurement[], total: number): FastifyReply {
  const lines = [PROBE_CSV_COLUMNS.join(',')];
  for (const item of items) {
    const row = toWire(item) as Record<string, unknown>;
    lines.push(PROBE_CSV_COLUMNS.map((column) => csvCell(row[column])).join(','));
  }
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', 'attachment; filename="keel-latency.csv"')
    .header('x-total-count', String(total))
    .send(`${lines.join('\n')}\n`);
}

/** The probe routes of the control API; mount behind the admin guard. */
export function createProbeRoutes(options: ProbeRoutesOptions): FastifyPluginAsync {
  const { store, runner } = options;
  /** from/to/window; ending now, a probe stored this very millisecond is in (the end is exclusive). */
  const rangeOf = (query: Query) => {
    const range = timeRange(query, options.now());
    return query.to === undefined ? { ...range, toMs: range.toMs + 1 } : range;
  };
  const list = (query: Query, csv: boolean) => {
    const range =
      query.from === undefined && query.to === undefined && query.window === undefined ? {} : rangeOf(query);
    const skip = wholeNumber(query.skip, 'skip', 0, Number.MAX_SAFE_INTEGER);
    // A CSV is an export: all it can hold unless a page is asked for.
    const limit = wholeNumber(query.limit, 'limit', csv ? MAX_LIMIT : DEFAULT_LIMIT, MAX_LIMIT);
    if (limit < 1) throw invalidRequest(`'limit' must be 1 to ${MAX_LIMIT}.`, 'limit');
    const page = store.list({
      ...range,
      environment: name(query.environment, 'environment'),
      model: name(query.model, 'model'),
      skip,
      limit,
    });
    return { ...page, skip, limit };
  };

  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    // Synchronous handlers: the ops database is read on the main thread (small, indexed reads).
    api.get('/api/latency', (request, reply) => {
      const query = request.query as Query;
      if (query.format !== undefined && query.format !== 'json' && query.format !== 'csv') {
        throw invalidRequest(`'format' must be json or csv; got "${query.format}".`, 'format');
      }
      const page = list(query, query.format === 'csv');
      if (query.format === 'csv') return sendCsv(reply, page.items, page.total);
      return { total: page.total, skip: page.skip, limit: page.limit, items: page.items.map(toWire) };
    });

    api.get('/api/latency.csv', (request, reply) => {
      const page = list(request.query as Query, true);
      return sendCsv(reply, page.items, page.total);
    });

    api.get('/api/latency/summary', (request) => {
      const query = request.query as Query;
      const range = rangeOf(query);
      const filters = {
        environment: name(query.environment, 'environment'),
        model: name(query.model, 'model'),
      };
      const groups = store.window({ ...range, groupBy: ['environment', 'model'], filters });
      const latest = new Map(store.latest().map((item) => [`${item.environment}\n${item.model}`, item]));
      return {
        from: new Date(range.fromMs).toISOString(),
        to: new Date(range.toMs).toISOString(),
        groups: groups.map((group) => {
          const last = latest.get(`${group.key.environment}\n${group.key.model}`);
          return {
            environment: group.key.environment,
            model: group.key.model,
            probes: group.count,
            failures: group.failures,
            failureRate: probeMetricValue('probe.failure_rate', group),
            latency: {
              p50: probeMetricValue('probe.latency.p50', group),
              p95: probeMetricValue('probe.latency.p95', group),
              avg: probeMetricValue('probe.latency.avg', group),
            },
            ttft: { p95: probeMetricValue('probe.ttft.p95', group) },
            last: last === undefined ? null : toWire(last),
          };
        }),
      };
    });

    api.get('/api/models', () => {
      const status = runner?.status();
      const latest = new Map(store.latest().map((item) => [`${item.environment}\n${item.model}`, item]));
      const environments = new Map<string, ReturnType<typeof modelEntry>[]>();
      const active = new Set(
        (status?.environments ?? []).flatMap((environment) =>
          environment.models.map((entry) => `${environment.name}\n${entry.model}`),
        ),
      );
      for (const row of store.models()) {
        const key = `${row.environment}\n${row.model}`;
        const entries = environments.get(row.environment) ?? [];
        entries.push(modelEntry(row, active.has(key), latest.get(key)));
        environments.set(row.environment, entries);
      }
      return {
        environments: [...environments].map(([environment, models]) => ({ name: environment, models })),
      };
    });

    api.get('/api/probes', () =>
      runner === undefined ? { enabled: false } : { enabled: true, ...runner.status() },
    );

    api.post('/api/probes/run', async () => {
      if (runner === undefined) {
        throw new KeelError({
          code: ErrorCodes.probesDisabled,
          status: 409,
          message: 'probes are not enabled; set probes.enabled: true (see docs/operations.md#probes).',
        });
      }
      await runner.runCycle();
      return { enabled: true, ...runner.status() };
    });
  };
}

function modelEntry(
  row: ReturnType<SqliteProbeStore['models']>[number],
  active: boolean,
  last: ProbeMeasurement | undefined,
) {
  return {
    model: row.model,
    sources: row.sources,
    active,
    firstSeen: new Date(row.firstSeenMs).toISOString(),
    lastSeen: new Date(row.lastSeenMs).toISOString(),
    last: last === undefined ? null : toWire(last),
  };
}
