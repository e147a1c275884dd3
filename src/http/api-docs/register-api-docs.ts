// Serves the API's documentation: /openapi.json from the route docs, Swagger UI at /docs, ReDoc at /redoc.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { RouteConfig } from '../../config/index.js';
import { chaosOperations } from './chaos-operations.js';
import { controlOperations } from './control-operations.js';
import { gatewayOperations, promptRouteOperation } from './gateway-operations.js';
import { monitoringOperations } from './monitoring-operations.js';
import { probeOperations } from './probe-operations.js';
import type { OperationCatalog, OperationDoc } from './operation-docs.js';

const require = createRequire(import.meta.url);

/** Documentation pages and the document itself: public, like /health, and never in the document. */
export const API_DOCS_PATHS = { document: '/openapi.json', swaggerUi: '/docs', redoc: '/redoc' } as const;

/** Every documented route of Keel's own, by `METHOD /path`. */
export const keelOperations: OperationCatalog = {
  ...gatewayOperations,
  ...controlOperations,
  ...monitoringOperations,
  ...chaosOperations,
  ...probeOperations,
};

const redocPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Keel API</title>
    <style>body { margin: 0; }</style>
  </head>
  <body>
    <redoc spec-url="openapi.json"></redoc>
    <script src="redoc/redoc.standalone.js"></script>
  </body>
</html>
`;

/** Who may call a route: the admin token for /api, a gateway key for the client routes, nobody else. */
function securityOf(url: string, doc: OperationDoc): Record<string, string[]>[] | undefined {
  if (url.startsWith('/api/')) return [{ adminToken: [] }];
  if (doc.tags.includes('chat') || doc.tags.includes('prompts')) return [{ gatewayKey: [] }, {}];
  return undefined;
}

/**
 * Registers @fastify/swagger, Swagger UI and ReDoc. Call before any route is registered: the
 * document lists the routes registered after it. The route docs reach OpenAPI only, through the
 * `transform` hook; fastify never compiles them, so validation, errors and serialization are the
 * handlers' own, unchanged.
 * @example registerApiDocs(app, { promptRoutes: config.routes })
 */
export function registerApiDocs(
  app: FastifyInstance,
  options: { promptRoutes: readonly RouteConfig[] },
): void {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const operations: OperationCatalog = { ...keelOperations };
  for (const route of options.promptRoutes) operations[`POST ${route.path}`] = promptRouteOperation(route);

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keel',
        version,
        description:
          'LLM reliability gateway: an OpenAI-compatible API, prompt routes, health, metrics and the control API under /api. docs/api.md has the details.',
      },
      tags: [
        { name: 'chat', description: 'The OpenAI-compatible API: chat completions and models.' },
        { name: 'prompts', description: 'The prompt routes of the config: a template filled from the body.' },
        { name: 'health', description: 'Liveness and circuit breakers.' },
        { name: 'metrics', description: 'Prometheus metrics.' },
        { name: 'breakers', description: 'Circuit breaker state and manual control.' },
        { name: 'stats', description: 'Stats, request records and time series from the telemetry store.' },
        { name: 'keys', description: 'Gateway keys.' },
        { name: 'budgets', description: 'Spend budgets.' },
        { name: 'experiments', description: 'A/B experiments and their reports.' },
        { name: 'monitors', description: 'Monitors and SLOs, their state and history.' },
        { name: 'incidents', description: 'Incidents, their timelines and postmortems.' },
        {
          name: 'insights',
          description: 'Health score, recommendations, attribution, ROI and cost forecast.',
        },
        { name: 'notifications', description: 'The webhook notification outbox.' },
        { name: 'chaos', description: 'Fault injection per provider target, expiring by itself.' },
        {
          name: 'probes',
          description: 'Synthetic probes per environment and model, and their measurements.',
        },
      ],
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'KEEL_ADMIN_TOKEN; without one, /api is served to loopback clients only.',
          },
          gatewayKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A gateway key (keel_sk_...), needed once any key exists.',
          },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const method = [route.method].flat()[0] ?? 'GET';
      const doc = operations[`${method} ${url}`];
      if (doc === undefined) return { schema, url };
      const security = securityOf(url, doc);
      const documented = { ...schema, ...doc, ...(security === undefined ? {} : { security }) };
      return { schema: documented, url };
    },
  });
  void app.register(fastifySwaggerUi, { routePrefix: API_DOCS_PATHS.swaggerUi });

  const hidden = { schema: { hide: true } };
  app.get(API_DOCS_PATHS.document, hidden, (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(app.swagger()),
  );
  app.get(API_DOCS_PATHS.redoc, hidden, (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage),
  );
  let redocBundle: Promise<Buffer> | undefined;
  app.get(`${API_DOCS_PATHS.redoc}/redoc.standalone.js`, hidden, async (_request, reply) => {
    redocBundle ??= readFile(require.resolve('redoc/bundles/redoc.standalone.js'));
    return reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(await redocBundle);
  });
}
