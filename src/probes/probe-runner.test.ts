// ProbeRunner against a loopback endpoint, driven by a manual clock and scheduler: model lists from
// config and usage, usage failures, simple mode's own URL, keys, and what status() shows.
import { describe, expect, it, vi } from 'vitest';
import type { RecordedRequest } from '../../test/support/fixture-server.js';
import {
  answerJson,
  answerPong,
  usageOf,
  useProbeRunnerFixture,
} from '../../test/support/probe-runner-fixture.js';
import type { ProbeRunner } from './probe-runner.js';

const fixture = useProbeRunnerFixture();
const modelsOf = (runner: ProbeRunner, index = 0) => runner.status().environments[index]?.models;

describe('ProbeRunner model lists', () => {
  it('probes config ∪ usage, and a failed usage read keeps the last good list and shows in status()', async () => {
    const onError = vi.fn();
    const runner = fixture.runnerOf(
      { ...fixture.prodAt({ models: ['c1'] }), models: ['shared'] },
      { onError },
    );
    const t0 = fixture.clock.now();

    fixture.endpoint.usage = usageOf('u1', 'c1');
    await runner.runCycle();
    expect(modelsOf(runner)).toEqual([
      { model: 'shared', sources: ['config'] },
      { model: 'c1', sources: ['config', 'usage'] },
      { model: 'u1', sources: ['usage'] },
    ]);
    expect(fixture.probedModels().sort()).toEqual(['c1', 'shared', 'u1']);
    expect(runner.status().environments[0]?.usage).toEqual({
      lastOkAtMs: t0,
      lastErrorAtMs: null,
      error: null,
      errorCode: null,
    });

    fixture.clock.advance(60_000);
    fixture.endpoint.usage = (response) => answerJson(response, 500, { error: 'down' });
    await runner.runCycle();
    expect(modelsOf(runner)?.map((entry) => entry.model)).toEqual(['shared', 'c1', 'u1']);
    expect(fixture.probedModels()).toHaveLength(6);
    expect(runner.status().environments[0]?.usage).toEqual({
      lastOkAtMs: t0,
      lastErrorAtMs: t0 + 60_000,
      error: 'usage endpoint answered HTTP 500',
      errorCode: 'KEEL_PROBE_USAGE_HTTP_ERROR',
    });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[1]).toEqual({ environment: 'prod', stage: 'usage' });

    fixture.clock.advance(60_000);
    fixture.endpoint.usage = usageOf('u2');
    await runner.runCycle();
    expect(modelsOf(runner)).toEqual([
      { model: 'shared', sources: ['config'] },
      { model: 'c1', sources: ['config'] },
      { model: 'u2', sources: ['usage'] },
    ]);
    expect(runner.status().environments[0]?.usage).toEqual({
      lastOkAtMs: t0 + 120_000,
      lastErrorAtMs: t0 + 60_000,
      error: null,
      errorCode: null,
    });
    expect(
      fixture.store.models().map((row) => [row.model, row.sources, row.firstSeenMs, row.lastSeenMs]),
    ).toEqual([
      ['c1', ['config'], t0, t0 + 120_000],
      ['shared', ['config'], t0, t0 + 120_000],
      ['u1', ['usage'], t0, t0 + 60_000],
      ['u2', ['usage'], t0 + 120_000, t0 + 120_000],
    ]);
  });

  it('a usage endpoint that fails from the start leaves the configured models', async () => {
    fixture.endpoint.usage = (response) => answerJson(response, 200, { unexpected: true });
    const runner = fixture.runnerOf(fixture.prodAt({ models: ['c1'] }));
    await runner.runCycle();
    expect(modelsOf(runner)).toEqual([{ model: 'c1', sources: ['config'] }]);
    expect(runner.status().environments[0]?.usage.errorCode).toBe('KEEL_PROBE_USAGE_BAD_SHAPE');
    expect(runner.status().lastCycle).toMatchObject({ probes: 1, failures: 0 });
  });

  it('simple mode reads a shared usage endpoint once per cycle and probes it for every environment', async () => {
    fixture.endpoint.usage = usageOf('m');
    const runner = fixture.runnerOf({
      baseUrl: fixture.endpoint.url,
      usageUrl: `${fixture.endpoint.url}/usage`,
      environments: [{ name: 'dev' }, { name: 'prod' }],
    });
    await runner.runCycle();
    expect(fixture.endpoint.usageReads()).toHaveLength(1);
    expect(
      fixture.endpoint
        .chats()
        .map((request) => [request.headers['x-keel-environment'], (request.body as { model: string }).model])
        .sort(),
    ).toEqual([
      ['dev', 'm'],
      ['prod', 'm'],
    ]);
    expect(
      fixture.store
        .list({ skip: 0, limit: 10 })
        .items.map((item) => item.environment)
        .sort(),
    ).toEqual(['dev', 'prod']);
  });
});

