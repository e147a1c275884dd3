// API documentation: /openapi.json validates as OpenAPI 3 and covers every route; /docs and /redoc load offline.
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createKeel } from '../src/compose/create-keel.js';
import { keelOperations } from '../src/http/api-docs/register-api-docs.js';
import { validateConfig, type KeelConfigInput } from '../src/config/index.js';
import { startKeel, withTempStore, type KeelHarness } from './support/keel-harness.js';

const config: KeelConfigInput = {
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 } }],
  models: [
    { name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] },
    { name: 'chat-b', targets: [{ provider: 'sim', model: 'sim-2' }] },
  ],
  routes: [{ path: '/ask', model: 'chat', template: 'Answer {{question}} for {{audience}}' }],
  experiments: [{ id: 'bigger', model: 'chat', variants: [{ id: 'a' }, { id: 'b', model: 'chat-b' }] }],
  budgets: { global: { dailyUsd: 100 } },
  notifications: { webhooks: [{ id: 'oncall', url: 'http://127.0.0.1:9/hook', format: 'json' }] },
};

interface Operation {
  summary?: string;
  tags?: string[];
  responses?: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: { required?: string[] } } | undefined> };
}
type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
};

/** Every route fastify serves, as `METHOD /path` in OpenAPI's path syntax (HEAD left out), from printRoutes' tree. */
function servedRoutes(printed: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of printed.split('\n')) {
    const branch = line.indexOf('── ');
    const match = /^(\S*) \(([A-Z, ]+)\)$/.exec(line.slice(branch + 3));
    if (branch < 0 || match?.[1] === undefined || match[2] === undefined) continue;
    const depth = (branch - 1) / 4;
    const path = (prefixes[depth - 1] ?? '') + match[1];
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    const openApiPath = path.replace(/:(\w+)/g, '{$1}');
    for (const method of match[2].split(', ')) if (method !== 'HEAD') routes.push(`${method} ${openApiPath}`);
  }
  return routes;
}

/** The src and href attributes of a page, resolved against its URL. */
function assetUrls(html: string, pageUrl: string): string[] {
  return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => new URL(match[1] ?? '', pageUrl).href);
}

describe('API documentation', () => {
  let harness: KeelHarness;
  let document: OpenApiDocument;

  beforeAll(async () => {
    harness = await startKeel(config);
    const response = await fetch(`${harness.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    document = (await response.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await harness.close();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place: hand it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('documents every /api and /v1 route fastify serves, with its method, summary and tags', () => {
    const served = servedRoutes(harness.keel.server.app.printRoutes({ commonPrefix: false }));
    const apiAndV1 = served.filter((route) => / \/(api|v1)\//.test(route));
    // Every route Keel has docs for is served by this Keel (all extensions on), so none is left untested.
    const catalogued = Object.keys(keelOperations)
      .map((route) => route.replace(/:(\w+)/g, '{$1}'))
      .filter((route) => / \/(api|v1)\//.test(route));
    expect([...apiAndV1].sort()).toEqual([...catalogued].sort());
    expect(apiAndV1).toContain('POST /v1/chat/completions');
    expect(apiAndV1).toContain('POST /api/incidents/{id}/notes');
    // The documentation itself and the dashboard (/, /ui) are pages, not API operations.
    const documented = served.filter((route) => !/ \/(docs|redoc|openapi\.json|ui)\b|^GET \/$/.test(route));
    const missing = documented.filter((route) => {
      const [method = '', path = ''] = route.split(' ');
      const operation = document.paths[path]?.[method.toLowerCase()];
      return operation?.summary === undefined || (operation.tags ?? []).length === 0;
    });
    expect(missing).toEqual([]);
  });

  it('documents the configured prompt routes from their templates', () => {
    const ask = document.paths['/ask']?.post;
    expect(ask?.tags).toEqual(['prompts']);
    expect(ask?.requestBody?.content['application/json']?.schema.required).toEqual(['question', 'audience']);
  });

  it('keeps the documentation pages and the document out of the document', () => {
    expect(Object.keys(document.paths).filter((path) => /^\/(docs|redoc|openapi)/.test(path))).toEqual([]);
  });

  it('serves Swagger UI at /docs with every asset from Keel itself', async () => {
    for (const page of [`${harness.url}/docs`, `${harness.url}/docs/`]) {
      const response = await fetch(page);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const assets = assetUrls(await response.text(), page);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        expect(asset.startsWith(harness.url), asset).toBe(true);
        expect((await fetch(asset)).status, asset).toBe(200);
      }
    }
    const initializer = await (await fetch(`${harness.url}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain('json');
    const spec = (await (await fetch(`${harness.url}/docs/json`)).json()) as OpenApiDocument;
    expect(Object.keys(spec.paths)).toEqual(Object.keys(document.paths));
  });

  it('serves ReDoc at /redoc with its bundle from Keel itself', async () => {
    const page = `${harness.url}/redoc`;
    const response = await fetch(page);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('spec-url="openapi.json"');
    const assets = assetUrls(html, page);
    expect(assets).toEqual([`${harness.url}/redoc/redoc.standalone.js`]);
    const bundle = await fetch(`${harness.url}/redoc/redoc.standalone.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
  });

  it('serves the documentation without the admin token that guards /api', async () => {
    const guarded = createKeel({
      config: validateConfig(withTempStore(config), { source: 'test', env: {} }),
      logger: pino({ level: 'silent' }),
      adminToken: 's3cret',
    });
    try {
      const url = await guarded.listen({ port: 0, host: '127.0.0.1' });
      expect((await fetch(`${url}/api/breakers`)).status).toBe(401);
      for (const path of ['/openapi.json', '/docs', '/redoc', '/redoc/redoc.standalone.js']) {
        expect((await fetch(`${url}${path}`)).status, path).toBe(200);
      }
    } finally {
      await guarded.close(2000);
    }
  });
});
