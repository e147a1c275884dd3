// A loopback OpenAI-compatible endpoint with a usage endpoint, and a ProbeRunner fixture around it
// (in-memory ops database, manual clock and scheduler), for the probe runner's unit tests.
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach } from 'vitest';
import { probesSchema } from '../../src/config/probes-schema.js';
import { openOpsDatabase, type OpsDatabase } from '../../src/ops/ops-database.js';
import { ProbeRunner, type ProbeRunnerOptions } from '../../src/probes/probe-runner.js';
import { SqliteProbeStore } from '../../src/probes/probe-store.js';
import { startFixtureServer, type FixtureServer, type RecordedRequest } from './fixture-server.js';
import { ManualClock } from './keel-harness.js';
import { ManualScheduler } from './manual-scheduler.js';

/** A loopback OpenAI-compatible endpoint with a usage endpoint at /usage, both scripted by the test. */
export interface Endpoint {
  server: FixtureServer;
  url: string;
  /** Answers GET /usage*. */
  usage: (response: ServerResponse) => void;
  /** Answers POST /v1/chat/completions. */
  chat: (model: string, response: ServerResponse) => void;
  chats(): RecordedRequest[];
  usageReads(): RecordedRequest[];
}

/** Answers with a JSON body. */
export function answerJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Answers a probe with a complete stream of "pong", usage and [DONE], served by `${model}-served`. */
export function answerPong(response: ServerResponse, model: string): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'x-keel-provider': 'mock' });
  const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  response.end(
    event({ model: `${model}-served`, choices: [{ delta: { content: 'pong' } }] }) +
      event({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 } }) +
      'data: [DONE]\n\n',
  );
}

/** A usage answer listing `models`. */
export const usageOf =
  (...models: string[]) =>
  (response: ServerResponse) =>
    answerJson(response, 200, { models: models.map((model) => ({ model, requests: 3 })) });

/** Starts an endpoint that lists no models and answers every probe with pong. */
export async function startEndpoint(): Promise<Endpoint> {
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

/** What each test of a {@link useProbeRunnerFixture} file works with; fresh for every test. */
export interface ProbeRunnerFixture {
  endpoint: Endpoint;
  db: OpsDatabase;
  store: SqliteProbeStore;
  clock: ManualClock;
  scheduler: ManualScheduler;
  /** A runner over `probes` (enabled), stopped after the test. */
  runnerOf(probes: Record<string, unknown>, options?: Partial<ProbeRunnerOptions>): ProbeRunner;
  /** The full-mode config of one environment, prod, at the endpoint with its usage endpoint. */
  prodAt(extra?: Record<string, unknown>): Record<string, unknown>;
  /** The models the endpoint was probed for, in arrival order. */
  probedModels(): string[];
}

/** Registers hooks that give every test a fresh endpoint, database, clock and scheduler. */
export function useProbeRunnerFixture(): ProbeRunnerFixture {
  const runners: ProbeRunner[] = [];
  const fixture = {
    runnerOf(probes: Record<string, unknown>, options: Partial<ProbeRunnerOptions> = {}): ProbeRunner {
      const runner = new ProbeRunner({
        config: probesSchema.parse({ enabled: true, ...probes }),
        store: fixture.store,
        clock: fixture.clock,
        scheduler: fixture.scheduler,
        env: {},
        ...options,
      });
      runners.push(runner);
      return runner;
    },
    prodAt(extra: Record<string, unknown> = {}): Record<string, unknown> {
      const url = fixture.endpoint.url;
      return {
        mode: 'full',
        environments: [{ name: 'prod', baseUrl: url, usageUrl: `${url}/usage`, ...extra }],
      };
    },
    probedModels: () => fixture.endpoint.chats().map((request) => (request.body as { model: string }).model),
  } as ProbeRunnerFixture;
  beforeEach(async () => {
    fixture.endpoint = await startEndpoint();
    fixture.db = openOpsDatabase(':memory:');
    fixture.store = new SqliteProbeStore(fixture.db);
    fixture.clock = new ManualClock();
    fixture.scheduler = new ManualScheduler();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await fixture.endpoint.server.close();
    if (fixture.db.open) fixture.db.close();
  });
  return fixture;
}
