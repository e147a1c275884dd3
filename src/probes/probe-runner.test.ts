// ProbeRunner against a loopback endpoint, driven by a manual clock and scheduler: model lists, usage
// failures, overlapping cycles, stopping, cost and measurements, simple mode's own URL, status().
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  startFixtureServer,
  type FixtureServer,
  type RecordedRequest,
} from '../../test/support/fixture-server.js';
import { ManualClock } from '../../test/support/keel-harness.js';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import { probesSchema } from '../config/probes-schema.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import { ProbeRunner, type ProbeRunnerOptions } from './probe-runner.js';
import { SqliteProbeStore, type ProbeMeasurement } from './probe-store.js';

/** A loopback OpenAI-compatible endpoint with a usage endpoint at /usage, both scripted by the test. */
interface Endpoint {
  server: FixtureServer;
  url: string;
  /** Answers GET /usage*. */
  usage: (response: ServerResponse) => void;
  /** Answers POST /v1/chat/completions. */
  chat: (model: string, response: ServerResponse) => void;
  chats(): RecordedRequest[];
  usageReads(): RecordedRequest[];
}

function answerJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function answerPong(response: ServerResponse, model: string): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'x-keel-provider': 'mock' });
  const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  response.end(
    event({ model: `${model}-served`, choices: [{ delta: { content: 'pong' } }] }) +
      event({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 } }) +
      'data: [DONE]\n\n',
  );
}

const usageOf =
  (...models: string[]) =>
  (response: ServerResponse) =>
    answerJson(response, 200, { models: models.map((model) => ({ model, requests: 3 })) });

async function startEndpoint(): Promise<Endpoint> {
  const server = await startFixtureServer();
  const endpoint: Endpoint = {
    server,
    url: server.url,
    usage: usageOf(),
    chat: (model, response) => answerPong(response, model),
    chats: () => server.requests.filter((request) => request.url === '/v1/chat/completions'),
    usageReads: () => server.requests.filter((request) => request.url.startsWith('/usage')),
  };
  server.fallback = {
    kind: 'handler',
    handle: (request, response) => {
      if (request.url.startsWith('/usage')) {
        endpoint.usage(response);
        return;
      }
      endpoint.chat((request.body as { model: string }).model, response);
    },
  };
  return endpoint;
}

let endpoint: Endpoint;
let db: OpsDatabase;
let store: SqliteProbeStore;
let clock: ManualClock;
let scheduler: ManualScheduler;
const runners: ProbeRunner[] = [];

beforeEach(async () => {
  endpoint = await startEndpoint();
  db = openOpsDatabase(':memory:');
  store = new SqliteProbeStore(db);
  clock = new ManualClock();
  scheduler = new ManualScheduler();
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  await endpoint.server.close();
  if (db.open) db.close();
});

function runnerOf(probes: Record<string, unknown>, options: Partial<ProbeRunnerOptions> = {}): ProbeRunner {
  const runner = new ProbeRunner({
    config: probesSchema.parse({ enabled: true, ...probes }),
    store,
    clock,
    scheduler,
    env: {},
    ...options,
  });
  runners.push(runner);
  return runner;
}

/** The full-mode config of one environment, prod, at the endpoint. */
function prodAt(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    mode: 'full',
    environments: [{ name: 'prod', baseUrl: endpoint.url, usageUrl: `${endpoint.url}/usage`, ...extra }],
  };
}

const modelsOf = (runner: ProbeRunner, index = 0) => runner.status().environments[index]?.models;
const probedModels = () => endpoint.chats().map((request) => (request.body as { model: string }).model);

