// GET /metrics: the Prometheus text exposition of a prom-client registry.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Serves the registry's metrics at GET /metrics in its own content type (text format 0.0.4).
 * @example registerMetricsRoute(app, { registry: metrics.registry })
 */
export function registerMetricsRoute(app: FastifyInstance, options: { registry: Registry }): void {
  const { registry } = options;
  // In a plugin of its own, so onRoute hooks of plugins registered before (the OpenAPI document) see it.
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  void app.register(async (scope) => {
    scope.get('/metrics', async (_request, reply) => {
      const body = await registry.metrics();
      return reply
        .header('content-type', registry.contentType)
        .header('cache-control', 'no-store')
        .send(body);
    });
  });
}
