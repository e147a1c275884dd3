// The notification outbox on the ops database: one row per message and target, written before enqueue returns.
import type { OpsDatabase } from '../ops/ops-database.js';
import type { NotificationMessage } from './notification.js';

/** Where a row is in its life. Only `pending` rows are ever sent. */
export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'rate-limited';

/** One message for one target. */
export interface OutboxEntry {
  id: string;
  target: string;
  dedupeKey: string;
  message: NotificationMessage;
  status: OutboxStatus;
  /** Attempts made so far. */
  attempts: number;
  /** A pending row is not sent before this, epoch ms. */
  nextAttemptAtMs: number;
  /** HTTP status of the last attempt, when there was an answer. */
  lastStatus: number | undefined;
  lastError: string | undefined;
  createdAtMs: number;
  updatedAtMs: number;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS notification_outbox (
  id                 TEXT PRIMARY KEY,
  target             TEXT NOT NULL,
  dedupe_key         TEXT NOT NULL,
  message            TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'rate-limited')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER NOT NULL,
  last_status        INTEGER,
  last_error         TEXT,
  created_at_ms      INTEGER NOT NULL,
  updated_at_ms      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS notification_outbox_due ON notification_outbox (status, target, next_attempt_at_ms);
CREATE INDEX IF NOT EXISTS notification_outbox_dedupe ON notification_outbox (target, dedupe_key, status);
`;

interface OutboxRow {
  id: string;
  target: string;
  dedupe_key: string;
  message: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at_ms: number;
  last_status: number | null;
  last_error: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

/** A stored message that no longer parses is still handed out, so it can be marked failed. */
function parseMessage(row: OutboxRow): NotificationMessage {
  try {
    return JSON.parse(row.message) as NotificationMessage;
  } catch {
    return {
      kind: 'test',
      title: '(unreadable stored message)',
      text: '',
      fields: {},
      dedupeKey: row.dedupe_key,
      atMs: row.created_at_ms,
    };
  }
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    target: row.target,
    dedupeKey: row.dedupe_key,
    message: parseMessage(row),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at_ms,
    lastStatus: row.last_status ?? undefined,
    lastError: row.last_error ?? undefined,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

/** What enqueue did per target. */
export interface OutboxEnqueueResult {
  queued: OutboxEntry[];
  /** Targets for which the message was dropped as a duplicate. */
  deduplicated: string[];
}

/**
 * The outbox. Every method is synchronous: a returned enqueue is on disk (WAL, synchronous=NORMAL:
 * it survives a process crash; a power cut may lose the last transactions).
 * @example const outbox = new SqliteOutbox({ db: openOpsDatabase('./data/ops.db') });
 */
export class SqliteOutbox {
  readonly #db: OpsDatabase;

  constructor(options: { db: OpsDatabase }) {
    this.#db = options.db;
    this.#db.exec(SCHEMA_SQL);
  }

  /**
   * Inserts one pending row per target, in one transaction, unless the same target already has the
   * same dedupe key pending, or delivered within `dedupeWindowMs` before `nowMs`.
   */
  enqueue(options: {
    targets: readonly string[];
    message: NotificationMessage;
    nowMs: number;
    dedupeWindowMs: number;
    generateId: () => string;
  }): OutboxEnqueueResult {
    const { message, dedupeWindowMs, generateId } = options;
    const nowMs = Math.round(options.nowMs);
    const duplicate = this.#db.prepare(
      `SELECT 1 FROM notification_outbox
        WHERE target = ? AND dedupe_key = ?
          AND (status = 'pending' OR (status = 'delivered' AND updated_at_ms > ?))
        LIMIT 1`,
    );
    const insert = this.#db.prepare(
      `INSERT INTO notification_outbox (id, target, dedupe_key, message, status, attempts, next_attempt_at_ms,
         created_at_ms, updated_at_ms)
       VALUES (@id, @target, @dedupe_key, @message, 'pending', 0, @now, @now, @now)`,
    );
    const messageJson = JSON.stringify(message);
    return this.#db.transaction((): OutboxEnqueueResult => {
      const result: OutboxEnqueueResult = { queued: [], deduplicated: [] };
      for (const target of new Set(options.targets)) {
        if (duplicate.get(target, message.dedupeKey, nowMs - dedupeWindowMs) !== undefined) {
          result.deduplicated.push(target);
          continue;
        }
        const id = generateId();
        insert.run({ id, target, dedupe_key: message.dedupeKey, message: messageJson, now: nowMs });
        result.queued.push({
          id,
          target,
          dedupeKey: message.dedupeKey,
          message,
          status: 'pending',
          attempts: 0,
          nextAttemptAtMs: nowMs,
          lastStatus: undefined,
          lastError: undefined,
          createdAtMs: nowMs,
          updatedAtMs: nowMs,
        });
      }
      return result;
    })();
  }

  /** Targets with at least one pending row due at `nowMs`. */
  dueTargets(nowMs: number): string[] {
    const rows = this.#db
      .prepare(
        `SELECT DISTINCT target FROM notification_outbox
          WHERE status = 'pending' AND next_attempt_at_ms <= ? ORDER BY target`,
      )
      .all(nowMs) as { target: string }[];
    return rows.map((row) => row.target);
  }

  /** The target's pending row that is due first (oldest first among equals), if any is due at `nowMs`. */
  nextDue(target: string, nowMs: number): OutboxEntry | undefined {
    const row = this.#db
      .prepare(
        `SELECT * FROM notification_outbox
          WHERE status = 'pending' AND target = ? AND next_attempt_at_ms <= ?
          ORDER BY next_attempt_at_ms, created_at_ms, rowid LIMIT 1`,
      )
      .get(target, nowMs) as OutboxRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  get(id: string): OutboxEntry | undefined {
    const row = this.#db.prepare('SELECT * FROM notification_outbox WHERE id = ?').get(id) as
      OutboxRow | undefined;
    return row === undefined ? undefined : toEntry(row);
  }

  /** Records an attempt's outcome: a final status, or `pending` again with the next attempt's time. */
  update(options: {
    id: string;
    status: OutboxStatus;
    attempts: number;
    nextAttemptAtMs?: number | undefined;
    lastStatus?: number | undefined;
    lastError?: string | undefined;
    nowMs: number;
  }): void {
    const nowMs = Math.round(options.nowMs);
    this.#db
      .prepare(
        `UPDATE notification_outbox
            SET status = @status, attempts = @attempts, next_attempt_at_ms = @next, last_status = @last_status,
                last_error = @last_error, updated_at_ms = @now
          WHERE id = @id`,
      )
      .run({
        id: options.id,
        status: options.status,
        attempts: options.attempts,
        next: Math.round(options.nextAttemptAtMs ?? nowMs),
        last_status: options.lastStatus ?? null,
        last_error: options.lastError ?? null,
        now: nowMs,
      });
  }

  /**
   * Keeps at most `maxPending` pending rows for `target`: the oldest others (never those in
   * `exclude`, the ones being sent) become `rate-limited`. Returns the rows it marked.
   */
  shedOverflow(options: {
    target: string;
    maxPending: number;
    exclude: ReadonlySet<string>;
    nowMs: number;
  }): OutboxEntry[] {
    const { target, maxPending, exclude } = options;
    const nowMs = Math.round(options.nowMs);
    return this.#db.transaction((): OutboxEntry[] => {
      const rows = this.#db
        .prepare(
          `SELECT * FROM notification_outbox WHERE status = 'pending' AND target = ?
            ORDER BY created_at_ms, rowid`,
        )
        .all(target) as OutboxRow[];
      let excess = rows.length - maxPending;
      const shed: OutboxEntry[] = [];
      const mark = this.#db.prepare(
        `UPDATE notification_outbox SET status = 'rate-limited', last_error = ?, updated_at_ms = ? WHERE id = ?`,
      );
      const reason = `dropped: more than ${maxPending} notifications waiting for this target`;
      for (const row of rows) {
        if (excess <= 0) break;
        if (exclude.has(row.id)) continue;
        mark.run(reason, nowMs, row.id);
        shed.push({ ...toEntry(row), status: 'rate-limited', lastError: reason, updatedAtMs: nowMs });
        excess--;
      }
      return shed;
    })();
  }

  /** The newest rows first, optionally of one target and status. */
  list(options: {
    target?: string | undefined;
    status?: OutboxStatus | undefined;
    limit: number;
  }): OutboxEntry[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM notification_outbox
          WHERE (@target IS NULL OR target = @target) AND (@status IS NULL OR status = @status)
          ORDER BY created_at_ms DESC, rowid DESC LIMIT @limit`,
      )
      .all({
        target: options.target ?? null,
        status: options.status ?? null,
        limit: options.limit,
      }) as OutboxRow[];
    return rows.map(toEntry);
  }

  /** Pending rows per target (targets without any are absent). */
  pendingByTarget(): Record<string, number> {
    const rows = this.#db
      .prepare(
        `SELECT target, COUNT(*) AS count FROM notification_outbox WHERE status = 'pending' GROUP BY target`,
      )
      .all() as { target: string; count: number }[];
    return Object.fromEntries(rows.map((row) => [row.target, row.count]));
  }

  /** Deletes finished rows (delivered, failed, rate-limited) last updated before `beforeMs`. Returns how many. */
  prune(beforeMs: number): number {
    return this.#db
      .prepare(`DELETE FROM notification_outbox WHERE status != 'pending' AND updated_at_ms < ?`)
      .run(Math.round(beforeMs)).changes;
  }
}
