// GET /metrics: the Prometheus text exposition of a prom-client registry.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Serves the registry's metrics at GET /metrics in its own content type (text format 0.0.4).
 * @example registerMetricsRoute(app, { registry: metrics.registry })
 */
export function registerMetricsRoute(app: FastifyInstance, options: { registry: Registry }): void {
  const { registry } = options;
  app.get('/metrics', async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body);
  });
}
