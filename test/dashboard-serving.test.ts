// The dashboard's HTTP side: / redirects, /ui and client routes get index.html, assets get types and caching, 503 unbuilt.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeel, type Keel } from '../src/compose/create-keel.js';
import { validateConfig } from '../src/config/index.js';
import { withTempStore } from './support/keel-harness.js';

const config = {
  providers: [{ id: 'steady', type: 'mock' as const, latencyMs: { p50: 5, p99: 10 }, seed: 1 }],
  models: [{ name: 'chat', targets: [{ provider: 'steady', model: 'mock-model' }] }],
};

async function start(uiDirectory?: string): Promise<{ keel: Keel; url: string }> {
  const keel = createKeel({
    config: validateConfig(withTempStore(config), { source: 'test', env: {} }),
    logger: pino({ level: 'silent' }),
    uiDirectory,
  });
  return { keel, url: await keel.listen({ port: 0, host: '127.0.0.1' }) };
}

describe('serving the dashboard', () => {
  let built: { keel: Keel; url: string };
  let unbuilt: { keel: Keel; url: string };

  beforeAll(async () => {
    built = await start();
    unbuilt = await start(join(mkdtempSync(join(tmpdir(), 'keel-no-ui-')), 'ui'));
  });
  afterAll(async () => {
    await Promise.all([built.keel.close(500), unbuilt.keel.close(500)]);
  });

  it('redirects / to /ui/', async () => {
    const response = await fetch(`${built.url}/`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/ui/');
  });

  it('answers /ui, /ui/ and client routes with index.html, never cached stale', async () => {
    for (const path of ['/ui', '/ui/', '/ui/incidents/INC-4', '/ui/monitors']) {
      const response = await fetch(`${built.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await response.text()).toContain('<div id="app"></div>');
    }
  });

  it('serves the hashed script and style with their types, cached for good', async () => {
    const html = await (await fetch(`${built.url}/ui/`)).text();
    const script = /src="(\/ui\/assets\/app-[\w]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/ui\/assets\/app-[\w]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const scriptResponse = await fetch(`${built.url}${script}`);
    expect(scriptResponse.status).toBe(200);
    expect(scriptResponse.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(scriptResponse.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const styleResponse = await fetch(`${built.url}${style}`);
    expect(styleResponse.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // uPlot's own CSS is bundled in: no CDN, works offline.
    expect(await styleResponse.text()).toContain('.uplot');
  });

  it('answers an unknown asset with 404, and refuses paths that leave the assets folder', async () => {
    for (const path of [
      '/ui/assets/app-nope.js',
      '/ui/assets/..%2F..%2Fpackage.json',
      '/ui/assets/%2e%2e%2findex.html',
    ]) {
      const response = await fetch(`${built.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'KEEL_ROUTE_NOT_FOUND',
      );
    }
  });

  it('says to run npm run build when the dashboard was not built', async () => {
    const response = await fetch(`${unbuilt.url}/ui/`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('KEEL_UI_NOT_BUILT');
    expect(body.error.message).toContain('npm run build');
  });
});
