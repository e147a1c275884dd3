// The shape of a gateway key as stored and listed: everything but the secret.
import type { CallerKey } from '../policy/request-policy.js';

/** Per-key limits (enforced by the rate-limit policy). */
export interface KeyRateLimits {
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/** Per-key spend limits (enforced by the budget policy). */
export interface KeyBudget {
  dailyUsd?: number | undefined;
  monthlyUsd?: number | undefined;
}

/** What a key is created with (POST /api/keys, `keel keys create`, or `keys.static` in the config). */
export interface NewKey {
  name: string;
  team?: string | undefined;
  application?: string | undefined;
  environment?: string | undefined;
  /** Aliases or "provider/model" this key may call ("provider/*" for all of a provider); undefined = any. */
  allowedModels?: string[] | undefined;
  rateLimits?: KeyRateLimits | undefined;
  budget?: KeyBudget | undefined;
}

/** A key as the control API lists it: never the secret, never its hash. */
export interface KeyRecord extends NewKey {
  /** `key_` + 16 hex characters (static keys: `key_static_<name>`). */
  id: string;
  /** The first 12 characters of the secret ("keel_sk_AbCd"), to tell keys apart. */
  prefix: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, once revoked; a revoked key is refused from then on. */
  revokedAt?: string | undefined;
  /** "store" (created at run time) or "config" (declared in keys.static). */
  source: 'store' | 'config';
}

/** A key with the hash of its secret: what a KeyStore keeps and the KeyRing indexes. */
export interface StoredKey extends KeyRecord {
  /** SHA-256 of the secret, hex. */
  secretHash: string;
}

/** The CallerKey the request path sees for a stored key (limits and metadata, no secret, no hash). */
export function toCallerKey(key: KeyRecord): CallerKey {
  return {
    id: key.id,
    name: key.name,
    team: key.team,
    application: key.application,
    environment: key.environment,
    allowedModels: key.allowedModels,
    rateLimits: key.rateLimits,
    budget: key.budget,
  };
}

/** The listed form of a stored key: the hash left out. */
export function toKeyRecord(key: StoredKey): KeyRecord {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the hash is dropped on purpose
  const { secretHash, ...record } = key;
  return record;
}