describe('ProbeRunner configured lists', () => {
  it('dedupes probes.models and an environment’s models, and an environment’s usageUrl wins in simple mode', async () => {
    fixture.endpoint.usage = usageOf('from-usage');
    const runner = fixture.runnerOf({
      baseUrl: fixture.endpoint.url,
      usageUrl: 'http://127.0.0.1:1/never-read',
      models: ['a', 'b', 'a'],
      environments: [{ name: 'prod', usageUrl: `${fixture.endpoint.url}/usage/prod`, models: ['b', 'c'] }],
    });
    await runner.runCycle();
    expect(fixture.endpoint.usageReads().map((request) => request.url)).toEqual(['/usage/prod']);
    expect(modelsOf(runner)).toEqual([
      { model: 'a', sources: ['config'] },
      { model: 'b', sources: ['config'] },
      { model: 'c', sources: ['config'] },
      { model: 'from-usage', sources: ['usage'] },
    ]);
    expect(fixture.probedModels().sort()).toEqual(['a', 'b', 'c', 'from-usage']);
  });

  it('a second start() is a no-op', () => {
    const runner = fixture.runnerOf({ ...fixture.prodAt(), models: ['m'] });
    runner.start();
    runner.start();
    expect(fixture.scheduler.intervals).toHaveLength(1);
    expect(fixture.scheduler.soonTasks).toHaveLength(1);
    expect(runner.status()).toMatchObject({ mode: 'full', intervalMs: 60_000, running: true });
  });
});

