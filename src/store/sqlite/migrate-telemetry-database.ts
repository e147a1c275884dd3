// Opens a telemetry database at the current schema: creates or migrates its tables (v1 -> v2 -> v3).
import type Database from 'better-sqlite3';
import { TIER_MS } from '../plan-rollup-reads.js';
import { LATE_COLUMNS, LATE_REQUEST_INDEX_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';

/**
 * Brings a telemetry database to SCHEMA_VERSION in one transaction: creates what is missing,
 * adds late columns (see LATE_COLUMNS) and, for a version-1 file, marks the coarse rollup tiers
 * for rebuilding. Idempotent; run on every open.
 *
 * @throws Error when the file was written by a newer schema (it is refused rather than misread).
 */
export function migrateTelemetryDatabase(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true });
  if (typeof version !== 'number' || version > SCHEMA_VERSION) {
    throw new Error(
      `telemetry database schema version ${String(version)} is newer than this Keel's (${SCHEMA_VERSION}); ` +
        'upgrade Keel or point the store at another file',
    );
  }
  // One transaction: a file is either still at its old version or fully at this one.
  db.transaction(() => {
    if (version < SCHEMA_VERSION) db.exec(SCHEMA_SQL);
    // Version 1 files have minute rollups only: build their hours from them, once.
    if (version === 1) markCoarseTiersDirty(db);
    // Idempotent, and run on every open: a version 2 file made before the key columns lacks them.
    addLateColumns(db);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** Adds the columns an older file may lack (see LATE_COLUMNS), then the index on one of them. */
function addLateColumns(db: Database.Database): void {
  const present = new Map<string, Set<string>>();
  for (const column of LATE_COLUMNS) {
    let names = present.get(column.table);
    if (names === undefined) {
      const info = db.pragma(`table_info(${column.table})`) as { name: string }[];
      names = new Set(info.map((entry) => entry.name));
      present.set(column.table, names);
    }
    if (!names.has(column.name)) {
      db.exec(`ALTER TABLE ${column.table} ADD COLUMN ${column.name} ${column.type}`);
    }
  }
  db.exec(LATE_REQUEST_INDEX_SQL);
}

/** Version 1 files have minute rollups only: every coarser row they imply is built on first use. */
function markCoarseTiersDirty(db: Database.Database): void {
  for (const [tier, widthMs] of Object.entries(TIER_MS)) {
    if (tier === 'minute') continue;
    db.prepare(
      `INSERT OR IGNORE INTO rollup_dirty (tier, start_ms)
       SELECT ?, (minute_ms / CAST(? AS INTEGER)) * CAST(? AS INTEGER) FROM rollups_minute GROUP BY 2`,
    ).run(tier, widthMs, widthMs);
  }
}
