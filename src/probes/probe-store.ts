// Probe measurements and the models seen per environment, in the ops database (SQLite, main thread).
import type { OpsDatabase } from '../ops/ops-database.js';

/** One probe call's outcome, as stored and served by /api/latency. */
export interface ProbeMeasurement {
  id: number;
  /** When the call started, epoch ms. */
  atMs: number;
  environment: string;
  /** The model probed (as asked for: an alias or a provider's model id). */
  model: string;
  /** Answered 2xx, completely, and matched `probes.expect`. */
  success: boolean;
  /** HTTP status; null when no response came (timeout, connection refused). */
  status: number | null;
  /** Start to last byte of the answer (ms); null when no response came. */
  latencyMs: number | null;
  /** Start to the first content token (ms); null when none came. */
  ttftMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  /** From Keel's price book for the provider and model that answered; null when unknown. */
  costUsd: number | null;
  /** x-keel-provider of the answer, when the endpoint is a Keel. */
  provider: string | null;
  /** The model that answered (the response's `model`). */
  servedModel: string | null;
  /** A stable KEEL_PROBE_* code, or the endpoint's error code; null on success. */
  errorCode: string | null;
  error: string | null;
}

/** What {@link SqliteProbeStore.list} filters and pages by. */
export interface ProbeListQuery {
  environment?: string | undefined;
  model?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  skip: number;
  limit: number;
}

/** The dimensions probe measurements group by. */
export type ProbeDimension = 'environment' | 'model';

/** One group's measurements in a window, for probe monitors. */
export interface ProbeWindowGroup {
  key: Partial<Record<ProbeDimension, string>>;
  count: number;
  failures: number;
  /** Latencies of the successful calls (ms). */
  latencies: number[];
  /** TTFTs of the successful calls that streamed a token (ms). */
  ttfts: number[];
}

/** A model as the probe loop knows it in one environment. */
export interface ProbeModelRow {
  environment: string;
  model: string;
  /** Where the model came from at its last sighting: config, usage, or both. */
  sources: string[];
  firstSeenMs: number;
  lastSeenMs: number;
}

interface MeasurementRow {
  id: number;
  at_ms: number;
  environment: string;
  model: string;
  success: number;
  status: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  cost_usd: number | null;
  provider: string | null;
  served_model: string | null;
  error_code: string | null;
  error: string | null;
}

/**
 * Latencies (or TTFTs) one window read returns at most, the newest: a probe loop writes a few
 * hundred an hour, and the read is synchronous (a 7-day dashboard range must not hold the main thread).
 */
const MAX_WINDOW_ROWS = 20_000;
/** Rows one prune deletes at most, so a long-stopped Keel catches up without one long write. */
const PRUNE_BATCH = 5_000;

function toMeasurement(row: MeasurementRow): ProbeMeasurement {
  return {
    id: row.id,
    atMs: row.at_ms,
    environment: row.environment,
    model: row.model,
    success: row.success === 1,
    status: row.status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    totalTokens: row.total_tokens,
    costUsd: row.cost_usd,
    provider: row.provider,
    servedModel: row.served_model,
    errorCode: row.error_code,
    error: row.error,
  };
}

/**
 * Stores probe measurements in the ops database. Writes are a few rows a minute, so they run
 * synchronously on the main thread like the rest of the ops database, never from the request path.
 */
export class SqliteProbeStore {
  readonly #db: OpsDatabase;
  readonly #insert;
  readonly #upsertModel;