describe('ProbeRunner model lists', () => {
  it('probes config ∪ usage, and a failed usage read keeps the last good list and shows in status()', async () => {
    const onError = vi.fn();
    const runner = runnerOf({ ...prodAt({ models: ['c1'] }), models: ['shared'] }, { onError });
    const t0 = clock.now();

    endpoint.usage = usageOf('u1', 'c1');
    await runner.runCycle();
    expect(modelsOf(runner)).toEqual([
      { model: 'shared', sources: ['config'] },
      { model: 'c1', sources: ['config', 'usage'] },
      { model: 'u1', sources: ['usage'] },
    ]);
    expect(probedModels().sort()).toEqual(['c1', 'shared', 'u1']);
    expect(runner.status().environments[0]?.usage).toEqual({
      lastOkAtMs: t0,
      lastErrorAtMs: null,
      error: null,
      errorCode: null,
    });

    clock.advance(60_000);
    endpoint.usage = (response) => answerJson(response, 500, { error: 'down' });
    await runner.runCycle();
    expect(modelsOf(runner)?.map((entry) => entry.model)).toEqual(['shared', 'c1', 'u1']);
    expect(probedModels()).toHaveLength(6);
    expect(runner.status().environments[0]?.usage).toEqual({
      lastOkAtMs: t0,
      lastErrorAtMs: t0 + 60_000,
      error: 'usage endpoint answered HTTP 500',
      errorCode: 'KEEL_PROBE_USAGE_HTTP_ERROR',
    });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[1]).toEqual({ environment: 'prod', stage: 'usage' });

    clock.advance(60_000);
    endpoint.usage = usageOf('u2');
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
    expect(store.models().map((row) => [row.model, row.sources, row.firstSeenMs, row.lastSeenMs])).toEqual([
      ['c1', ['config'], t0, t0 + 120_000],
      ['shared', ['config'], t0, t0 + 120_000],
      ['u1', ['usage'], t0, t0 + 60_000],
      ['u2', ['usage'], t0 + 120_000, t0 + 120_000],
    ]);
  });

  it('a usage endpoint that fails from the start leaves the configured models', async () => {
    endpoint.usage = (response) => answerJson(response, 200, { unexpected: true });
    const runner = runnerOf(prodAt({ models: ['c1'] }));
    await runner.runCycle();
    expect(modelsOf(runner)).toEqual([{ model: 'c1', sources: ['config'] }]);
    expect(runner.status().environments[0]?.usage.errorCode).toBe('KEEL_PROBE_USAGE_BAD_SHAPE');
    expect(runner.status().lastCycle).toMatchObject({ probes: 1, failures: 0 });
  });

  it('simple mode reads a shared usage endpoint once per cycle and probes it for every environment', async () => {
    endpoint.usage = usageOf('m');
    const runner = runnerOf({
      baseUrl: endpoint.url,
      usageUrl: `${endpoint.url}/usage`,
      environments: [{ name: 'dev' }, { name: 'prod' }],
    });
    await runner.runCycle();
    expect(endpoint.usageReads()).toHaveLength(1);
    expect(
      endpoint
        .chats()
        .map((request) => [request.headers['x-keel-environment'], (request.body as { model: string }).model])
        .sort(),
    ).toEqual([
      ['dev', 'm'],
      ['prod', 'm'],
    ]);
    expect(
      store
        .list({ skip: 0, limit: 10 })
        .items.map((item) => item.environment)
        .sort(),
    ).toEqual(['dev', 'prod']);
  });
});

