// The four rollup tiers of the SQLite store: minute rows written with each insert, coarser rows rebuilt from them when read.
import type Database from 'better-sqlite3';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RequestRecord } from '../../telemetry/request-record.js';
import {
  HOUR_MS,
  MINUTE_MS,
  RollupBatch,
  TIER_MS,
  type RollupRead,
  type RollupReadRow,
  type RollupTier,
  type SketchName,
} from '../rollup.js';
import type { RollupFilters } from '../store.js';
import { ROLLUP_TABLES, SqliteRollups, type RollupGroupColumn } from './sqlite-rollups.js';
import type { SqlValue } from './sqlite-schema.js';

const DAY_MS = TIER_MS.day;

/** Each coarse tier is rebuilt from the one below it. */
const LOWER_TIER: Readonly<Record<Exclude<RollupTier, 'minute'>, RollupTier>> = {
  fiveMinutes: 'minute',
  hour: 'fiveMinutes',
  day: 'hour',
};
const COARSE_TIERS = ['fiveMinutes', 'hour', 'day'] as const;
/** Dirty rows rebuilt per transaction when catching up (at prune time, or after a migration). */
const REBUILD_CHUNK = 500;

/** How far each retention has pruned, persisted in store_meta: rows before these instants are gone. */
interface PrunedBefore {
  /** Minute and five-minute rows. */
  fine: number;
  /** Hour and day rows. */
  coarse: number;
}

/**
 * Minute rows are upserted with each insert (counts add, sketches merge). A coarser row (five
 * minutes, hour, UTC day) is not touched by inserts: they mark it dirty in rollup_dirty, and the
 * first read that needs it rebuilds it in SQL from the tier below, so inserts stay as cheap as
 * with minute rows alone and a late record (a spool replay) is counted everywhere.
 *
 * Retention is day-aligned, so a coarse row is either fully covered by the tier below or that
 * tier is gone for it. A record older than the fine retention's cutoff (minute rows already
 * pruned there) is added straight to its hour row, and its day is rebuilt from the hours; one
 * older than the coarse cutoff is kept as a raw row only.
 */
export class SqliteRollupTiers {
  readonly #db: Database.Database;
  readonly #tiers: Record<RollupTier, SqliteRollups>;
  readonly #fineRetentionMs: number;
  readonly #coarseRetentionMs: number;
  readonly #markDirty: Database.Statement<[string, number]>;
  readonly #selectDirty: Database.Statement<[string, number, number], { start_ms: number }>;
  readonly #clearDirty: Database.Statement<[string, number]>;
  readonly #saveMeta: Database.Statement<[string, number]>;
  readonly #prunedBefore: PrunedBefore;

