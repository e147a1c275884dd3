// Gateway key secrets: how they are made, hashed for storage, and shown (a short prefix).
import { createHash, randomBytes } from 'node:crypto';

/** Every gateway key secret starts with this, so secret scanners and people can recognise one. */
export const keySecretPrefix = 'keel_sk_';

/** Random bytes per secret: 32 bytes = 256 bits, 43 url-safe base64 characters. */
const secretBytes = 32;

/** How many characters of a secret are kept, and shown, to tell keys apart ("keel_sk_AbCd"). */
export const displayPrefixLength = 12;

/** Where random bytes come from; injectable so tests can make known secrets. */
export type RandomBytes = (size: number) => Buffer;

/** A new secret: `keel_sk_` + 43 url-safe characters (256 random bits). */
export function generateKeySecret(random: RandomBytes = randomBytes): string {
  return `${keySecretPrefix}${random(secretBytes).toString('base64url')}`;
}

/** A new key id: `key_` + 16 random hex characters. Not secret; safe for logs and URLs. */
export function generateKeyId(random: RandomBytes = randomBytes): string {
  return `key_${random(8).toString('hex')}`;
}

/**
 * The stored form of a secret: its SHA-256, hex. A fast hash is enough here (no salt, no bcrypt)
 * because the secret is 256 random bits, not a password: there is no dictionary to try, and
 * guessing a preimage is as hard as guessing the secret.
 */
export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The non-secret part shown in lists: the first 12 characters, e.g. "keel_sk_AbCd". */
export function displayPrefix(secret: string): string {
  return secret.slice(0, displayPrefixLength);
}

/** Reads `Authorization: Bearer <secret>`; undefined when absent or not a bearer token. */
export function readBearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}
