// The in-memory index of gateway keys that authentication reads: rebuilt at start and on every change.
import type { CallerKey } from '../policy/request-policy.js';
import { decideAccess, type AccessDecision, type KeyIndex } from './decide-access.js';
import { toCallerKey, type StoredKey } from './key-record.js';
import type { KeyStore } from './key-store.js';

export interface KeyRingOptions {
  /** Keys created at run time; undefined when only config keys are used. */
  store?: KeyStore | undefined;
  /** Keys declared in the config (keys.static), already hashed. */
  staticKeys?: readonly StoredKey[] | undefined;
  /** Refuse every request while no key exists, instead of running open. */
  required?: boolean | undefined;
  /** A reload after a change failed; the previous keys stay in force. */
  onReloadError?: ((error: unknown) => void) | undefined;
}

const empty: KeyIndex = { active: new Map(), revoked: new Set(), open: false };

/**
 * Holds every active key by secret hash. `authenticate` is a hash and a Map lookup; the store is
 * read only by `reload`, which runs at start and whenever the store reports a change.
 * @example const ring = new KeyRing({ store }); await ring.reload(); ring.authenticate(request.headers.authorization)
 */
export class KeyRing {
  readonly #options: KeyRingOptions;
  #index: KeyIndex = empty;
  #loaded: Promise<void> | undefined;
  #generation = 0;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: KeyRingOptions) {
    this.#options = options;
    this.#unsubscribe = options.store?.onChange(() => {
      this.reload().catch((error: unknown) => options.onReloadError?.(error));
    });
  }

  /** Loads the keys once; later calls wait for that first load. */
  ready(): Promise<void> {
    this.#loaded ??= this.reload();
    return this.#loaded;
  }

  /** Reads every key again. Overlapping reloads are safe: only the latest one's result is kept. */
  async reload(): Promise<void> {
    const generation = ++this.#generation;
    const stored = [...(this.#options.staticKeys ?? []), ...((await this.#options.store?.loadAll()) ?? [])];
    if (generation !== this.#generation) return;
    const active = new Map<string, CallerKey>();
    const revoked = new Set<string>();
    for (const key of stored) {
      if (key.revokedAt === undefined) active.set(key.secretHash, toCallerKey(key));
      else revoked.add(key.secretHash);
    }
    // Revoking the last key must not open Keel: it is open only while no key was ever made.
    const open = stored.length === 0 && this.#options.required !== true;
    this.#index = { active, revoked, open };
    this.#loaded ??= Promise.resolve();
  }

  /** True while no key exists and keys are not required: any client is served. */
  get open(): boolean {
    return this.#index.open;
  }

  /** Active keys, as counted by the last reload. */
  get activeCount(): number {
    return this.#index.active.size;
  }

  /** Decides a request from its Authorization header (call `ready()` first). */
  authenticate(authorization: string | undefined): AccessDecision {
    return decideAccess({ authorization, index: this.#index });
  }

  close(): void {
    this.#unsubscribe?.();
  }
}
