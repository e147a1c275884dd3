// A rollup table (one tier: minute, five minutes, hour or day): writing rows and reading them back for stats and time series.
import type Database from 'better-sqlite3';
import type { StatusClass } from '../../telemetry/request-record.js';
import {
  sketchWithSamples,
  SKETCH_NAMES,
  type RollupDelta,
  type RollupKey,
  type RollupReadRow,
  type RollupTier,
  type RollupTotals,
  type SketchName,
} from '../rollup.js';
import { LatencySketch } from '../latency-sketch.js';
import type { RollupFilters, StoreDimension } from '../store.js';
import { addFilters } from './sql-filters.js';
import type { SqlValue } from './sqlite-schema.js';

type BindValue = SqlValue | Buffer;

const SKETCH_COLUMNS: Record<SketchName, string> = {
  totalMs: 'total_ms_sketch',
  upstreamMs: 'upstream_ms_sketch',
  overheadMs: 'overhead_ms_sketch',
  ttftMs: 'ttft_ms_sketch',
};

const DIMENSION_COLUMNS = 'environment, application, provider, model, status_class';

/** What rows can be grouped by: the store's dimensions, and the status class (for migrations). */
export type RollupGroupColumn = StoreDimension | 'statusClass';

const GROUP_COLUMNS: Record<RollupGroupColumn, string> = {
  environment: 'environment',
  application: 'application',
  provider: 'provider',
  model: 'model',
  statusClass: 'status_class',
};

/** SQL aggregate that merges encoded latency sketches (see registerSketchMerge). */
const SKETCH_MERGE_FUNCTION = 'keel_sketch_merge';

/** A tier's table and the column holding each row's start. */
export interface RollupTable {
  tier: RollupTier;
  table: string;
  timeColumn: string;
}

export const ROLLUP_TABLES: Readonly<Record<RollupTier, RollupTable>> = {
  minute: { tier: 'minute', table: 'rollups_minute', timeColumn: 'minute_ms' },
  fiveMinutes: { tier: 'fiveMinutes', table: 'rollups_5m', timeColumn: 'start_ms' },
  hour: { tier: 'hour', table: 'rollups_hour', timeColumn: 'start_ms' },
  day: { tier: 'day', table: 'rollups_day', timeColumn: 'start_ms' },
};
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
  'quality_sum',
  'quality_count',
  'failovers',
] as const;

interface RollupRow {
  start_ms: number;
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
  quality_sum: number;
  quality_count: number;
  failovers: number;
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

/** Prepared statements over one rollup table, created once per store. */
export class SqliteRollups {
  readonly table: RollupTable;
  readonly #selectSketches: Database.Statement<SqlValue[], SketchRow>;
  readonly #upsert: Database.Statement<BindValue[]>;
  readonly #prune: Database.Statement<[number]>;
  readonly #deleteRow: Database.Statement<[number]>;
  readonly #db: Database.Database;
  readonly #rebuilds = new Map<RollupTier, Database.Statement<[number, number, number]>>();
  readonly #query: <Row>(sql: string) => Database.Statement<SqlValue[], Row>;

