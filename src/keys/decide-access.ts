// Pure decisions at the edge: which key a request carries, and whether that key may call a model.
import type { CallerKey } from '../policy/request-policy.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { hashKeySecret, readBearerToken } from './key-secret.js';

/** What the edge knows of the keys: active ones by secret hash, revoked hashes, and whether Keel is open. */
export interface KeyIndex {
  active: ReadonlyMap<string, CallerKey>;
  revoked: ReadonlySet<string>;
  /** No key exists (and keys.required is off): every client is let in, without a key. */
  open: boolean;
}

export type AccessDecision =
  { kind: 'open' } | { kind: 'allowed'; key: CallerKey } | { kind: 'refused'; error: KeelError };

function invalidKey(message: string): KeelError {
  return new KeelError({
    code: ErrorCodes.invalidApiKey,
    status: 401,
    message,
    headers: { 'www-authenticate': 'Bearer realm="keel"' },
  });
}

/**
 * Decides a request from its Authorization header: a hash and a Map lookup, no I/O.
 * In open mode a request is let in even with a key (it is not checked, and no CallerKey is attached).
 */
export function decideAccess(options: {
  authorization: string | undefined;
  index: KeyIndex;
}): AccessDecision {
  const { index } = options;
  if (index.open) return { kind: 'open' };
  const token = readBearerToken(options.authorization);
  if (token === undefined) {
    return {
      kind: 'refused',
      error: invalidKey('This Keel needs a gateway key: send Authorization: Bearer keel_sk_...'),
    };
  }
  const hash = hashKeySecret(token);
  const key = index.active.get(hash);
  if (key !== undefined) return { kind: 'allowed', key };
  if (index.revoked.has(hash)) {
    return { kind: 'refused', error: invalidKey('This gateway key was revoked; ask for a new one.') };
  }
  return { kind: 'refused', error: invalidKey('The gateway key is not valid (unknown key).') };
}

/** Does `allowedModels` let a key call `model`? Exact names, or "provider/*" for any of a provider's models. */
export function isModelAllowed(allowedModels: readonly string[] | undefined, model: string): boolean {
  if (allowedModels === undefined) return true;
  return allowedModels.some((allowed) =>
    allowed.endsWith('/*') ? model.startsWith(allowed.slice(0, -1)) : allowed === model,
  );
}

/** The 403 for a model the key may not call. */
export function modelNotAllowed(key: CallerKey, model: string): KeelError {
  return new KeelError({
    code: ErrorCodes.modelNotAllowed,
    status: 403,
    param: 'model',
    message: `The gateway key "${key.name}" may not call "${model}"; it may call: ${(key.allowedModels ?? []).join(', ') || '(no models)'}.`,
  });
}
