// Incidents and their append-only timelines in the ops database (tables incidents_incident, incidents_timeline).
import type { OpsDatabase } from '../ops/ops-database.js';
import { invalidRequest } from '../spec/errors.js';
import type {
  Incident,
  IncidentStatus,
  NewTimelineEntry,
  Severity,
  TimelineEntry,
  TimelineKind,
} from './incident.js';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS incidents_incident (
  number        INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  status        TEXT NOT NULL,
  severity      TEXT NOT NULL,
  source        TEXT NOT NULL,
  monitor_id    TEXT,
  group_id      TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  record        TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_incident_open_per_group
  ON incidents_incident (monitor_id, group_id) WHERE status <> 'resolved' AND monitor_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS incidents_incident_status ON incidents_incident (status, number);
CREATE INDEX IF NOT EXISTS incidents_incident_created ON incidents_incident (created_at_ms);
CREATE TABLE IF NOT EXISTS incidents_timeline (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT NOT NULL REFERENCES incidents_incident (id),
  at_ms       INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  author      TEXT,
  text        TEXT NOT NULL,
  data        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_timeline_by_incident ON incidents_timeline (incident_id, id);
CREATE TRIGGER IF NOT EXISTS incidents_timeline_append_only BEFORE UPDATE ON incidents_timeline
BEGIN
  SELECT RAISE(ABORT, 'the incident timeline is append-only');
END;
`;

/** Filters of a list; every given filter must match. */
export interface IncidentListQuery {
  status?: readonly IncidentStatus[] | undefined;
  severity?: readonly Severity[] | undefined;
  monitorId?: string | undefined;
  /** Created at or after (epoch ms). */
  fromMs?: number | undefined;
  /** Created before (epoch ms). */
  toMs?: number | undefined;
  /** 1..200, default 50. */
  limit?: number | undefined;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
}

/** One page of incidents, newest first. */
export interface IncidentPage {
  incidents: Incident[];
  /** Present when there may be more. */
  nextCursor?: string | undefined;
}

interface IncidentRow {
  record: string;
}

interface TimelineRow {
  id: number;
  incident_id: string;
  at_ms: number;
  kind: string;
  author: string | null;
  text: string;
  data: string;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function encodeCursor(number: number): string {
  return Buffer.from(`incidents:${number}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^incidents:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match?.[1] === undefined) {
    throw invalidRequest(
      'cursor is not one this API returned; pass nextCursor from the previous page',
      'cursor',
    );
  }
  return Number(match[1]);
}

function toRow(incident: Incident): Record<string, unknown> {
  return {
    number: incident.number,
    id: incident.id,
    status: incident.status,
    severity: incident.severity,
    source: incident.source,
    monitor_id: incident.monitor?.id ?? null,
    group_id: incident.monitor === undefined ? null : (incident.groupId ?? ''),
    created_at_ms: Math.round(incident.createdAtMs),
    updated_at_ms: Math.round(incident.updatedAtMs),
    record: JSON.stringify(incident),
  };
}

function fromRow(row: IncidentRow): Incident {
  return JSON.parse(row.record) as Incident;
}

