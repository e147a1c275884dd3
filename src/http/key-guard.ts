// Gateway keys at the edge: an onRequest hook for /v1/* and prompt routes that attaches the CallerKey.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyRing } from '../keys/key-ring.js';
import type { CallerKey } from '../policy/request-policy.js';
import { sendError } from './edge-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The gateway key the request carried; undefined while Keel runs open. */
    callerKey: CallerKey | undefined;
  }
}

/**
 * Refuses requests without a valid key (401 KEEL_INVALID_API_KEY) unless Keel runs open; sets
 * `request.callerKey`. The lookup is a hash and a Map read; the first request waits for the first load.
 */
export function createKeyGuard(ring: KeyRing) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await ring.ready();
    const decision = ring.authenticate(request.headers.authorization);
    if (decision.kind === 'allowed') request.callerKey = decision.key;
    else if (decision.kind === 'refused') await sendError(reply, decision.error);
  };
}