  constructor(options: {
    db: Database.Database;
    query: <Row>(sql: string) => Database.Statement<SqlValue[], Row>;
    /** How long minute and five-minute rows are kept. */
    fineRetentionMs: number;
    /** How long hour and day rows are kept. */
    coarseRetentionMs: number;
  }) {
    const { db, query } = options;
    this.#db = db;
    this.#fineRetentionMs = options.fineRetentionMs;
    this.#coarseRetentionMs = options.coarseRetentionMs;
    const tier = (name: RollupTier) => new SqliteRollups({ db, table: ROLLUP_TABLES[name], query });
    this.#tiers = {
      minute: tier('minute'),
      fiveMinutes: tier('fiveMinutes'),
      hour: tier('hour'),
      day: tier('day'),
    };
    this.#markDirty = db.prepare('INSERT OR IGNORE INTO rollup_dirty (tier, start_ms) VALUES (?, ?)');
    this.#selectDirty = db.prepare(
      'SELECT start_ms FROM rollup_dirty WHERE tier = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms',
    );
    this.#clearDirty = db.prepare('DELETE FROM rollup_dirty WHERE tier = ? AND start_ms = ?');
    this.#saveMeta = db.prepare(
      'INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    const meta = (key: string): number => {
      const row = db
        .prepare<[string], { value: unknown }>('SELECT value FROM store_meta WHERE key = ?')
        .get(key);
      return typeof row?.value === 'number' ? row.value : Number.NEGATIVE_INFINITY;
    };
    this.#prunedBefore = { fine: meta('pruned_before_fine_ms'), coarse: meta('pruned_before_coarse_ms') };
  }

  /** Counts newly stored records into the tiers. Call inside the insert's transaction. */
  add(records: readonly RequestRecord[]): void {
    const minutes = new RollupBatch(MINUTE_MS);
    const lateHours = new RollupBatch(HOUR_MS);
    const dirty: Record<(typeof COARSE_TIERS)[number], Set<number>> = {
      fiveMinutes: new Set(),
      hour: new Set(),
      day: new Set(),
    };
    const { fine, coarse } = this.#prunedBefore;
    for (const record of records) {
      const timeMs = record.timeMs;
      if (timeMs >= fine) {
        minutes.add(record);
        for (const name of COARSE_TIERS) dirty[name].add(startOf(timeMs, TIER_MS[name]));
      } else if (timeMs >= coarse) {
        lateHours.add(record);
        dirty.day.add(startOf(timeMs, DAY_MS));
      }
    }
    for (const delta of minutes.deltas()) this.#tiers.minute.write(delta);
    for (const delta of lateHours.deltas()) this.#tiers.hour.write(delta);
    for (const name of COARSE_TIERS) for (const startMs of dirty[name]) this.#markDirty.run(name, startMs);
  }

  /** The rows of one planned read, summed per group, after rebuilding any that are out of date. */
  rows(
    read: RollupRead,
    filters: RollupFilters | undefined,
    grouping: { dimensions: readonly RollupGroupColumn[]; stepMs?: number | undefined },
    sketches: readonly SketchName[],
  ): RollupReadRow[] {
    this.#refreshInTransaction(read.tier, read.fromMs, read.toMs, Number.POSITIVE_INFINITY);
    return this.#tiers[read.tier].rows({ fromMs: read.fromMs, toMs: read.toMs, filters }, grouping, sketches);
  }

  /**
   * Rebuilds every dirty row (in chunks, yielding between them), then deletes rows past their
   * retention, counted from `nowMs` and rounded down to a UTC day. Returns rows deleted.
   */
  async prune(nowMs: number): Promise<number> {
    for (const name of COARSE_TIERS) {
      while (
        this.#refreshInTransaction(name, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, REBUILD_CHUNK)
      ) {
        await yieldToEventLoop();
      }
    }
    const fineCutoff = startOf(nowMs - this.#fineRetentionMs, DAY_MS);
    const coarseCutoff = startOf(nowMs - this.#coarseRetentionMs, DAY_MS);
    return this.#db.transaction(() => {
      const deleted =
        this.#tiers.minute.prune(fineCutoff) +
        this.#tiers.fiveMinutes.prune(fineCutoff) +
        this.#tiers.hour.prune(coarseCutoff) +
        this.#tiers.day.prune(coarseCutoff);
      this.#prunedBefore.fine = Math.max(this.#prunedBefore.fine, fineCutoff);
      this.#prunedBefore.coarse = Math.max(this.#prunedBefore.coarse, coarseCutoff);
      this.#saveMeta.run('pruned_before_fine_ms', this.#prunedBefore.fine);
      this.#saveMeta.run('pruned_before_coarse_ms', this.#prunedBefore.coarse);
      return deleted;
    })();
  }

  /** Rebuilds up to `limit` dirty rows of `tier` in [fromMs, toMs); true when more may remain. */
  #refreshInTransaction(tier: RollupTier, fromMs: number, toMs: number, limit: number): boolean {
    if (tier === 'minute') return false;
    return this.#db.transaction(() => this.#refresh(tier, fromMs, toMs, limit))();
  }

  #refresh(tier: RollupTier, fromMs: number, toMs: number, limit: number): boolean {
    if (tier === 'minute') return false;
    const lower = LOWER_TIER[tier];
    const widthMs = TIER_MS[tier];
    // Collected first: no writes while a statement iterates.
    const starts = this.#selectDirty.all(tier, fromMs, toMs);
    let rebuilt = 0;
    for (const { start_ms: startMs } of starts) {
      if (rebuilt === limit) return true;
      this.#refresh(lower, startMs, startMs + widthMs, Number.POSITIVE_INFINITY);
      this.#tiers[tier].rebuildFrom(this.#tiers[lower], startMs, widthMs);
      this.#clearDirty.run(tier, startMs);
      rebuilt++;
    }
    return false;
  }
}

function startOf(timeMs: number, widthMs: number): number {
  return Math.floor(timeMs / widthMs) * widthMs;
}