  constructor(options: {
    db: Database.Database;
    table: RollupTable;
    /** The store's cache of statements for dynamic SQL. */
    query: <Row>(sql: string) => Database.Statement<SqlValue[], Row>;
  }) {
    const { db, table } = options;
    this.table = table;
    this.#db = db;
    this.#query = options.query;
    const keyColumns = `${table.timeColumn}, ${DIMENSION_COLUMNS}`;
    this.#selectSketches = db.prepare<SqlValue[], SketchRow>(
      `SELECT ${Object.values(SKETCH_COLUMNS).join(', ')} FROM ${table.table}
       WHERE ${table.timeColumn} = ? AND environment = ? AND application = ? AND provider = ? AND model = ?
         AND status_class = ?`,
    );
    const sketchColumns = SKETCH_NAMES.map((name) => SKETCH_COLUMNS[name]);
    const insertColumns = [
      keyColumns,
      ...ROLLUP_TOTAL_COLUMNS,
      'total_ms_min',
      'total_ms_max',
      ...sketchColumns,
    ];
    const placeholderCount = 6 + ROLLUP_TOTAL_COLUMNS.length + 2 + sketchColumns.length;
    // Counts add up in SQL; sketches arrive already merged with the stored ones (read in the same transaction).
    this.#upsert = db.prepare<BindValue[]>(
      `INSERT INTO ${table.table} (${insertColumns.join(', ')})
       VALUES (${Array.from({ length: placeholderCount }, () => '?').join(', ')})
       ON CONFLICT (${keyColumns}) DO UPDATE SET
         ${ROLLUP_TOTAL_COLUMNS.map((column) => `${column} = ${column} + excluded.${column}`).join(', ')},
         total_ms_min = min(total_ms_min, excluded.total_ms_min),
         total_ms_max = max(total_ms_max, excluded.total_ms_max),
         ${sketchColumns.map((column) => `${column} = excluded.${column}`).join(', ')}`,
    );
    this.#prune = db.prepare<[number]>(`DELETE FROM ${table.table} WHERE ${table.timeColumn} < ?`);
    this.#deleteRow = db.prepare<[number]>(`DELETE FROM ${table.table} WHERE ${table.timeColumn} = ?`);
  }

  /**
   * Replaces this tier's rows starting at `startMs` with the sum of `lower`'s rows in
   * [startMs, startMs + widthMs), one per dimensions and status class, all in SQL. Call inside a
   * transaction, after making sure `lower` is itself up to date over that range.
   */
  rebuildFrom(lower: SqliteRollups, startMs: number, widthMs: number): void {
    let statement = this.#rebuilds.get(lower.table.tier);
    if (statement === undefined) {
      const from = lower.table;
      const columns = [
        `${this.table.timeColumn}, ${DIMENSION_COLUMNS}`,
        ...ROLLUP_TOTAL_COLUMNS,
        'total_ms_min',
        'total_ms_max',
        ...Object.values(SKETCH_COLUMNS),
      ];
      const values = [
        `? AS start, ${DIMENSION_COLUMNS}`,
        ...ROLLUP_TOTAL_COLUMNS.map((column) => `sum(${column})`),
        'min(total_ms_min)',
        'max(total_ms_max)',
        ...Object.values(SKETCH_COLUMNS).map((column) => `${SKETCH_MERGE_FUNCTION}(${column})`),
      ];
      statement = this.#db.prepare<[number, number, number]>(
        `INSERT INTO ${this.table.table} (${columns.join(', ')})
         SELECT ${values.join(', ')} FROM ${from.table}
         WHERE ${from.timeColumn} >= ? AND ${from.timeColumn} < ?
         GROUP BY ${DIMENSION_COLUMNS}`,
      );
      this.#rebuilds.set(lower.table.tier, statement);
    }
    this.#deleteRow.run(startMs);
    statement.run(startMs, startMs, startMs + widthMs);
  }

  /** Deletes rows that start before `cutoffMs`; returns how many. */
  prune(cutoffMs: number): number {
    return this.#prune.run(cutoffMs).changes;
  }

  /** Adds a delta to its row: counts add up, sketches are read, merged and written back. Call inside a transaction. */
  write(delta: RollupDelta): void {
    this.#upsertWith(delta.key, delta.totals, (name, stored) =>
      sketchWithSamples(stored, delta.samples[name]),
    );
  }

  #upsertWith(
    key: RollupKey,
    totals: RollupTotals,
    sketchFor: (name: SketchName, stored: Buffer | null | undefined) => LatencySketch,
  ): void {
    const keyParams: SqlValue[] = [
      key.startMs,
      key.environment,
      key.application,
      key.provider,
      key.model,
      key.statusClass,
    ];
    const stored = this.#selectSketches.get(...keyParams);
    const sketches = SKETCH_NAMES.map((name): Buffer | null => {
      const sketch = sketchFor(name, stored?.[SKETCH_COLUMNS[name]]);
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
      totals.qualitySum,
      totals.qualityCount,
      totals.failovers,
      totals.totalMsMin,
      totals.totalMsMax,
      ...sketches,
    );
  }

  /**
   * Rows starting in [fromMs, toMs) that match the filters, summed in SQL per group: one row per
   * value of `grouping.dimensions` (and per `grouping.stepMs` bucket when given), with only the
   * sketches asked for, merged by keel_sketch_merge. Key fields not grouped read ''. Callers align
   * the range to this table's rows (see planRollupReads).
   */
  rows(
    query: { fromMs: number; toMs: number; filters?: RollupFilters | undefined },
    grouping: { dimensions: readonly RollupGroupColumn[]; stepMs?: number | undefined },
    sketches: readonly SketchName[],
  ): RollupReadRow[] {
    const time = this.table.timeColumn;
    const params: SqlValue[] = [];
    // Bound, not inlined: a client-chosen step must not create a prepared statement per value.
    let bucket = `min(${time})`;
    if (grouping.stepMs !== undefined) {
      bucket = `(${time} / CAST(? AS INTEGER)) * CAST(? AS INTEGER)`;
      params.push(grouping.stepMs, grouping.stepMs);
    }
    const conditions = [`${time} >= ?`, `${time} < ?`];
    params.push(query.fromMs, query.toMs);
    addFilters({ filters: query.filters ?? {}, columns: ROLLUP_FILTER_COLUMNS, conditions, params });
    const groupColumns = [...new Set(grouping.dimensions)].map((dimension) => GROUP_COLUMNS[dimension]);
    const columns = [
      `${bucket} AS start_ms`,
      ...groupColumns,
      ...ROLLUP_TOTAL_COLUMNS.map((column) => `sum(${column}) AS ${column}`),
      'min(total_ms_min) AS total_ms_min',
      'max(total_ms_max) AS total_ms_max',
      ...sketches.map(
        (name) => `${SKETCH_MERGE_FUNCTION}(${SKETCH_COLUMNS[name]}) AS ${SKETCH_COLUMNS[name]}`,
      ),
    ];
    const groups = grouping.stepMs === undefined ? groupColumns : ['start_ms', ...groupColumns];
    const statement = this.#query<Partial<RollupRow>>(
      `SELECT ${columns.join(', ')} FROM ${this.table.table} WHERE ${conditions.join(' AND ')}` +
        (groups.length > 0 ? ` GROUP BY ${groups.join(', ')}` : ''),
    );
    const rows: RollupReadRow[] = [];
    for (const row of statement.all(...params)) {
      // An aggregate over no rows still returns one row, of NULLs.
      if (row.requests === null || row.requests === undefined) continue;
      rows.push({
        key: {
          startMs: row.start_ms ?? query.fromMs,
          environment: row.environment ?? '',
          application: row.application ?? '',
          provider: row.provider ?? '',
          model: row.model ?? '',
          statusClass: row.status_class ?? '',
        },
        totals: {
          requests: row.requests,
          ok: row.ok ?? 0,
          errors: row.errors ?? 0,
          inputTokens: row.input_tokens ?? 0,
          outputTokens: row.output_tokens ?? 0,
          totalTokens: row.total_tokens ?? 0,
          cachedInputTokens: row.cached_input_tokens ?? 0,
          reasoningTokens: row.reasoning_tokens ?? 0,
          costUsd: row.cost_usd ?? 0,
          cacheHits: row.cache_hits ?? 0,
          totalMsSum: row.total_ms_sum ?? 0,
          qualitySum: row.quality_sum ?? 0,
          qualityCount: row.quality_count ?? 0,
          failovers: row.failovers ?? 0,
          totalMsMin: row.total_ms_min ?? Infinity,
          totalMsMax: row.total_ms_max ?? -Infinity,
        },
        sketches: {
          totalMs: row.total_ms_sketch,
          upstreamMs: row.upstream_ms_sketch,
          overheadMs: row.overhead_ms_sketch,
          ttftMs: row.ttft_ms_sketch,
        },
      });
    }
    return rows;
  }
}

/** Registers keel_sketch_merge(blob) on a connection: merges encoded latency sketches into one. */
export function registerSketchMerge(db: Database.Database): void {
  db.aggregate<LatencySketch>(SKETCH_MERGE_FUNCTION, {
    start: () => new LatencySketch(),
    step: (sketch, blob) => {
      if (blob instanceof Uint8Array) sketch.mergeEncoded(blob);
      return sketch;
    },
    result: (sketch) => {
      if (sketch.count === 0) return null;
      const bytes = sketch.encode();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deterministic: true,
  });
}
