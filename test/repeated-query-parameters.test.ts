// A query parameter given twice is a 400 naming it, on every route, never a 500 or a joined value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

describe('repeated query parameters', () => {
  let harness: KeelHarness;

  beforeAll(async () => {
    harness = await startKeel({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 7 }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      monitors: {
        definitions: [
          {
            id: 'p95-latency',
            type: 'threshold',
            metric: 'latency.p95',
            window: '5m',
            warn: 2000,
            critical: 4000,
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  const get = async (path: string) => {
    const response = await fetch(`${harness.url}${path}`);
    return {
      status: response.status,
      body: (await response.json()) as { error?: { code: string; message: string; param: string | null } },
    };
  };

  it.each([
    ['/api/incidents?status=active&status=stable', 'status', 2],
    ['/api/incidents?from=1&from=2', 'from', 2],
    ['/api/stats?window=1h&window=2h&window=3h', 'window', 3],
    ['/api/monitors/p95-latency/evaluations?window=1h&window=2h', 'window', 2],
    ['/api/monitors/x/evaluations?window=1h&window=2h', 'window', 2],
  ])('GET %s is a 400 naming %s', async (path, param, count) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({
      code: 'KEEL_INVALID_REQUEST',
      param,
      message: `'${param}' was given ${count} times; give it once.`,
    });
  });

  it.each([
    '/api/incidents?status=active,stable&from=1',
    '/api/stats?window=2h',
    '/api/monitors/p95-latency/evaluations?window=1h',
  ])('GET %s with each parameter once still answers 200', async (path) => {
    const { status } = await get(path);
    expect(status).toBe(200);
  });
});
