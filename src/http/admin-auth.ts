// Guards the control API (/api/*): a bearer admin token when one is set, else loopback clients only.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { sendError } from './edge-errors.js';

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A preHandler for /api routes. With `adminToken` set, requests must carry
 * `Authorization: Bearer <token>`; without it, only loopback clients are served.
 */
export function createAdminGuard(adminToken: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (adminToken !== undefined && adminToken !== '') {
      const header = request.headers.authorization ?? '';
      const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
      if (token !== '' && tokensMatch(token, adminToken)) return;
      reply.header('www-authenticate', 'Bearer realm="keel-admin"');
      await sendError(
        reply,
        new KeelError({
          code: ErrorCodes.adminUnauthorized,
          status: 401,
          message: 'The control API needs Authorization: Bearer <KEEL_ADMIN_TOKEN>.',
        }),
      );
      return;
    }
    if (loopback.has(request.socket.remoteAddress ?? '')) return;
    await sendError(
      reply,
      new KeelError({
        code: ErrorCodes.adminForbidden,
        status: 403,
        message:
          'The control API is served to loopback clients only; set KEEL_ADMIN_TOKEN to open it to others.',
      }),
    );
  };
}
