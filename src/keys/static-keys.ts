// Keys declared in the config (keys.static), turned into stored keys: hashed, never kept as secrets.
import type { StaticKeyConfig } from '../config/index.js';
import type { StoredKey } from './key-record.js';
import { hashKeySecret } from './key-secret.js';

/**
 * The config's keys as the KeyRing indexes them. Their id is `key_static_<name>` (stable across
 * restarts and replicas); their prefix shows only what is safe: the secret's first 12 characters
 * when the secret is given, else "(hash only)".
 */
export function toStaticKeys(options: { keys: readonly StaticKeyConfig[]; loadedAtMs: number }): StoredKey[] {
  return options.keys.map((key) => {
    const secretHash = key.secretHash ?? hashKeySecret(key.secret ?? '');
    return {
      id: `key_static_${key.name}`,
      name: key.name,
      team: key.team,
      application: key.application,
      environment: key.environment,
      allowedModels: key.allowedModels,
      rateLimits: key.rateLimits,
      budget: key.budget,
      prefix: key.secret === undefined ? '(hash only)' : key.secret.slice(0, 12),
      createdAt: new Date(options.loadedAtMs).toISOString(),
      source: 'config',
      secretHash,
    };
  });
}
