// The SQLite schema of the telemetry store, and the mapping between request records and rows.
import type { RequestRecord } from '../../telemetry/request-record.js';
import { recordStatusClass } from '../../telemetry/request-record.js';

/** Bumped when the schema changes; a file from a newer Keel is refused rather than misread. */
export const SCHEMA_VERSION = 3;

/**
 * `requests`: one row per request record (idempotent on (time_ms, request_id)). `rollups_minute`: one row
 * per (minute, environment, application, provider, requested model, status class) with counts,
 * sums and latency sketches (see latency-sketch.ts for their encoding and error bound);
 * `rollups_5m`, `rollups_hour` and `rollups_day` the same per five minutes, hour and UTC day, built
 * from the tier below, so long ranges read few rows. Version 2 added those tiers, rollup_dirty and
 * store_meta, and replaced the (provider, model, time) index with one per filter. Version 3 added
 * the answer's quality (quality_score, quality_flags) to requests, and quality_sum, quality_count
 * and failovers to every rollup tier (see LATE_COLUMNS for how older files get them).
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS requests (
  request_id          TEXT NOT NULL,
  time_ms             INTEGER NOT NULL,
  trace_id            TEXT,
  environment         TEXT NOT NULL,
  application         TEXT NOT NULL,
  route               TEXT,
  requested_model     TEXT NOT NULL,
  provider            TEXT,
  provider_type       TEXT,
  served_model        TEXT,
  stream              INTEGER NOT NULL,
  status              INTEGER NOT NULL,
  status_class        TEXT NOT NULL,
  outcome             TEXT NOT NULL,
  error_code          TEXT,
  error_type          TEXT,
  total_ms            REAL NOT NULL,
  upstream_ms         REAL NOT NULL,
  overhead_ms         REAL NOT NULL,
  ttft_ms             REAL,
  input_tokens        INTEGER NOT NULL,
  output_tokens       INTEGER NOT NULL,
  total_tokens        INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  reasoning_tokens    INTEGER NOT NULL,
  cost_usd            REAL,
  cache_hit           INTEGER NOT NULL,
  attempts            INTEGER NOT NULL,
  failover_path       TEXT NOT NULL,
  breaker_state       TEXT,
  feature_version     TEXT,
  prompt_version      TEXT,
  experiment_id       TEXT,
  variant_id          TEXT,
  prompt_chars        INTEGER NOT NULL,
  response_chars      INTEGER NOT NULL,
  prompt_preview      TEXT,
  response_preview    TEXT,
  key_id              TEXT,
  team                TEXT,
  quality_score       REAL,
  quality_flags       TEXT
);
-- Idempotence key: a record stored again (a retried or replayed batch) has the same time and id.
-- Unique on (time, id) rather than on the random id alone, so inserts append near the end of the
-- index instead of dirtying a random page per row (about 3x the ingest rate).
CREATE UNIQUE INDEX IF NOT EXISTS requests_time ON requests (time_ms, request_id);
-- Newest-first pages filtered by provider or by model walk these in order and stop after a page;
-- one (provider, model, time) index made SQLite read and sort every matching row of the range.
DROP INDEX IF EXISTS requests_provider_model;
CREATE INDEX IF NOT EXISTS requests_provider_time ON requests (provider, time_ms, request_id);
CREATE INDEX IF NOT EXISTS requests_model_time ON requests (requested_model, time_ms, request_id);
-- Status lookups are for errors: indexing only them (about a tenth of rows) costs far less at ingest
-- (measured 10-20 %); a 2xx status filter walks requests_time, where such rows are dense anyway.
-- Queries add the literal "status >= 400" so that SQLite can use this partial index.
-- Experiment reports read an experiment's raw rows; only requests in an experiment are indexed.
CREATE INDEX IF NOT EXISTS requests_experiment ON requests (experiment_id, time_ms) WHERE experiment_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS requests_error_status ON requests (status, time_ms, request_id) WHERE status >= 400;

${rollupTableSql('rollups_minute', 'minute_ms')}
${rollupTableSql('rollups_5m', 'start_ms')}
${rollupTableSql('rollups_hour', 'start_ms')}
${rollupTableSql('rollups_day', 'start_ms')}
-- Rows of the coarser tiers whose minutes changed since they were built: rebuilt before a read uses them.
CREATE TABLE IF NOT EXISTS rollup_dirty (
  tier     TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  PRIMARY KEY (tier, start_ms)
) WITHOUT ROWID;
-- Small facts about the file, such as how far each tier has been pruned.
CREATE TABLE IF NOT EXISTS store_meta (
  key   TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
`;

/** A rollup table: one row per (start, dimensions, status class) with counts, sums and sketches. */
function rollupTableSql(table: string, timeColumn: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
  ${timeColumn} INTEGER NOT NULL,
  environment         TEXT NOT NULL,
  application         TEXT NOT NULL,
  provider            TEXT NOT NULL,
  model               TEXT NOT NULL,
  status_class        TEXT NOT NULL,
  requests            INTEGER NOT NULL,
  ok                  INTEGER NOT NULL,
  errors              INTEGER NOT NULL,
  input_tokens        INTEGER NOT NULL,
  output_tokens       INTEGER NOT NULL,
  total_tokens        INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  reasoning_tokens    INTEGER NOT NULL,
  cost_usd            REAL NOT NULL,
  cache_hits          INTEGER NOT NULL,
  total_ms_sum        REAL NOT NULL,
  total_ms_min        REAL NOT NULL,
  total_ms_max        REAL NOT NULL,
  quality_sum         REAL NOT NULL DEFAULT 0,
  quality_count       INTEGER NOT NULL DEFAULT 0,
  failovers           INTEGER NOT NULL DEFAULT 0,
  total_ms_sketch     BLOB,
  upstream_ms_sketch  BLOB,
  overhead_ms_sketch  BLOB,
  ttft_ms_sketch      BLOB,
  PRIMARY KEY (${timeColumn}, environment, application, provider, model, status_class)
) WITHOUT ROWID;
`;
}

/** The rollup tables, finest first. */
export const ROLLUP_TABLE_NAMES = ['rollups_minute', 'rollups_5m', 'rollups_hour', 'rollups_day'] as const;

/**
 * Columns added after version 2 was first written: the gateway key (late in version 2) and, in
 * version 3, quality and failovers. A file made before has them added on open (ALTER TABLE ... ADD
 * COLUMN, checked against PRAGMA table_info), then LATE_REQUEST_INDEX_SQL is run; both are
 * idempotent. Rollup rows from before version 3 read 0 for the new counts: they count no scored
 * request and no failover.
 */
export const LATE_COLUMNS: readonly { table: string; name: string; type: string }[] = [
  { table: 'requests', name: 'key_id', type: 'TEXT' },
  { table: 'requests', name: 'team', type: 'TEXT' },
  { table: 'requests', name: 'quality_score', type: 'REAL' },
  { table: 'requests', name: 'quality_flags', type: 'TEXT' },
  ...ROLLUP_TABLE_NAMES.flatMap((table) => [
    { table, name: 'quality_sum', type: 'REAL NOT NULL DEFAULT 0' },
    { table, name: 'quality_count', type: 'INTEGER NOT NULL DEFAULT 0' },
    { table, name: 'failovers', type: 'INTEGER NOT NULL DEFAULT 0' },
  ]),
];

/** A key's requests (GET /api/requests?key_id=...); partial, so requests without a key cost nothing. */
export const LATE_REQUEST_INDEX_SQL =
  'CREATE INDEX IF NOT EXISTS requests_key_time ON requests (key_id, time_ms, request_id) WHERE key_id IS NOT NULL;';

/** Insert column order; `recordToParams` returns values in this order. */
export const REQUEST_COLUMNS = [
  'request_id',
  'time_ms',
  'trace_id',
  'environment',
  'application',
  'route',
  'requested_model',
  'provider',
  'provider_type',
  'served_model',
  'stream',
  'status',
  'status_class',
  'outcome',
  'error_code',
  'error_type',
  'total_ms',
  'upstream_ms',
  'overhead_ms',
  'ttft_ms',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'cost_usd',
  'cache_hit',
  'attempts',
  'failover_path',
  'breaker_state',
  'feature_version',
  'prompt_version',
  'experiment_id',
  'variant_id',
  'prompt_chars',
  'response_chars',
  'prompt_preview',
  'response_preview',
  'key_id',
  'team',
  'quality_score',
  'quality_flags',
] as const;

export type SqlValue = string | number | null;

/** A `requests` row as better-sqlite3 returns it. */
export type RequestRow = Record<(typeof REQUEST_COLUMNS)[number], SqlValue>;

export function recordToParams(record: RequestRecord): SqlValue[] {
  return [
    record.requestId,
    record.timeMs,
    record.traceId ?? null,
    record.environment,
    record.application,
    record.route ?? null,
    record.requestedModel,
    record.provider ?? null,
    record.providerType ?? null,
    record.servedModel ?? null,
    record.stream ? 1 : 0,
    record.status,
    recordStatusClass(record),
    record.outcome,
    record.errorCode ?? null,
    record.errorType ?? null,
    record.totalMs,
    record.upstreamMs,
    record.overheadMs,
    record.ttftMs ?? null,
    record.inputTokens,
    record.outputTokens,
    record.totalTokens,
    record.cachedInputTokens,
    record.reasoningTokens,
    record.costUsd ?? null,
    record.cacheHit ? 1 : 0,
    record.attempts,
    JSON.stringify(record.failoverPath),
    record.breakerState ?? null,
    record.featureVersion ?? null,
    record.promptVersion ?? null,
    record.experimentId ?? null,
    record.variantId ?? null,
    record.promptChars,
    record.responseChars,
    record.promptPreview ?? null,
    record.responsePreview ?? null,
    record.keyId ?? null,
    record.team ?? null,
    record.quality?.score ?? null,
    // NULL for no flags (most answers): nothing stored beyond the score.
    record.quality === undefined || record.quality.flags.length === 0 ? null : record.quality.flags.join(','),
  ];
}

export function rowToRecord(row: RequestRow): RequestRecord {
  return {
    timeMs: Number(row.time_ms),
    requestId: String(row.request_id),
    traceId: optionalText(row.trace_id),
    environment: String(row.environment),
    application: String(row.application),
    route: optionalText(row.route),
    requestedModel: String(row.requested_model),
    provider: optionalText(row.provider),
    providerType: optionalText(row.provider_type),
    servedModel: optionalText(row.served_model),
    stream: row.stream === 1,
    status: Number(row.status),
    outcome: row.outcome === 'ok' ? 'ok' : 'error',
    errorCode: optionalText(row.error_code),
    errorType: optionalText(row.error_type),
    totalMs: Number(row.total_ms),
    upstreamMs: Number(row.upstream_ms),
    overheadMs: Number(row.overhead_ms),
    ttftMs: optionalNumber(row.ttft_ms),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    totalTokens: Number(row.total_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    reasoningTokens: Number(row.reasoning_tokens),
    costUsd: optionalNumber(row.cost_usd),
    cacheHit: row.cache_hit === 1,
    attempts: Number(row.attempts),
    failoverPath: parseFailoverPath(row.failover_path),
    breakerState: optionalText(row.breaker_state),
    featureVersion: optionalText(row.feature_version),
    promptVersion: optionalText(row.prompt_version),
    experimentId: optionalText(row.experiment_id),
    variantId: optionalText(row.variant_id),
    promptChars: Number(row.prompt_chars),
    responseChars: Number(row.response_chars),
    promptPreview: optionalText(row.prompt_preview),
    responsePreview: optionalText(row.response_preview),
    keyId: optionalText(row.key_id),
    team: optionalText(row.team),
    quality: parseQuality(row.quality_score, row.quality_flags),
  };
}

/** Flags are stored comma-separated (NULL for none); a row without a score has no quality. */
function parseQuality(score: SqlValue, flags: SqlValue): RequestRecord['quality'] {
  if (score === null) return undefined;
  const text = typeof flags === 'string' ? flags : '';
  return { score: Number(score), flags: text === '' ? [] : text.split(',') };
}

function optionalText(value: SqlValue): string | undefined {
  return value === null ? undefined : String(value);
}

function optionalNumber(value: SqlValue): number | undefined {
  return value === null ? undefined : Number(value);
}

/** A stored failover_path (JSON array of strings); [] when unreadable. */
export function parseFailoverPath(value: SqlValue): string[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
