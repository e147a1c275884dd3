// The control API under /api: breaker state and control (and, when a store is wired, stats).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Gateway } from '../gateway/gateway.js';
import { ErrorCodes, KeelError, invalidRequest } from '../spec/index.js';
import { createAdminGuard } from './admin-auth.js';

export interface ApiRoutesOptions {
  gateway: Gateway;
  adminToken: string | undefined;
  /** More /api routes to mount behind the same guard (stats, requests...). */
  extensions?: FastifyPluginAsync[];
}

export function registerApiRoutes(app: FastifyInstance, options: ApiRoutesOptions): void {
  const { gateway } = options;
  void app.register(async (api) => {
    api.addHook('onRequest', createAdminGuard(options.adminToken));

    api.get('/api/breakers', (_request, reply) => reply.send({ breakers: gateway.breakerSnapshots() }));

    api.post('/api/breakers/:action', (request, reply) => {
      const { action } = request.params as { action: string };
      const body = (request.body ?? {}) as { target?: unknown; reason?: unknown };
      if (typeof body.target !== 'string')
        throw invalidRequest('Send {"target": "provider/model"}.', 'target');
      if (!gateway.targetKeys().includes(body.target)) {
        throw new KeelError({
          code: ErrorCodes.invalidRequest,
          status: 404,
          param: 'target',
          message: `No target "${body.target}". Targets: ${gateway.targetKeys().join(', ')}.`,
        });
      }
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 200) : undefined;
      if (action === 'trip') gateway.breakers.trip(body.target, reason);
      else if (action === 'reset') gateway.breakers.reset(body.target, reason);
      else throw invalidRequest(`Unknown action "${action}"; use /api/breakers/trip or /api/breakers/reset.`);
      return reply.send(gateway.breakers.snapshot(body.target));
    });

    for (const extension of options.extensions ?? []) await api.register(extension);
  });
}
