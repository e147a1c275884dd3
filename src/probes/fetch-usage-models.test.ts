// The usage reader: every documented body shape, and the stable codes of a usage endpoint that fails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../test/support/closed-port.js';
import {
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../test/support/fixture-server.js';
import { fetchUsageModels, modelsFromUsage, UsageErrorCodes, UsageFetchError } from './fetch-usage-models.js';

/** The error `run` throws (it must throw). */
async function errorOf(run: () => unknown): Promise<UsageFetchError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageFetchError);
    return error as UsageFetchError;
  }
  throw new Error('it did not throw');
}

describe('modelsFromUsage', () => {
  it.each<[string, unknown, string[]]>([
    ['a models list of strings', { models: ['gpt-4o', 'claude'] }, ['gpt-4o', 'claude']],
    [
      'a models list of objects naming model, model_name, name or id',
      {
        models: [
          { model: 'a', requests: 10 },
          { model_name: 'b' },
          { name: 'c' },
          { id: 'd' },
          { model: 'e', name: 'not-this', id: 'nor-this' },
        ],
      },
      ['a', 'b', 'c', 'd', 'e'],
    ],
    ['a mixed models list', { models: ['a', { model: 'b' }] }, ['a', 'b']],
    ['a bare array', ['a', { model: 'b' }, { id: 'c' }], ['a', 'b', 'c']],
    ['an empty list', { models: [] }, []],
    [
      'an OpenAI model list',
      {
        object: 'list',
        data: [
          { id: 'gpt-4o', object: 'model' },
          { id: 'o3-mini', object: 'model' },
        ],
      },
      ['gpt-4o', 'o3-mini'],
    ],
    [
      'Keel stats grouped by model, skipping groups with no successful request',
      {
        groups: [
          { key: { model: 'gpt-4o' }, requests: 5, ok: 3 },
          { key: { model: 'typo-alias' }, requests: 4, ok: 0 },
          { key: { model: 'claude' }, requests: 1, ok: 1 },
          { key: { model: 'no-ok-field' }, requests: 1 },
        ],
      },
      ['gpt-4o', 'claude', 'no-ok-field'],
    ],
    [
      'Keel stats by model, application and provider: failing models stay, probe calls and unknown models do not',
      {
        groups: [
          { key: { model: 'gpt-4o', application: 'chat-app', provider: 'openai' }, requests: 5, ok: 5 },
          { key: { model: 'broken', application: 'chat-app', provider: 'openai' }, requests: 5, ok: 0 },
          {
            key: { model: 'probed-only', application: 'keel-probe', provider: 'openai' },
            requests: 60,
            ok: 60,
          },
          { key: { model: 'typo-alias', application: 'chat-app', provider: '' }, requests: 2, ok: 0 },
        ],
      },
      ['gpt-4o', 'broken'],
    ],
    [
      'Keel stats groups without a usable key',
      {
        groups: [
          null,
          'x',
          { key: null, ok: 2 },
          { key: 'gpt-4o', ok: 2 },
          { key: { provider: 'openai' }, ok: 2 },
        ],
      },
      [],
    ],
    [
      'duplicates and padding, once each in first-seen order',
      { models: ['b', ' a ', 'a', { model: 'b' }, { id: 'a' }] },
      ['b', 'a'],
    ],
    [
      'entries that name no model',
      { models: [42, null, true, '', '   ', { model: 3 }, { requests: 2 }, 'x'.repeat(201), 'ok'] },
      ['ok'],
    ],
  ])('reads %s', (_name, body, models) => {
    expect(modelsFromUsage(body)).toEqual(models);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'gpt-4o'],
    ['a number', 42],
    ['an object without a list', { model: 'gpt-4o' }],
    ['models that is not a list', { models: 'gpt-4o' }],
    ['data that is not a list', { data: { id: 'gpt-4o' } }],
    ['groups that is not a list', { groups: {} }],
  ])('refuses %s with KEEL_PROBE_USAGE_BAD_SHAPE', async (_name, body) => {
    const error = await errorOf(() => modelsFromUsage(body));
    expect(error.code).toBe(UsageErrorCodes.badShape);
    expect(error.code).toBe('KEEL_PROBE_USAGE_BAD_SHAPE');
    expect(error.message).toContain('{"models": [...]}');
  });

  it('accepts 500 models and refuses 501', async () => {
    const names = (count: number) => Array.from({ length: count }, (_, index) => `m${index}`);
    expect(modelsFromUsage(names(500))).toHaveLength(500);
    // Duplicates do not count towards the limit.
    expect(modelsFromUsage([...names(500), ...names(500)])).toHaveLength(500);
    const error = await errorOf(() => modelsFromUsage(names(501)));
    expect(error.code).toBe('KEEL_PROBE_USAGE_BAD_SHAPE');
    expect(error.message).toContain('more than 500 models');
  });
});

