// The rollups_minute table: upserting per-minute deltas and reading rows back for stats and time series.
import type Database from 'better-sqlite3';
import type { StatusClass } from '../../telemetry/request-record.js';
import {
  minuteOf,
  sketchWithSamples,
  SKETCH_NAMES,
  type RollupDelta,
  type RollupReadRow,
  type SketchName,
} from '../rollup.js';
import type { RollupFilters } from '../store.js';
import { addFilters } from './sql-filters.js';
import type { SqlValue } from './sqlite-schema.js';

type BindValue = SqlValue | Buffer;

const SKETCH_COLUMNS: Record<SketchName, string> = {
  totalMs: 'total_ms_sketch',
  upstreamMs: 'upstream_ms_sketch',
  overheadMs: 'overhead_ms_sketch',
  ttftMs: 'ttft_ms_sketch',
};

const ROLLUP_KEY_COLUMNS = 'minute_ms, environment, application, provider, model, status_class';
const ROLLUP_TOTAL_COLUMNS = [
  'requests',
  'ok',
  'errors',
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cached_input_tokens',
  'reasoning_tokens',
  'cost_usd',
  'cache_hits',
  'total_ms_sum',
] as const;

interface RollupRow {
  minute_ms: number;
  environment: string;
  application: string;
  provider: string;
  model: string;
  status_class: StatusClass;
  requests: number;
  ok: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  cache_hits: number;
  total_ms_sum: number;
  total_ms_min: number;
  total_ms_max: number;
  total_ms_sketch?: Buffer | null;
  upstream_ms_sketch?: Buffer | null;
  overhead_ms_sketch?: Buffer | null;
  ttft_ms_sketch?: Buffer | null;
}

type SketchRow = Partial<Record<string, Buffer | null>>;

const ROLLUP_FILTER_COLUMNS: Record<keyof RollupFilters, string> = {
  environment: 'environment',
  application: 'application',
  provider: 'provider',
  model: 'model',
  statusClass: 'status_class',
};

/** Prepared statements over rollups_minute, created once per store. */
export class SqliteRollups {
  readonly #selectSketches: Database.Statement<SqlValue[], SketchRow>;
  readonly #upsert: Database.Statement<BindValue[]>;
  readonly #prune: Database.Statement<[number]>;
  readonly #query: <Row>(sql: string) => Database.Statement<SqlValue[], Row>;

  constructor(options: {
    db: Database.Database;
    /** The store's cache of statements for dynamic SQL. */
    query: <Row>(sql: string) => Database.Statement<SqlValue[], Row>;
  }) {
    const { db } = options;
    this.#query = options.query;
    this.#selectSketches = db.prepare<SqlValue[], SketchRow>(
      `SELECT ${Object.values(SKETCH_COLUMNS).join(', ')} FROM rollups_minute
       WHERE minute_ms = ? AND environment = ? AND application = ? AND provider = ? AND model = ?
         AND status_class = ?`,
    );
    const sketchColumns = SKETCH_NAMES.map((name) => SKETCH_COLUMNS[name]);
    const insertColumns = [
      ROLLUP_KEY_COLUMNS,
      ...ROLLUP_TOTAL_COLUMNS,
      'total_ms_min',
      'total_ms_max',
      ...sketchColumns,
    ];
    const placeholderCount = 6 + ROLLUP_TOTAL_COLUMNS.length + 2 + sketchColumns.length;
    // Counts add up in SQL; sketches arrive already merged with the stored ones (read in the same transaction).
    this.#upsert = db.prepare<BindValue[]>(
      `INSERT INTO rollups_minute (${insertColumns.join(', ')})
       VALUES (${Array.from({ length: placeholderCount }, () => '?').join(', ')})
       ON CONFLICT (${ROLLUP_KEY_COLUMNS}) DO UPDATE SET
         ${ROLLUP_TOTAL_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ')},
         total_ms_min = min(total_ms_min, excluded.total_ms_min),
         total_ms_max = max(total_ms_max, excluded.total_ms_max),
         ${sketchColumns.map((column) => `${column} = excluded.${column}`).join(', ')}`,
    );
    this.#prune = db.prepare<[number]>('DELETE FROM rollups_minute WHERE minute_ms < ?');
  }

  /** Deletes rows of minutes before `cutoffMs`; returns how many. */
  prune(cutoffMs: number): number {
    return this.#prune.run(cutoffMs).changes;
  }

  /** Adds a delta to its row: counts add up, sketches are read, merged and written back. Call inside a transaction. */
  write(delta: RollupDelta): void {
    const { key, totals } = delta;
    const keyParams: SqlValue[] = [
      key.minuteMs,
      key.environment,
      key.application,
      key.provider,
      key.model,
      key.statusClass,
    ];
    const stored = this.#selectSketches.get(...keyParams);
    const sketches = SKETCH_NAMES.map((name): Buffer | null => {
      const sketch = sketchWithSamples(stored?.[SKETCH_COLUMNS[name]], delta.samples[name]);
      if (sketch.count === 0) return null;
      const bytes = sketch.encode();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
    this.#upsert.run(
      ...keyParams,
      totals.requests,
      totals.ok,
      totals.errors,
      totals.inputTokens,
      totals.outputTokens,
      totals.totalTokens,
      totals.cachedInputTokens,
      totals.reasoningTokens,
      totals.costUsd,
      totals.cacheHits,
      totals.totalMsSum,
      totals.totalMsMin,
      totals.totalMsMax,
      ...sketches,
    );
  }

  /** Rows of a time range (minute-granular) and filters, with only the sketches asked for. */
  *rows(
    query: { fromMs: number; toMs: number; filters?: RollupFilters | undefined },
    sketches: readonly SketchName[],
  ): Generator<RollupReadRow> {
    const conditions = ['minute_ms >= ?', 'minute_ms < ?'];
    const params: SqlValue[] = [minuteOf(query.fromMs), query.toMs];
    addFilters({ filters: query.filters ?? {}, columns: ROLLUP_FILTER_COLUMNS, conditions, params });
    const columns = [
      ROLLUP_KEY_COLUMNS,
      ...ROLLUP_TOTAL_COLUMNS,
      'total_ms_min',
      'total_ms_max',
      ...sketches.map((name) => SKETCH_COLUMNS[name]),
    ];
    const statement = this.#query<RollupRow>(
      `SELECT ${columns.join(', ')} FROM rollups_minute WHERE ${conditions.join(' AND ')}`,
    );
    for (const row of statement.iterate(...params)) {
      yield {
        key: {
          minuteMs: row.minute_ms,
          environment: row.environment,
          application: row.application,
          provider: row.provider,
          model: row.model,
          statusClass: row.status_class,
        },
        totals: {
          requests: row.requests,
          ok: row.ok,
          errors: row.errors,
          inputTokens: row.input_tokens,
          outputTokens: row.output_tokens,
          totalTokens: row.total_tokens,
          cachedInputTokens: row.cached_input_tokens,
          reasoningTokens: row.reasoning_tokens,
          costUsd: row.cost_usd,
          cacheHits: row.cache_hits,
          totalMsSum: row.total_ms_sum,
          totalMsMin: row.total_ms_min,
          totalMsMax: row.total_ms_max,
        },
        sketches: {
          totalMs: row.total_ms_sketch,
          upstreamMs: row.upstream_ms_sketch,
          overheadMs: row.overhead_ms_sketch,
          ttftMs: row.ttft_ms_sketch,
        },
      };
    }
  }
}
