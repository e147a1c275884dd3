// Synthetic probes end to end: simple and full modes against separate local Keels and a mock endpoint,
// usage endpoints that grow, /api/latency filters and pages, /api/models, CSV, monitors and retention.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';
import { ManualScheduler } from './support/manual-scheduler.js';
import { probeMeasurement } from './support/probe-measurements.js';

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const piece of request) text += String(piece);
  return text;
}

const mock = (id: string) => ({
  id,
  type: 'mock' as const,
  latencyMs: { p50: 0, p99: 0 },
  errorRate: 0,
  outputTokens: 5,
  seed: 7,
});

/** An OpenAI-compatible endpoint (the "prod" environment) with a usage endpoint the test edits. */
interface MockEnvironment {
  url: string;
  usageModels: string[];
  /** The x-keel-environment header of each chat call, with its model. */
  calls: { model: string; environment: string | undefined }[];
  close(): Promise<void>;
}

async function startMockEnvironment(): Promise<MockEnvironment> {
  const state: MockEnvironment = { url: '', usageModels: ['gpt-prod'], calls: [], close: async () => {} };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'GET' && request.url === '/usage') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ models: state.usageModels.map((model) => ({ model, requests: 10 })) }));
      return;
    }
    const body = JSON.parse(await readBody(request)) as { model: string };
    const environment = request.headers['x-keel-environment'];
    state.calls.push({
      model: body.model,
      environment: typeof environment === 'string' ? environment : undefined,
    });
    if (body.model === 'broken') {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'overloaded', message: 'try later' } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
    chunk({ model: `${body.model}-2026`, choices: [{ delta: { role: 'assistant', content: '' } }] });
    chunk({ model: `${body.model}-2026`, choices: [{ delta: { content: 'pong' } }] });
    chunk({
      model: `${body.model}-2026`,
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 1, total_tokens: 13 },
    });
    response.end('data: [DONE]\n\n');
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