describe('ProbeRunner cycles', () => {
  it('joins a running cycle from runCycle and counts the timer ticks it overlaps as skipped', async () => {
    const held: ServerResponse[] = [];
    endpoint.chat = (_model, response) => held.push(response);
    const runner = runnerOf({ ...prodAt(), models: ['m'], intervalMs: 30_000 });
    runner.start();
    expect(scheduler.intervals.map((entry) => entry.intervalMs)).toEqual([30_000]);
    scheduler.runSoon();
    await expect.poll(() => held.length).toBe(1);

    const joined = runner.runCycle();
    expect(runner.runCycle()).toBe(joined);
    scheduler.tick();
    scheduler.tick();
    expect(runner.status()).toMatchObject({ running: true, cycles: 0, skippedCycles: 2, lastCycle: null });

    for (const response of held.splice(0)) answerPong(response, 'm');
    await joined;
    expect(endpoint.chats()).toHaveLength(1);
    expect(runner.status()).toMatchObject({ cycles: 1, skippedCycles: 2 });

    // The next tick finds no cycle running and starts one.
    endpoint.chat = (model, response) => answerPong(response, model);
    scheduler.tick();
    await runner.runCycle();
    expect(endpoint.chats()).toHaveLength(2);
    expect(runner.status()).toMatchObject({ cycles: 2, skippedCycles: 2 });
  });

  it('stop() aborts a hanging probe at once, stores nothing for it, and the loop can start again', async () => {
    endpoint.chat = () => {}; // never answers
    const onMeasurement = vi.fn();
    const runner = runnerOf({ ...prodAt(), models: ['m'], timeoutMs: 600_000 }, { onMeasurement });
    runner.start();
    scheduler.runSoon();
    await expect.poll(() => endpoint.chats().length).toBe(1);
    await runner.stop();
    expect(runner.status().running).toBe(false);
    expect(scheduler.intervals.every((entry) => entry.cancelled)).toBe(true);
    expect(store.list({ skip: 0, limit: 10 }).total).toBe(0);
    expect(onMeasurement).not.toHaveBeenCalled();

    endpoint.chat = (model, response) => answerPong(response, model);
    runner.start();
    scheduler.runSoon();
    await runner.runCycle();
    expect(store.list({ skip: 0, limit: 10 }).items.map((item) => item.success)).toEqual([true]);
    expect(onMeasurement).toHaveBeenCalledTimes(1);
  });

  // The usage read's own deadline is 10 s: a stop() that waited for it would miss this test's 5 s.
  it('stop() aborts a hanging usage read too, without reporting it as a usage failure', async () => {
    endpoint.usage = () => {}; // never answers
    const onError = vi.fn();
    const runner = runnerOf({ ...prodAt(), models: ['m'], timeoutMs: 600_000 }, { onError });
    runner.start();
    scheduler.runSoon();
    await expect.poll(() => endpoint.usageReads().length).toBe(1);
    await runner.stop();
    expect(onError).not.toHaveBeenCalled();
    expect(runner.status().environments[0]?.usage).toMatchObject({ error: null, errorCode: null });
    expect(endpoint.chats()).toHaveLength(0);
    expect(store.list({ skip: 0, limit: 10 }).total).toBe(0);
  }, 5_000);

  it('prices every measurement, tells onMeasurement of each stored one, and sums the cycle', async () => {
    endpoint.chat = (model, response) =>
      model === 'broken'
        ? answerJson(response, 503, { error: { code: 'overloaded', message: 'try later' } })
        : answerPong(response, model);
    const costUsd = vi.fn((outcome: { success: boolean }) => (outcome.success ? 0.002 : null));
    const onMeasurement = vi.fn((_measurement: ProbeMeasurement) => {});
    const runner = runnerOf({ ...prodAt(), models: ['ok', 'broken'] }, { costUsd, onMeasurement });
    const startedAtMs = clock.now();
    await runner.runCycle();

    expect(costUsd).toHaveBeenCalledTimes(2);
    expect(costUsd.mock.calls.map(([outcome]) => outcome).find((outcome) => outcome.success)).toMatchObject({
      model: 'ok',
      provider: 'mock',
      servedModel: 'ok-served',
      totalTokens: 11,
    });
    const stored = store.list({ skip: 0, limit: 10 }).items;
    const byId = (a: ProbeMeasurement, b: ProbeMeasurement) => a.id - b.id;
    expect(onMeasurement.mock.calls.map(([measurement]) => measurement).sort(byId)).toEqual(
      [...stored].sort(byId),
    );
    expect(
      stored.map((item) => [item.model, item.success, item.costUsd, item.errorCode, item.atMs]).sort(),
    ).toEqual([
      ['broken', false, null, 'overloaded', startedAtMs],
      ['ok', true, 0.002, null, startedAtMs],
    ]);
    expect(runner.status().lastCycle).toEqual({
      startedAtMs,
      finishedAtMs: startedAtMs,
      probes: 2,
      failures: 1,
    });
  });

  it('keeps at most `concurrency` probe calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const held: { model: string; response: ServerResponse }[] = [];
    endpoint.chat = (model, response) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      held.push({ model, response });
    };
    const runner = runnerOf({ ...prodAt(), models: ['a', 'b', 'c', 'd', 'e'], concurrency: 2 });
    const cycle = runner.runCycle();
    let answered = 0;
    while (answered < 5) {
      await expect.poll(() => held.length).toBe(Math.min(2, 5 - answered));
      // Give a call that would break the limit a moment to arrive before answering.
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const { model, response } of held.splice(0)) {
        inFlight -= 1;
        answered += 1;
        answerPong(response, model);
      }
    }
    await cycle;
    expect(most).toBe(2);
    expect(probedModels().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('prunes measurements older than retentionMs at the end of a cycle', async () => {
    const retentionMs = 86_400_000;
    store.add([
      {
        atMs: clock.now() - retentionMs - 1,
        environment: 'prod',
        model: 'old',
        success: true,
        status: 200,
        latencyMs: 1,
        ttftMs: 1,
        promptTokens: null,
        completionTokens: null,
        totalTokens: null,
        costUsd: null,
        provider: null,
        servedModel: null,
        errorCode: null,
        error: null,
      },
    ]);
    const runner = runnerOf({ ...prodAt(), models: ['m'], retentionMs });
    await runner.runCycle();
    expect(store.list({ skip: 0, limit: 10 }).items.map((item) => item.model)).toEqual(['m']);
  });

  it('a store that fails is reported to onError and the cycle still ends', async () => {
    const onError = vi.fn();
    const runner = runnerOf({ ...prodAt(), models: ['m'] }, { onError });
    db.close();
    await runner.runCycle();
    expect(onError.mock.calls.map(([, context]) => context as unknown)).toEqual([
      { environment: 'prod', stage: 'store' },
      { environment: 'prod', stage: 'store' },
      { environment: '*', stage: 'store' },
    ]);
    expect(runner.status()).toMatchObject({ cycles: 1, lastCycle: { probes: 1, failures: 0 } });
  });
});