  constructor(db: OpsDatabase) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS probe_measurements (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        environment TEXT NOT NULL,
        model TEXT NOT NULL,
        success INTEGER NOT NULL,
        status INTEGER,
        latency_ms REAL,
        ttft_ms REAL,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        total_tokens INTEGER,
        cost_usd REAL,
        provider TEXT,
        served_model TEXT,
        error_code TEXT,
        error TEXT
      );
      CREATE INDEX IF NOT EXISTS probe_measurements_at ON probe_measurements (at_ms);
      CREATE INDEX IF NOT EXISTS probe_measurements_environment_at ON probe_measurements (environment, at_ms);
      CREATE INDEX IF NOT EXISTS probe_measurements_latest ON probe_measurements (environment, model, id);
      CREATE TABLE IF NOT EXISTS probe_models (
        environment TEXT NOT NULL,
        model TEXT NOT NULL,
        sources TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (environment, model)
      );
    `);
    this.#insert = db.prepare(`
      INSERT INTO probe_measurements (at_ms, environment, model, success, status, latency_ms, ttft_ms,
        prompt_tokens, completion_tokens, total_tokens, cost_usd, provider, served_model, error_code, error)
      VALUES (@atMs, @environment, @model, @success, @status, @latencyMs, @ttftMs, @promptTokens,
        @completionTokens, @totalTokens, @costUsd, @provider, @servedModel, @errorCode, @error)`);
    this.#upsertModel = db.prepare(`
      INSERT INTO probe_models (environment, model, sources, first_seen_ms, last_seen_ms)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (environment, model) DO UPDATE SET sources = excluded.sources, last_seen_ms = excluded.last_seen_ms`);
  }

  /** Stores measurements in one transaction; returns them with their ids. */
  add(measurements: readonly Omit<ProbeMeasurement, 'id'>[]): ProbeMeasurement[] {
    return this.#db.transaction(() =>
      measurements.map((measurement) => {
        const result = this.#insert.run({ ...measurement, success: measurement.success ? 1 : 0 });
        return { ...measurement, id: Number(result.lastInsertRowid) };
      }),
    )();
  }

  /** Newest first, filtered and paged, with the number that match in all. */
  list(query: ProbeListQuery): { total: number; items: ProbeMeasurement[] } {
    const { where, params } = whereClause(query);
    const total = (
      this.#db.prepare(`SELECT count(*) AS n FROM probe_measurements ${where}`).get(params) as { n: number }
    ).n;
    const rows = this.#db
      .prepare(
        `SELECT * FROM probe_measurements ${where} ORDER BY at_ms DESC, id DESC LIMIT @limit OFFSET @skip`,
      )
      .all({ ...params, limit: query.limit, skip: query.skip }) as MeasurementRow[];
    return { total, items: rows.map(toMeasurement) };
  }

  /**
   * The measurements of [fromMs, toMs) per group of `groupBy`, for probe monitors: counts and
   * failures from one grouped query, and the successes' latencies and TTFTs (the newest
   * MAX_WINDOW_ROWS of them) only when `values` asks for them.
   */
  window(options: {
    fromMs: number;
    toMs: number;
    groupBy: readonly ProbeDimension[];
    filters?: Partial<Record<ProbeDimension, string>> | undefined;
    /** Which values of the successes to read; default both. */
    values?: 'both' | 'latency' | 'ttft' | 'none' | undefined;
  }): ProbeWindowGroup[] {
    const { where, params } = whereClause({ ...options.filters, fromMs: options.fromMs, toMs: options.toMs });
    // Dimensions come from a fixed set, never from a request: safe to write into the SQL.
    const dimensions = options.groupBy.filter(
      (dimension) => dimension === 'environment' || dimension === 'model',
    );
    const select = dimensions.map((dimension) => `${dimension}, `).join('');
    // Groups in the order they first appear in the window.
    const groupBy =
      dimensions.length === 0 ? '' : `GROUP BY ${dimensions.join(', ')} ORDER BY min(at_ms), min(id)`;
    const counted = this.#db
      .prepare(
        `SELECT ${select}count(*) AS n, sum(success = 0) AS failures FROM probe_measurements ${where} ${groupBy}`,
      )
      .all(params) as (Partial<Record<ProbeDimension, string>> & { n: number; failures: number })[];
    const groups = new Map<string, ProbeWindowGroup>();
    const idOf = (row: Partial<Record<ProbeDimension, string>>) =>
      dimensions.map((dimension) => row[dimension]).join('\u0000');
    for (const row of counted) {
      if (row.n === 0) continue;
      const key: Partial<Record<ProbeDimension, string>> = {};
      for (const dimension of dimensions) key[dimension] = row[dimension];
      groups.set(idOf(row), { key, count: row.n, failures: row.failures, latencies: [], ttfts: [] });
    }
    const values = options.values ?? 'both';
    const read = (column: 'latency_ms' | 'ttft_ms', into: 'latencies' | 'ttfts') => {
      const rows = this.#db
        .prepare(
          `SELECT ${select}v FROM
             (SELECT ${select}${column} AS v, at_ms, id FROM probe_measurements
              ${where === '' ? 'WHERE' : `${where} AND`} success = 1 AND ${column} IS NOT NULL
              ORDER BY at_ms DESC, id DESC LIMIT ${MAX_WINDOW_ROWS})
           ORDER BY at_ms, id`,
        )
        .all(params) as (Partial<Record<ProbeDimension, string>> & { v: number })[];
      for (const row of rows) groups.get(idOf(row))?.[into].push(row.v);
    };
    if (values === 'both' || values === 'latency') read('latency_ms', 'latencies');
    if (values === 'both' || values === 'ttft') read('ttft_ms', 'ttfts');
    return [...groups.values()];
  }

  /** Records the models an environment is probed for at `nowMs`. */
  noteModels(environment: string, models: ReadonlyMap<string, readonly string[]>, nowMs: number): void {
    this.#db.transaction(() => {
      for (const [model, sources] of models) {
        this.#upsertModel.run(environment, model, sources.join(','), nowMs, nowMs);
      }
    })();
  }

  /** Every model seen, per environment and name. */
  models(): ProbeModelRow[] {
    const rows = this.#db.prepare('SELECT * FROM probe_models ORDER BY environment, model').all() as {
      environment: string;
      model: string;
      sources: string;
      first_seen_ms: number;
      last_seen_ms: number;
    }[];
    return rows.map((row) => ({
      environment: row.environment,
      model: row.model,
      sources: row.sources === '' ? [] : row.sources.split(','),
      firstSeenMs: row.first_seen_ms,
      lastSeenMs: row.last_seen_ms,
    }));
  }

  /** The newest measurement of each environment and model. */
  latest(): ProbeMeasurement[] {
    const rows = this.#db
      .prepare(
        `SELECT m.* FROM probe_measurements m
         JOIN (SELECT environment, model, max(id) AS id FROM probe_measurements GROUP BY environment, model) last
         ON m.id = last.id`,
      )
      .all() as MeasurementRow[];
    return rows.map(toMeasurement);
  }

  /** Deletes up to one batch of measurements older than `beforeMs`, and models unseen since; returns how many measurements went. */
  prune(beforeMs: number): number {
    const deleted = this.#db
      .prepare(
        `DELETE FROM probe_measurements WHERE id IN
         (SELECT id FROM probe_measurements WHERE at_ms < ? ORDER BY at_ms LIMIT ${PRUNE_BATCH})`,
      )
      .run(beforeMs).changes;
    this.#db.prepare('DELETE FROM probe_models WHERE last_seen_ms < ?').run(beforeMs);
    return deleted;
  }
}

function whereClause(query: {
  environment?: string | undefined;
  model?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}): { where: string; params: Record<string, string | number> } {
  const conditions: string[] = [];
  const params: Record<string, string | number> = {};
  if (query.environment !== undefined) {
    conditions.push('environment = @environment');
    params.environment = query.environment;
  }
  if (query.model !== undefined) {
    conditions.push('model = @model');
    params.model = query.model;
  }
  if (query.fromMs !== undefined) {
    conditions.push('at_ms >= @fromMs');
    params.fromMs = query.fromMs;
  }
  if (query.toMs !== undefined) {
    conditions.push('at_ms < @toMs');
    params.toMs = query.toMs;
  }
  return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
}