function entryFromRow(row: TimelineRow): TimelineEntry {
  return {
    id: row.id,
    incidentId: row.incident_id,
    atMs: row.at_ms,
    kind: row.kind as TimelineKind,
    author: row.author ?? undefined,
    text: row.text,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

/**
 * The incident repository. Synchronous (better-sqlite3 on the main thread): ops data is a few rows
 * per evaluation tick or per person's action, never on the request path.
 * @example const store = new SqliteIncidentStore({ db: openOpsDatabase('./data/ops.db') })
 */
export class SqliteIncidentStore {
  readonly #db: OpsDatabase;

  constructor(options: { db: OpsDatabase }) {
    this.#db = options.db;
    this.#db.exec(SCHEMA_SQL);
  }

  /** Runs `work` in one transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /** The number the next incident gets (call inside the transaction that creates it). */
  nextNumber(): number {
    const row = this.#db
      .prepare('SELECT COALESCE(MAX(number), 0) + 1 AS next FROM incidents_incident')
      .get() as {
      next: number;
    };
    return row.next;
  }

  /** Inserts a new incident; fails when its monitor group already has an open one. */
  create(incident: Incident): void {
    this.#db
      .prepare(
        `INSERT INTO incidents_incident (number, id, status, severity, source, monitor_id, group_id,
           created_at_ms, updated_at_ms, record)
         VALUES (@number, @id, @status, @severity, @source, @monitor_id, @group_id,
           @created_at_ms, @updated_at_ms, @record)`,
      )
      .run(toRow(incident));
  }

  /** Saves the new state of an existing incident. */
  update(incident: Incident): void {
    const result = this.#db
      .prepare(
        `UPDATE incidents_incident SET status = @status, severity = @severity, source = @source,
           monitor_id = @monitor_id, group_id = @group_id, updated_at_ms = @updated_at_ms, record = @record
         WHERE id = @id`,
      )
      .run(toRow(incident));
    if (result.changes === 0) throw new Error(`incident ${incident.id} is not stored`);
  }

  get(id: string): Incident | undefined {
    const row = this.#db.prepare('SELECT record FROM incidents_incident WHERE id = ?').get(id) as
      IncidentRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The open (active or stable) incident of a monitor group. */
  findOpen(options: { monitorId: string; groupId: string }): Incident | undefined {
    const row = this.#db
      .prepare(
        `SELECT record FROM incidents_incident
         WHERE monitor_id = ? AND group_id = ? AND status <> 'resolved'`,
      )
      .get(options.monitorId, options.groupId) as IncidentRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every incident with this status, oldest first (for the quiet-period tick: stable ones are few). */
  withStatus(status: IncidentStatus): Incident[] {
    const rows = this.#db
      .prepare('SELECT record FROM incidents_incident WHERE status = ? ORDER BY number')
      .all(status) as IncidentRow[];
    return rows.map(fromRow);
  }

  /** Incidents newest first, a page at a time. Throws KEEL_INVALID_REQUEST for a foreign cursor. */
  list(query: IncidentListQuery = {}): IncidentPage {
    const where: string[] = [];
    const parameters: (string | number)[] = [];
    const within = (column: string, values: readonly string[] | undefined) => {
      if (values === undefined || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      parameters.push(...values);
    };
    within('status', query.status);
    within('severity', query.severity);
    if (query.monitorId !== undefined) {
      where.push('monitor_id = ?');
      parameters.push(query.monitorId);
    }
    if (query.fromMs !== undefined) {
      where.push('created_at_ms >= ?');
      parameters.push(query.fromMs);
    }
    if (query.toMs !== undefined) {
      where.push('created_at_ms < ?');
      parameters.push(query.toMs);
    }
    if (query.cursor !== undefined) {
      where.push('number < ?');
      parameters.push(decodeCursor(query.cursor));
    }
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    const rows = this.#db
      .prepare(
        `SELECT record FROM incidents_incident ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
         ORDER BY number DESC LIMIT ?`,
      )
      .all(...parameters, limit + 1) as IncidentRow[];
    const incidents = rows.slice(0, limit).map(fromRow);
    const last = incidents.at(-1);
    return {
      incidents,
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.number) : undefined,
    };
  }

  /** Appends entries and returns them numbered. */
  append(entries: readonly NewTimelineEntry[]): TimelineEntry[] {
    const insert = this.#db.prepare(
      `INSERT INTO incidents_timeline (incident_id, at_ms, kind, author, text, data)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    return this.transaction(() =>
      entries.map((entry) => {
        const result = insert.run(
          entry.incidentId,
          Math.round(entry.atMs),
          entry.kind,
          entry.author ?? null,
          entry.text,
          JSON.stringify(entry.data),
        );
        return { ...entry, id: Number(result.lastInsertRowid) };
      }),
    );
  }

  /** An incident's timeline in the order it was written. */
  timeline(incidentId: string): TimelineEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM incidents_timeline WHERE incident_id = ? ORDER BY id')
      .all(incidentId) as TimelineRow[];
    return rows.map(entryFromRow);
  }
}