interface LatencyPage {
  total: number;
  skip: number;
  limit: number;
  items: {
    timestamp: string;
    environment: string;
    model: string;
    success: boolean;
    status: number | null;
    latencyMs: number | null;
    ttftMs: number | null;
    totalTokens: number | null;
    provider: string | null;
    servedModel: string | null;
    errorCode: string | null;
  }[];
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

describe('synthetic probes', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()?.();
  });
  const keep = <T extends { close(): Promise<void> }>(thing: T): T => {
    closers.push(() => thing.close());
    return thing;
  };

  it('full mode: probes each environment at its own endpoint, follows usage endpoints, filters and pages', async () => {
    // dev is a separate Keel; its own /api/stats (without the probes' calls) is the usage endpoint.
    const dev: KeelHarness = keep(
      await startKeel({
        providers: [mock('sim')],
        models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      }),
    );
    await dev.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    const prod = keep(await startMockEnvironment());
    const clock = new ManualClock();
    const scheduler = new ManualScheduler();
    const monitorScheduler = new ManualScheduler();
    const keel = keep(
      await startKeel(
        {
          providers: [mock('local')],
          models: [{ name: 'local-chat', targets: [{ provider: 'local', model: 'sim-1' }] }],
          probes: {
            enabled: true,
            mode: 'full',
            intervalMs: 60_000,
            timeoutMs: 10_000,
            retentionMs: 3_600_000,
            environments: [
              {
                name: 'dev',
                baseUrl: dev.url,
                usageUrl: `${dev.url}/api/stats?group_by=model,application,provider&window=1h`,
              },
              { name: 'prod', baseUrl: prod.url, usageUrl: `${prod.url}/usage`, models: ['broken'] },
            ],
          },
          monitors: {
            defaultPack: false,
            definitions: [
              {
                id: 'probe-failures',
                type: 'threshold',
                metric: 'probe.failure_rate',
                groupBy: ['environment', 'model'],
                window: '5m',
                critical: 0.5,
                minRequests: 1,
              },
            ],
          },
        },
        { clock, probeScheduler: scheduler, monitorScheduler },
      ),
    );
    // The loop started when Keel listened: a first cycle is queued, and one per interval.
    expect(scheduler.intervals.map((entry) => entry.intervalMs)).toEqual([60_000]);
    expect(scheduler.soonTasks).toHaveLength(1);

    const run = await fetch(`${keel.url}/api/probes/run`, { method: 'POST' });
    expect(run.status).toBe(200);
    const status = (await run.json()) as {
      cycles: number;
      lastCycle: { probes: number; failures: number };
      environments: { name: string; models: { model: string; sources: string[] }[] }[];
    };
    expect(status.cycles).toBe(1);
    expect(status.lastCycle).toMatchObject({ probes: 3, failures: 1 });
    expect(status.environments).toEqual([
      expect.objectContaining({ name: 'dev', models: [{ model: 'chat', sources: ['usage'] }] }),
      expect.objectContaining({
        name: 'prod',
        models: [
          { model: 'broken', sources: ['config'] },
          { model: 'gpt-prod', sources: ['usage'] },
        ],
      }),
    ]);
    // The mock saw the environment label on every call; the dev Keel recorded the probe as its own traffic.
    expect(prod.calls).toEqual(
      expect.arrayContaining([
        { model: 'broken', environment: 'prod' },
        { model: 'gpt-prod', environment: 'prod' },
      ]),
    );
    const devStats = await getJson<{ groups: { key: Record<string, string>; requests: number }[] }>(
      `${dev.url}/api/stats?group_by=application,environment&window=1h`,
    );
    expect(devStats.body.groups).toContainEqual(
      expect.objectContaining({ key: { application: 'keel-probe', environment: 'dev' }, requests: 1 }),
    );

    const all = await getJson<LatencyPage>(`${keel.url}/api/latency`);
    expect(all.body.total).toBe(3);
    const byKey = new Map(all.body.items.map((item) => [`${item.environment}/${item.model}`, item]));
    expect(byKey.get('dev/chat')).toMatchObject({
      success: true,
      status: 200,
      provider: 'sim',
      errorCode: null,
    });
    expect(byKey.get('dev/chat')?.ttftMs).toBeGreaterThanOrEqual(0);
    expect(byKey.get('prod/gpt-prod')).toMatchObject({
      success: true,
      servedModel: 'gpt-prod-2026',
      totalTokens: 13,
    });
    expect(byKey.get('prod/broken')).toMatchObject({ success: false, status: 503, errorCode: 'overloaded' });

    // The summary per environment and model over a range, as the dashboard shows it.
    const summary = await getJson<{
      groups: {
        environment: string;
        model: string;
        probes: number;
        failureRate: number | null;
        latency: { p95: number | null };
        last: { success: boolean } | null;
      }[];
    }>(`${keel.url}/api/latency/summary?window=1h`);
    expect(summary.status).toBe(200);
    const byGroup = new Map(
      summary.body.groups.map((group) => [`${group.environment}/${group.model}`, group]),
    );
    expect([...byGroup.keys()].sort()).toEqual(['dev/chat', 'prod/broken', 'prod/gpt-prod']);
    expect(byGroup.get('prod/broken')).toMatchObject({
      probes: 1,
      failureRate: 1,
      latency: { p95: null },
      last: { success: false },
    });
    expect(byGroup.get('prod/gpt-prod')).toMatchObject({
      probes: 1,
      failureRate: 0,
      last: { success: true },
    });
    expect(byGroup.get('prod/gpt-prod')?.latency.p95).toBeGreaterThan(0);

    // A model added to the usage endpoint is probed at the next cycle, without a restart.
    prod.usageModels.push('gpt-prod-new');
    clock.advance(60_000);
    scheduler.tick();
    await fetch(`${keel.url}/api/probes/run`, { method: 'POST' });
    const newModel = await getJson<LatencyPage>(
      `${keel.url}/api/latency?environment=prod&model=gpt-prod-new`,
    );
    expect(newModel.body.total).toBe(1);
    expect(newModel.body.items[0]).toMatchObject({
      environment: 'prod',
      model: 'gpt-prod-new',
      success: true,
    });

    // Filters and pages: newest first, skip and limit, total of all that match.
    const prodPage = await getJson<LatencyPage>(`${keel.url}/api/latency?environment=prod&skip=1&limit=2`);
    expect(prodPage.body).toMatchObject({ total: 5, skip: 1, limit: 2 });
    expect(prodPage.body.items).toHaveLength(2);
    const prodAll = await getJson<LatencyPage>(`${keel.url}/api/latency?environment=prod&limit=100`);
    expect(prodPage.body.items).toEqual(prodAll.body.items.slice(1, 3));
    const times = prodAll.body.items.map((item) => Date.parse(item.timestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(prodAll.body.items.every((item) => item.environment === 'prod')).toBe(true);
    const bad = await getJson<{ error: { code: string; param: string } }>(
      `${keel.url}/api/latency?limit=abc`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'KEEL_INVALID_REQUEST', param: 'limit' });

    // CSV: a header and one line per measurement.
    const csv = await fetch(`${keel.url}/api/latency?environment=dev&format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('x-total-count')).toBe('2');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]?.startsWith('timestamp,environment,model,success,status,latencyMs,ttftMs')).toBe(true);
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines[1]).toContain(',dev,chat,true,200,');

    const models = await getJson<{
      environments: {
        name: string;
        models: { model: string; sources: string[]; active: boolean; last: { success: boolean } }[];
      }[];
    }>(`${keel.url}/api/models`);
    const prodModels = models.body.environments.find((environment) => environment.name === 'prod')?.models;
    expect(prodModels?.map((entry) => entry.model)).toEqual(['broken', 'gpt-prod', 'gpt-prod-new']);
    expect(prodModels?.find((entry) => entry.model === 'gpt-prod-new')).toMatchObject({
      sources: ['usage'],
      active: true,
      last: { success: true },
    });

    // A probe-failure monitor alerts for the failing model only.
    await keel.keel.operations.monitors?.scheduler.tick();
    const states = keel.keel.operations.monitors?.scheduler.states('probe-failures') ?? [];
    const alerting = states.filter((state) => state.status === 'ALERT').map((state) => state.groupId);
    expect(alerting).toEqual([expect.stringContaining('broken')]);
    expect(states.filter((state) => state.status === 'OK')).toHaveLength(3);

    // Metrics: calls by outcome, and each model's last result.
    const metrics = await (await fetch(`${keel.url}/metrics`)).text();
    expect(metrics).toMatch(/keel_probes_total\{environment="prod",model="broken",outcome="failure"\} 2/);
    // Both outcomes start at 0, so rate() over the counter sees a model's first failure.
    expect(metrics).toMatch(/keel_probes_total\{environment="prod",model="broken",outcome="success"\} 0/);
    expect(metrics).toMatch(
      /keel_probe_failures_total\{environment="prod",model="broken",code="overloaded"\} 2/,
    );
    expect(metrics).toMatch(/keel_probe_up\{environment="dev",model="chat"\} 1/);
    expect(metrics).toMatch(/keel_probe_up\{environment="prod",model="gpt-prod-new"\} 1/);

    // Retention: an hour later, the first cycles' measurements are gone. The model dropped from
    // the usage endpoint meanwhile is no longer probed, and its series leave /metrics.
    prod.usageModels.splice(prod.usageModels.indexOf('gpt-prod-new'), 1);
    clock.advance(3_600_000 + 1);
    await fetch(`${keel.url}/api/probes/run`, { method: 'POST' });
    const after = await (await fetch(`${keel.url}/metrics`)).text();
    expect(after).not.toContain('model="gpt-prod-new"');
    expect(after).toMatch(/keel_probe_up\{environment="prod",model="gpt-prod"\} 1/);
    const kept = await getJson<LatencyPage>(`${keel.url}/api/latency?limit=100`);
    expect(kept.body.total).toBe(3);
    expect(kept.body.items.every((item) => Date.parse(item.timestamp) === clock.now())).toBe(true);
  });

  it('simple mode: probes this Keel for every environment, labelled, with its aliases by default', async () => {
    const scheduler = new ManualScheduler();
    const keel = keep(
      await startKeel(
        {
          providers: [mock('sim')],
          models: [
            { name: 'alpha', targets: [{ provider: 'sim', model: 'sim-1' }] },
            { name: 'beta', targets: [{ provider: 'sim', model: 'sim-2' }] },
          ],
          probes: { enabled: true, environments: [{ name: 'dev' }, { name: 'prod' }] },
        },
        { probeScheduler: scheduler },
      ),
    );
    const run = await fetch(`${keel.url}/api/probes/run`, { method: 'POST' });
    const status = (await run.json()) as { mode: string; lastCycle: { probes: number; failures: number } };
    expect(status).toMatchObject({ mode: 'simple', lastCycle: { probes: 4, failures: 0 } });
    const page = await getJson<LatencyPage>(`${keel.url}/api/latency`);
    expect(page.body.items.map((item) => `${item.environment}/${item.model}`).sort()).toEqual([
      'dev/alpha',
      'dev/beta',
      'prod/alpha',
      'prod/beta',
    ]);
    expect(page.body.items.every((item) => item.success && item.provider === 'sim')).toBe(true);
    // This Keel recorded the probes as its own requests, under each environment.
    const stats = await getJson<{ groups: { key: Record<string, string>; requests: number }[] }>(
      `${keel.url}/api/stats?group_by=environment&application=keel-probe`,
    );
    expect(stats.body.groups.map((group) => [group.key.environment, group.requests]).sort()).toEqual([
      ['dev', 2],
      ['prod', 2],
    ]);
  });

  it('without probes, measurements kept from an earlier run still age out when Keel starts', async () => {
    const opsPath = join(mkdtempSync(join(tmpdir(), 'keel-probes-')), 'ops.db');
    const config = { providers: [mock('sim')], ops: { path: opsPath }, probes: { retentionMs: 86_400_000 } };
    const clock = new ManualClock();
    const first = await startKeel(config, { clock });
    first.keel.operations.probes.store.add([
      probeMeasurement({ atMs: clock.now() - 2 * 86_400_000 }),
      probeMeasurement({ atMs: clock.now() - 60_000 }),
    ]);
    await first.close();
    const second = keep(await startKeel(config, { clock }));
    const page = await getJson<LatencyPage>(`${second.url}/api/latency`);
    expect(page.body.total).toBe(1);
  });

  it('without probes: the API answers, empty, and a run is refused with a stable code', async () => {
    const keel = keep(await startKeel({ providers: [mock('sim')] }));
    expect((await getJson<LatencyPage>(`${keel.url}/api/latency`)).body).toEqual({
      total: 0,
      skip: 0,
      limit: 100,
      items: [],
    });
    expect((await getJson(`${keel.url}/api/probes`)).body).toEqual({ enabled: false });
    const badFormat = await getJson<{ error: { param: string } }>(`${keel.url}/api/latency?format=xml`);
    expect(badFormat).toMatchObject({ status: 400, body: { error: { param: 'format' } } });
    const run = await fetch(`${keel.url}/api/probes/run`, { method: 'POST' });
    expect(run.status).toBe(409);
    expect(((await run.json()) as { error: { code: string } }).error.code).toBe('KEEL_PROBES_DISABLED');
  });
});
