// Where gateway keys live: one interface for the SQLite file (one process) and, later, Redis (replicas).
import type { KeyRecord, NewKey, StoredKey } from './key-record.js';

/** A key just created: its record, and its secret, which is never stored and never shown again. */
export interface CreatedKey {
  record: KeyRecord;
  secret: string;
}

/**
 * Keeps gateway keys as hashes. Reads are rare (at start and after a change): the KeyRing holds
 * the active keys in memory, so authenticating a request does no I/O. A store shared by several
 * replicas (Redis) reports changes made by the others through `onChange`.
 */
export interface KeyStore {
  /** Makes a key with a fresh secret and stores its hash. */
  create(key: NewKey): Promise<CreatedKey>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<KeyRecord[]>;
  get(id: string): Promise<KeyRecord | undefined>;
  /** Marks a key revoked (once; revoking again keeps the first time). Undefined when there is no such key. */
  revoke(id: string): Promise<KeyRecord | undefined>;
  /** Every key with its secret hash, revoked ones included: what the KeyRing indexes. */
  loadAll(): Promise<StoredKey[]>;
  /**
   * Calls `listener` after any change, made here or by another process or replica (which may be
   * noticed a few seconds later). Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