describe('fetchUsageModels', () => {
  let server: FixtureServer;

  beforeAll(async () => {
    server = await startFixtureServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.requests.length = 0;
  });

  const text = (status: number, body: string, contentType = 'application/json'): FixtureReply => ({
    kind: 'handler',
    handle: (_request, response) => response.writeHead(status, { 'content-type': contentType }).end(body),
  });

  it('GETs the URL as JSON with the bearer key and returns its models', async () => {
    server.enqueue({ kind: 'json', body: { models: [{ model: 'gpt-prod', requests: 10 }] } });
    const models = await fetchUsageModels({
      url: `${server.url}/usage?days=1`,
      timeoutMs: 2_000,
      apiKey: 'k-usage',
    });
    expect(models).toEqual(['gpt-prod']);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      method: 'GET',
      url: '/usage?days=1',
      headers: { accept: 'application/json', authorization: 'Bearer k-usage' },
    });
  });

  it('sends no authorization header without a key', async () => {
    server.enqueue({ kind: 'json', body: [] });
    await expect(fetchUsageModels({ url: `${server.url}/usage`, timeoutMs: 2_000 })).resolves.toEqual([]);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it.each<[string, FixtureReply, string, string]>([
    [
      'HTTP 500',
      { kind: 'json', status: 500, body: { error: 'down' } },
      'KEEL_PROBE_USAGE_HTTP_ERROR',
      'HTTP 500',
    ],
    ['HTTP 404', text(404, 'not found', 'text/plain'), 'KEEL_PROBE_USAGE_HTTP_ERROR', 'HTTP 404'],
    ['a redirect', text(302, ''), 'KEEL_PROBE_USAGE_HTTP_ERROR', 'HTTP 302'],
    [
      'a body that is not JSON',
      text(200, '<html>usage</html>', 'text/html'),
      'KEEL_PROBE_USAGE_BAD_SHAPE',
      'not JSON',
    ],
    ['an empty body', text(200, ''), 'KEEL_PROBE_USAGE_BAD_SHAPE', 'not JSON'],
    [
      'JSON of another shape',
      { kind: 'json', body: { total: 3 } },
      'KEEL_PROBE_USAGE_BAD_SHAPE',
      'not a model list',
    ],
    ['a connection reset', { kind: 'reset' }, 'KEEL_PROBE_USAGE_UNREACHABLE', 'not reached'],
  ])('%s', async (_name, reply, code, message) => {
    server.enqueue(reply);
    const error = await errorOf(() => fetchUsageModels({ url: `${server.url}/usage`, timeoutMs: 2_000 }));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('a body larger than 4 MiB is KEEL_PROBE_USAGE_BAD_SHAPE', async () => {
    server.enqueue(text(200, JSON.stringify({ models: ['x'.repeat(4 * 1024 * 1024)] })));
    const error = await errorOf(() => fetchUsageModels({ url: `${server.url}/usage`, timeoutMs: 5_000 }));
    expect(error.code).toBe('KEEL_PROBE_USAGE_BAD_SHAPE');
    expect(error.message).toContain('larger than');
  });

  it('a refused connection is KEEL_PROBE_USAGE_UNREACHABLE', async () => {
    const port = await closedPort();
    const error = await errorOf(() =>
      fetchUsageModels({ url: `http://127.0.0.1:${port}/usage`, timeoutMs: 2_000 }),
    );
    expect(error.code).toBe('KEEL_PROBE_USAGE_UNREACHABLE');
    expect(error.name).toBe('UsageFetchError');
  });

  it('an aborted signal ends a read that hangs, as KEEL_PROBE_USAGE_UNREACHABLE', async () => {
    server.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = errorOf(() =>
      fetchUsageModels({ url: `${server.url}/usage`, timeoutMs: 600_000, signal: controller.signal }),
    );
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(new Error('probes stopped'));
    const error = await pending;
    expect(error.code).toBe('KEEL_PROBE_USAGE_UNREACHABLE');
    expect(error.message).toContain('probes stopped');
  }, 5_000);

  it('an endpoint that never answers is KEEL_PROBE_USAGE_UNREACHABLE after timeoutMs', async () => {
    server.enqueue({ kind: 'hang' });
    const error = await errorOf(() => fetchUsageModels({ url: `${server.url}/usage`, timeoutMs: 100 }));
    expect(error.code).toBe('KEEL_PROBE_USAGE_UNREACHABLE');
  });
});
