// GET /health: liveness, plus every target's circuit breaker.
import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../gateway/gateway.js';

export function registerHealthRoute(
  app: FastifyInstance,
  options: { gateway: Gateway; startedAt: number },
): void {
  // In a plugin of its own, so onRoute hooks of plugins registered before (the OpenAPI document) see it.
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  void app.register(async (scope) => {
    scope.get('/health', async (_request, reply) => {
      const { gateway } = options;
      const targets = gateway.breakerSnapshots();
      const open = targets.filter((target) => target.status !== 'closed').length;
      return reply.send({
        status: open === 0 ? 'ok' : open === targets.length ? 'down' : 'degraded',
        uptimeSeconds: Math.round((Date.now() - options.startedAt) / 1000),
        targets,
      });
    });
  });
}
