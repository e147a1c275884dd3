// The operations database: monitor state and history, incidents, the notification outbox (SQLite, main thread).
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** An open operations database; each module creates its own tables on it. */
export type OpsDatabase = Database.Database;

/**
 * Opens (creating when missing) the operations database at `path`, `:memory:` for tests.
 *
 * It holds small, rarely written data (a few rows per evaluation tick), so it is used synchronously
 * from the main thread, never from the request path. WAL keeps readers off the writer's way; a new
 * file is made readable by its owner only, since incidents and notes may quote prompts.
 */
export function openOpsDatabase(path: string): OpsDatabase {
  const inMemory = path === ':memory:';
  const isNew = !inMemory && !existsSync(path);
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  if (isNew) chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  db.pragma('foreign_keys = ON');
  return db;
}