describe('ProbeRunner endpoints and keys', () => {
  it('simple mode probes start(selfUrl) when probes.baseUrl is unset, and nothing before', async () => {
    const runner = runnerOf({ models: ['alias'], environments: [{ name: 'dev' }, { name: 'prod' }] });
    await runner.runCycle();
    expect(runner.status().environments.map((environment) => environment.baseUrl)).toEqual([
      undefined,
      undefined,
    ]);
    expect(runner.status().lastCycle).toMatchObject({ probes: 0 });
    expect(endpoint.server.requests).toHaveLength(0);

    runner.start(`${endpoint.url}/`);
    expect(runner.status().environments.map((environment) => environment.baseUrl)).toEqual([
      endpoint.url,
      endpoint.url,
    ]);
    scheduler.runSoon();
    await runner.runCycle();
    expect(
      endpoint
        .chats()
        .map((request) => request.headers['x-keel-environment'])
        .sort(),
    ).toEqual(['dev', 'prod']);
    expect(endpoint.chats().map((request) => request.headers['x-keel-application'])).toEqual([
      'keel-probe',
      'keel-probe',
    ]);
  });

  it('simple mode with probes.baseUrl keeps it over start(selfUrl)', async () => {
    const runner = runnerOf({ baseUrl: endpoint.url, models: ['alias'], environments: [{ name: 'dev' }] });
    runner.start('http://127.0.0.1:1');
    expect(runner.status().environments[0]?.baseUrl).toBe(endpoint.url);
    scheduler.runSoon();
    await runner.runCycle();
    expect(store.list({ skip: 0, limit: 10 }).items.map((item) => item.success)).toEqual([true]);
  });

  it('strips credentials from the URLs status() shows', () => {
    const port = endpoint.server.port;
    const runner = runnerOf({
      mode: 'full',
      environments: [
        {
          name: 'prod',
          baseUrl: `http://probe:s3cret@127.0.0.1:${port}`,
          usageUrl: `https://reader:t0ken@usage.example.com/api/stats?group_by=model`,
        },
      ],
    });
    const [prod] = runner.status().environments;
    expect(prod?.baseUrl).toBe(`http://127.0.0.1:${port}`);
    expect(prod?.usageUrl).toBe('https://usage.example.com/api/stats?group_by=model');
    expect(JSON.stringify(runner.status())).not.toMatch(/s3cret|t0ken/);
  });

  it('sends the key named by apiKeyEnv, an environment’s own before probes.apiKeyEnv, to probes and usage', async () => {
    const runner = runnerOf(
      {
        mode: 'full',
        apiKeyEnv: 'SHARED_KEY',
        models: ['m'],
        environments: [
          {
            name: 'prod',
            baseUrl: endpoint.url,
            apiKeyEnv: 'PROD_KEY',
            usageUrl: `${endpoint.url}/usage?env=prod`,
          },
          { name: 'dev', baseUrl: endpoint.url, usageUrl: `${endpoint.url}/usage?env=dev` },
          { name: 'qa', baseUrl: endpoint.url, apiKeyEnv: 'EMPTY_KEY' },
        ],
      },
      { env: { PROD_KEY: 'k-prod', SHARED_KEY: 'k-shared', EMPTY_KEY: '' } },
    );
    await runner.runCycle();
    const keyOf = (request: RecordedRequest) => request.headers.authorization ?? null;
    const byEnvironment = Object.fromEntries(
      endpoint.chats().map((request) => [String(request.headers['x-keel-environment']), keyOf(request)]),
    );
    expect(byEnvironment).toEqual({ prod: 'Bearer k-prod', dev: 'Bearer k-shared', qa: null });
    expect(Object.fromEntries(endpoint.usageReads().map((request) => [request.url, keyOf(request)]))).toEqual(
      {
        '/usage?env=prod': 'Bearer k-prod',
        '/usage?env=dev': 'Bearer k-shared',
      },
    );
  });

  it('probes with the configured prompt, maxTokens and expectation', async () => {
    endpoint.chat = (model, response) => answerPong(response, model);
    const runner = runnerOf({
      ...prodAt(),
      models: ['m'],
      prompt: 'Say pong',
      maxTokens: 3,
      expect: '/^ping$/',
    });
    await runner.runCycle();
    expect(endpoint.chats()[0]?.body).toMatchObject({
      messages: [{ role: 'user', content: 'Say pong' }],
      max_tokens: 3,
    });
    expect(store.list({ skip: 0, limit: 1 }).items[0]?.errorCode).toBe('KEEL_PROBE_UNEXPECTED_ANSWER');
  });
});
