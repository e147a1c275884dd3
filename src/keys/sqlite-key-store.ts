// KeyStore on a small SQLite file (default ./data/keys.db): hashes and metadata, never secrets.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { timerScheduler, type Scheduler } from '../spec/index.js';
import type { KeyRecord, NewKey, StoredKey } from './key-record.js';
import { toKeyRecord } from './key-record.js';
import {
  displayPrefix,
  generateKeyId,
  generateKeySecret,
  hashKeySecret,
  type RandomBytes,
} from './key-secret.js';
import type { CreatedKey, KeyStore } from './key-store.js';

const KEYS_SCHEMA_VERSION = 1;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS keys (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  team           TEXT,
  application    TEXT,
  environment    TEXT,
  allowed_models TEXT,
  rate_limits    TEXT,
  budget         TEXT,
  secret_hash    TEXT NOT NULL UNIQUE,
  prefix         TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  revoked_at_ms  INTEGER
);
`;

interface KeyRow {
  id: string;
  name: string;
  team: string | null;
  application: string | null;
  environment: string | null;
  allowed_models: string | null;
  rate_limits: string | null;
  budget: string | null;
  secret_hash: string;
  prefix: string;
  created_at_ms: number;
  revoked_at_ms: number | null;
}

export interface SqliteKeyStoreOptions {
  /** The file; its directory is created, and a new file is made readable by its owner only. `:memory:` for tests. */
  path: string;
  /** Epoch ms; default Date.now. */
  now?: (() => number) | undefined;
  random?: RandomBytes | undefined;
  /** How often to look for changes made by another process (`keel keys --file`); default 5 s. */
  watchIntervalMs?: number | undefined;
  scheduler?: Scheduler | undefined;
}

function parseJson<T>(text: string | null): T | undefined {
  return text === null ? undefined : (JSON.parse(text) as T);
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function rowToKey(row: KeyRow): StoredKey {
  return {
    id: row.id,
    name: row.name,
    team: row.team ?? undefined,
    application: row.application ?? undefined,
    environment: row.environment ?? undefined,
    allowedModels: parseJson<string[]>(row.allowed_models),
    rateLimits: parseJson(row.rate_limits),
    budget: parseJson(row.budget),
    prefix: row.prefix,
    createdAt: new Date(row.created_at_ms).toISOString(),
    revokedAt: row.revoked_at_ms === null ? undefined : new Date(row.revoked_at_ms).toISOString(),
    source: 'store',
    secretHash: row.secret_hash,
  };
}

/**
 * The single-process KeyStore. Changes made through this object are announced at once; changes
 * another process makes to the same file are noticed by polling SQLite's data_version.
 * @example const store = new SqliteKeyStore({ path: './data/keys.db' }); const { secret } = await store.create({ name: 'ci' })
 */
export class SqliteKeyStore implements KeyStore {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #random: RandomBytes | undefined;
  readonly #listeners = new Set<() => void>();
  #dataVersion: number;
  #stopWatching: (() => void) | undefined;

  constructor(options: SqliteKeyStoreOptions) {
    const isFile = options.path !== ':memory:';
    const isNew = isFile && !existsSync(options.path);
    if (isFile) mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new Database(options.path);
    // The file holds hashes, not secrets, but who may call what is still nobody else's business.
    if (isNew) chmodSync(options.path, 0o600);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
    const version = this.#db.pragma('user_version', { simple: true });
    if (typeof version !== 'number' || version > KEYS_SCHEMA_VERSION) {
      this.#db.close();
      throw new Error(
        `key store ${options.path} has schema version ${String(version)}, newer than this Keel's (${KEYS_SCHEMA_VERSION}); upgrade Keel`,
      );
    }
    if (version < KEYS_SCHEMA_VERSION) {
      this.#db.exec(SCHEMA_SQL);
      this.#db.pragma(`user_version = ${KEYS_SCHEMA_VERSION}`);
    }
    this.#now = options.now ?? Date.now;
    this.#random = options.random;
    this.#dataVersion = this.#readDataVersion();
    if (isFile) {
      const scheduler = options.scheduler ?? timerScheduler;
      this.#stopWatching = scheduler.every(options.watchIntervalMs ?? 5000, () => this.checkForChanges());
    }
  }

  create(key: NewKey): Promise<CreatedKey> {
    return settle(() => {
      const secret = generateKeySecret(this.#random);
      const row: KeyRow = {
        id: generateKeyId(this.#random),
        name: key.name,
        team: key.team ?? null,
        application: key.application ?? null,
        environment: key.environment ?? null,
        allowed_models: toJson(key.allowedModels),
        rate_limits: toJson(key.rateLimits),
        budget: toJson(key.budget),
        secret_hash: hashKeySecret(secret),
        prefix: displayPrefix(secret),
        created_at_ms: Math.round(this.#now()),
        revoked_at_ms: null,
      };
      this.#db
        .prepare(
          `INSERT INTO keys (id, name, team, application, environment, allowed_models, rate_limits, budget,
             secret_hash, prefix, created_at_ms, revoked_at_ms)
           VALUES (@id, @name, @team, @application, @environment, @allowed_models, @rate_limits, @budget,
             @secret_hash, @prefix, @created_at_ms, @revoked_at_ms)`,
        )
        .run(row);
      this.#changed();
      return { record: toKeyRecord(rowToKey(row)), secret };
    });
  }

  list(): Promise<KeyRecord[]> {
    return settle(() => this.#all().map(toKeyRecord));
  }

  get(id: string): Promise<KeyRecord | undefined> {
    return settle(() => {
      const row = this.#db.prepare('SELECT * FROM keys WHERE id = ?').get(id) as KeyRow | undefined;
      return row === undefined ? undefined : toKeyRecord(rowToKey(row));
    });
  }

  revoke(id: string): Promise<KeyRecord | undefined> {
    return settle(() => {
      const result = this.#db
        .prepare('UPDATE keys SET revoked_at_ms = ? WHERE id = ? AND revoked_at_ms IS NULL')
        .run(Math.round(this.#now()), id);
      if (result.changes > 0) this.#changed();
      const row = this.#db.prepare('SELECT * FROM keys WHERE id = ?').get(id) as KeyRow | undefined;
      return row === undefined ? undefined : toKeyRecord(rowToKey(row));
    });
  }

  loadAll(): Promise<StoredKey[]> {
    return settle(() => this.#all());
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Announces a change when another connection wrote to the file since the last look. */
  checkForChanges(): void {
    const version = this.#readDataVersion();
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    this.#emit();
  }

  close(): Promise<void> {
    this.#stopWatching?.();
    this.#listeners.clear();
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }

  #all(): StoredKey[] {
    const rows = this.#db.prepare('SELECT * FROM keys ORDER BY created_at_ms, rowid').all() as KeyRow[];
    return rows.map(rowToKey);
  }

  #readDataVersion(): number {
    return Number(this.#db.pragma('data_version', { simple: true }));
  }

  #changed(): void {
    // data_version does not move for this connection's own writes; announce them directly.
    this.#emit();
  }

  #emit(): void {
    for (const listener of this.#listeners) listener();
  }
}

/** Runs synchronous work as a promise: a throw becomes a rejection. */
function settle<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(work()));
}