describe('ProbeRunner endpoints and keys', () => {
  it('simple mode probes start(selfUrl) when probes.baseUrl is unset, and nothing before', async () => {
    const runner = fixture.runnerOf({ models: ['alias'], environments: [{ name: 'dev' }, { name: 'prod' }] });
    await runner.runCycle();
    expect(runner.status().environments.map((environment) => environment.baseUrl)).toEqual([
      undefined,
      undefined,
    ]);
    expect(runner.status().lastCycle).toMatchObject({ probes: 0 });
    expect(fixture.endpoint.server.requests).toHaveLength(0);

    runner.start(`${fixture.endpoint.url}/`);
    expect(runner.status().environments.map((environment) => environment.baseUrl)).toEqual([
      fixture.endpoint.url,
      fixture.endpoint.url,
    ]);
    fixture.scheduler.runSoon();
    await runner.runCycle();
    expect(
      fixture.endpoint
        .chats()
        .map((request) => request.headers['x-keel-environment'])
        .sort(),
    ).toEqual(['dev', 'prod']);
    expect(fixture.endpoint.chats().map((request) => request.headers['x-keel-application'])).toEqual([
      'keel-probe',
      'keel-probe',
    ]);
  });

  it('simple mode with probes.baseUrl keeps it over start(selfUrl)', async () => {
    const runner = fixture.runnerOf({
      baseUrl: fixture.endpoint.url,
      models: ['alias'],
      environments: [{ name: 'dev' }],
    });
    runner.start('http://127.0.0.1:1');
    expect(runner.status().environments[0]?.baseUrl).toBe(fixture.endpoint.url);
    fixture.scheduler.runSoon();
    await runner.runCycle();
    expect(fixture.store.list({ skip: 0, limit: 10 }).items.map((item) => item.success)).toEqual([true]);
  });

  it('hides the values of key-like query parameters in the URLs status() shows', () => {
    const runner = fixture.runnerOf({
      mode: 'full',
      environments: [
        {
          name: 'prod',
          baseUrl: fixture.endpoint.url,
          usageUrl: 'https://usage.example.com/api/stats?group_by=model&api_key=t0ken&sig=abc',
        },
      ],
    });
    const [prod] = runner.status().environments;
    expect(prod?.usageUrl).toBe('https://usage.example.com/api/stats?group_by=model&api_key=***&sig=***');
    expect(JSON.stringify(runner.status())).not.toMatch(/t0ken|abc/);
  });

  it('refuses credentials written in a URL, which would never be sent', () => {
    expect(() =>
      fixture.runnerOf({
        mode: 'full',
        environments: [{ name: 'prod', baseUrl: 'http://probe:s3cret@127.0.0.1:1' }],
      }),
    ).toThrow(/credentials in the URL are not sent/);
  });

  it('does nothing after stop(): neither a queued first cycle nor runCycle, until started again', async () => {
    const runner = fixture.runnerOf({
      baseUrl: fixture.endpoint.url,
      models: ['m'],
      environments: [{ name: 'dev' }],
    });
    runner.start();
    await runner.stop();
    fixture.scheduler.runSoon();
    fixture.scheduler.tick();
    await runner.runCycle();
    expect(fixture.probedModels()).toEqual([]);
    expect(runner.status()).toMatchObject({ cycles: 0, running: false });
    runner.start();
    await runner.runCycle();
    expect(fixture.probedModels()).toEqual(['m']);
  });

  it('trims the key read from the environment (a pasted newline would fail every probe)', async () => {
    const runner = fixture.runnerOf(
      {
        baseUrl: fixture.endpoint.url,
        apiKeyEnv: 'PASTED_KEY',
        models: ['m'],
        environments: [{ name: 'dev' }],
      },
      { env: { PASTED_KEY: 'sk-pasted\n' } },
    );
    await runner.runCycle();
    expect(fixture.store.list({ skip: 0, limit: 1 }).items[0]).toMatchObject({ success: true });
    expect(fixture.endpoint.server.requests.at(-1)?.headers.authorization).toBe('Bearer sk-pasted');
  });

  it('sends the key named by apiKeyEnv, an environment’s own before probes.apiKeyEnv, to probes and usage', async () => {
    const runner = fixture.runnerOf(
      {
        mode: 'full',
        apiKeyEnv: 'SHARED_KEY',
        models: ['m'],
        environments: [
          {
            name: 'prod',
            baseUrl: fixture.endpoint.url,
            apiKeyEnv: 'PROD_KEY',
            usageUrl: `${fixture.endpoint.url}/usage?env=prod`,
          },
          { name: 'dev', baseUrl: fixture.endpoint.url, usageUrl: `${fixture.endpoint.url}/usage?env=dev` },
          { name: 'qa', baseUrl: fixture.endpoint.url, apiKeyEnv: 'EMPTY_KEY' },
        ],
      },
      { env: { PROD_KEY: 'k-prod', SHARED_KEY: 'k-shared', EMPTY_KEY: '' } },
    );
    await runner.runCycle();
    const keyOf = (request: RecordedRequest) => request.headers.authorization ?? null;
    const byEnvironment = Object.fromEntries(
      fixture.endpoint
        .chats()
        .map((request) => [String(request.headers['x-keel-environment']), keyOf(request)]),
    );
    expect(byEnvironment).toEqual({ prod: 'Bearer k-prod', dev: 'Bearer k-shared', qa: null });
    expect(
      Object.fromEntries(fixture.endpoint.usageReads().map((request) => [request.url, keyOf(request)])),
    ).toEqual({
      '/usage?env=prod': 'Bearer k-prod',
      '/usage?env=dev': 'Bearer k-shared',
    });
  });

  it('sends usageApiKeyEnv’s token to the usage endpoint only, an environment’s own first', async () => {
    const url = fixture.endpoint.url;
    const runner = fixture.runnerOf(
      {
        mode: 'full',
        apiKeyEnv: 'GATEWAY_KEY',
        usageApiKeyEnv: 'ADMIN_TOKEN',
        models: ['m'],
        environments: [
          { name: 'prod', baseUrl: url, usageUrl: `${url}/usage?env=prod`, usageApiKeyEnv: 'PROD_ADMIN' },
          { name: 'dev', baseUrl: url, usageUrl: `${url}/usage?env=dev` },
        ],
      },
      { env: { GATEWAY_KEY: 'k-gateway', ADMIN_TOKEN: 't-admin', PROD_ADMIN: 't-prod' } },
    );
    await runner.runCycle();
    const keyOf = (request: RecordedRequest) => request.headers.authorization ?? null;
    expect(fixture.endpoint.chats().map(keyOf)).toEqual(['Bearer k-gateway', 'Bearer k-gateway']);
    expect(
      Object.fromEntries(fixture.endpoint.usageReads().map((request) => [request.url, keyOf(request)])),
    ).toEqual({ '/usage?env=prod': 'Bearer t-prod', '/usage?env=dev': 'Bearer t-admin' });
  });

  it('probes with the configured prompt, maxTokens and expectation', async () => {
    fixture.endpoint.chat = (model, response) => answerPong(response, model);
    const runner = fixture.runnerOf({
      ...fixture.prodAt(),
      models: ['m'],
      prompt: 'Say pong',
      maxTokens: 3,
      expect: '/^ping$/',
    });
    await runner.runCycle();
    expect(fixture.endpoint.chats()[0]?.body).toMatchObject({
      messages: [{ role: 'user', content: 'Say pong' }],
      max_tokens: 3,
    });
    expect(fixture.store.list({ skip: 0, limit: 1 }).items[0]?.errorCode).toBe(
      'KEEL_PROBE_UNEXPECTED_ANSWER',
    );
  });
});
