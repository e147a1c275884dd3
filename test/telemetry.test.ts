// The telemetry path end to end: exact counts in a real SQLite store, persistence across restarts,
// sketch quantiles against raw records, spooling while the store fails, and records kept on SIGTERM.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { MockOutcome } from '../src/providers/mock/mock-chat-model.js';
import type { RequestsPage, StatsGroup, StatsResult } from '../src/store/store.js';
import type { RequestRecord } from '../src/telemetry/request-record.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const cli = join(import.meta.dirname, '../src/cli/keel.ts');
const tsxLoader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Store and spool files in a fresh temp dir, so a second Keel can open the same ones. */
function tempStorePaths(): { dir: string; storePath: string; spoolPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keel-telemetry-'));
  return { dir, storePath: join(dir, 'keel.db'), spoolPath: join(dir, 'spool.jsonl') };
}

/** Breakers that never open, so every scripted outcome reaches the provider it was written for. */
const neverOpen = { consecutiveFailures: 1_000, minimumRequests: 1_000 };

type StatsBody = StatsResult & { breakers: unknown[] };

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, `GET ${url}`).toBe(200);
  return (await response.json()) as T;
}

async function getStats(baseUrl: string, query = ''): Promise<StatsBody> {
  return getJson<StatsBody>(`${baseUrl}/api/stats${query === '' ? '' : `?${query}`}`);
}

/** Every stored record, newest first, following the cursor a page of `limit` at a time. */
async function allRecords(
  baseUrl: string,
  limit: number,
): Promise<{ records: RequestRecord[]; pages: number }> {
  const records: RequestRecord[] = [];
  let cursor: string | undefined;
  let pages = 0;
  // Bounded: a cursor that never ends would otherwise loop forever.
  for (let guard = 0; guard < 1_000; guard++) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor !== undefined) query.set('cursor', cursor);
    const page = await getJson<RequestsPage>(`${baseUrl}/api/requests?${query.toString()}`);
    pages++;
    records.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === undefined) return { records, pages };
  }
  throw new Error('/api/requests kept returning a nextCursor');
}

function groupOf(stats: StatsBody, key: Record<string, string>): StatsGroup | undefined {
  return stats.groups.find((group) => JSON.stringify(group.key) === JSON.stringify(key));
}

/** The value of rank floor(q * (n - 1)) in ascending order: the rank rule the sketches follow. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const value = sorted[Math.floor(q * (sorted.length - 1))];
  if (value === undefined) throw new Error('no values');
  return value;
}

function spoolLines(spoolPath: string): string[] {
  if (!existsSync(spoolPath)) return [];
  return readFileSync(spoolPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function spoolBytes(spoolPath: string): number {
  return existsSync(spoolPath) ? statSync(spoolPath).size : 0;
}

/** What one client call saw. */
interface Seen {
  requestId: string;
  status: number;
  /** A stream that started (200) and then ended with an error event instead of [DONE]. */
  streamBroke: boolean;
}

function requestIdOf(headers: Headers | undefined): string {
  const id = headers?.get('x-keel-request-id');
  if (id === undefined || id === null || id === '') throw new Error('response without x-keel-request-id');
  return id;
}

/** `instanceof` alone narrows to APIError<any, any, any>; this keeps the declared field types. */
function isApiError(error: unknown): error is APIError {
  return error instanceof APIError;
}

/** One chat call through the official SDK; errors become what the client saw, not throws. */
async function ask(harness: KeelHarness, options: { model: string; stream: boolean }): Promise<Seen> {
  const messages = [{ role: 'user' as const, content: 'Tell me about gateways.' }];
  try {
    if (!options.stream) {
      const { response } = await harness.client.chat.completions
        .create({ model: options.model, messages })
        .withResponse();
      return { requestId: requestIdOf(response.headers), status: response.status, streamBroke: false };
    }
    const { data, response } = await harness.client.chat.completions
      .create({ model: options.model, messages, stream: true })
      .withResponse();
    const seen = { requestId: requestIdOf(response.headers), status: response.status, streamBroke: false };
    try {
      for await (const _chunk of data) {
        // Read to the end.
      }
    } catch (error) {
      if (!(error instanceof APIError)) throw error;
      seen.streamBroke = true;
    }
    return seen;
  } catch (error) {
    if (!isApiError(error) || error.status === undefined) throw error;
    return { requestId: requestIdOf(error.headers), status: error.status, streamBroke: false };
  }
}

/** Runs `count` calls, `concurrency` at a time. */
async function askMany(
  harness: KeelHarness,
  options: {
    count: number;
    concurrency: number;
    call: (index: number) => { model: string; stream: boolean };
  },
): Promise<Seen[]> {
  const seen: Seen[] = new Array<Seen>(options.count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < options.count; index = next++) {
      seen[index] = await ask(harness, options.call(index));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return seen;
}

describe('telemetry store end to end', () => {
  const harnesses: KeelHarness[] = [];
  const databases: Database.Database[] = [];
  const start = async (config: KeelConfigInput): Promise<KeelHarness> => {
    const harness = await startKeel(config);
    harnesses.push(harness);
    return harness;
  };
  afterEach(async () => {
    for (const database of databases.splice(0)) database.close();
    // close() is idempotent, so harnesses a test already closed are fine here.
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });

  it('counts every request exactly, groups by provider, and keeps the numbers across a restart', async () => {
    const { storePath, spoolPath } = tempStorePaths();

    // Each kind of call: what alpha and beta are scripted to do, and what must be recorded.
    interface Kind {
      model: string;
      stream: boolean;
      alpha: MockOutcome[];
      beta: MockOutcome[];
      status: number;
      outcome: 'ok' | 'error';
      streamBroke?: boolean;
      /** Provider the record is grouped under; '' when no provider was reached. */
      provider: string;
    }
    const kinds: Kind[] = [
      {
        model: 'chat',
        stream: false,
        alpha: ['ok'],
        beta: [],
        status: 200,
        outcome: 'ok',
        provider: 'alpha',
      },
      {
        model: 'chat',
        stream: false,
        alpha: ['500'],
        beta: ['ok'],
        status: 200,
        outcome: 'ok',
        provider: 'beta',
      },
      {
        model: 'chat',
        stream: false,
        alpha: ['429'],
        beta: ['ok'],
        status: 200,
        outcome: 'ok',
        provider: 'beta',
      },
      {
        model: 'chat',
        stream: false,
        alpha: ['timeout'],
        beta: ['ok'],
        status: 200,
        outcome: 'ok',
        provider: 'beta',
      },
      {
        model: 'chat',
        stream: false,
        alpha: ['503'],
        beta: ['500'],
        status: 502,
        outcome: 'error',
        provider: 'beta',
      },
      {
        model: 'no-such-model',
        stream: false,
        alpha: [],
        beta: [],
        status: 404,
        outcome: 'error',
        provider: '',
      },
      { model: 'chat', stream: true, alpha: ['ok'], beta: [], status: 200, outcome: 'ok', provider: 'alpha' },
      {
        model: 'chat',
        stream: true,
        alpha: ['reset'],
        beta: ['ok'],
        status: 200,
        outcome: 'ok',
        provider: 'beta',
      },
      {
        model: 'chat',
        stream: true,
        alpha: ['cut'],
        beta: [],
        status: 200,
        outcome: 'error',
        streamBroke: true,
        provider: 'alpha',
      },
    ];
    const total = 60;
    const plan = Array.from({ length: total }, (_, index) => kinds[index % kinds.length] as Kind);
    const config: KeelConfigInput = {
      providers: [
        {
          id: 'alpha',
          type: 'mock',
          latencyMs: { p50: 3, p99: 20 },
          seed: 1,
          script: plan.flatMap((kind) => kind.alpha),
        },
        {
          id: 'beta',
          type: 'mock',
          latencyMs: { p50: 3, p99: 20 },
          seed: 2,
          script: plan.flatMap((kind) => kind.beta),
        },
      ],
      models: [
        {
          name: 'chat',
          strategy: 'fallback',
          targets: [
            { provider: 'alpha', model: 'alpha-1' },
            { provider: 'beta', model: 'beta-1' },
          ],
        },
      ],
      reliability: { retry: { maxAttempts: 1 }, attemptTimeoutMs: 250, circuitBreaker: neverOpen },
      telemetry: { store: { path: storePath, spoolPath } },
    };

    const first = await start(config);
    // One at a time, so each provider's script plays in the planned order.
    const seen: Seen[] = [];
    for (const kind of plan) seen.push(await ask(first, kind));
    expect(seen.map((call) => [call.status, call.streamBroke])).toEqual(
      plan.map((kind) => [kind.status, kind.streamBroke ?? false]),
    );
    const ids = seen.map((call) => call.requestId);
    expect(new Set(ids).size).toBe(total);

    const expectedOk = plan.filter((kind) => kind.outcome === 'ok').length;
    const expectedByProvider = new Map<string, { requests: number; ok: number; errors: number }>();
    for (const kind of plan) {
      const entry = expectedByProvider.get(kind.provider) ?? { requests: 0, ok: 0, errors: 0 };
      entry.requests++;
      if (kind.outcome === 'ok') entry.ok++;
      else entry.errors++;
      expectedByProvider.set(kind.provider, entry);
    }

    const totals = await getStats(first.url);
    expect(totals.groups).toHaveLength(1);
    expect(totals.groups[0]).toMatchObject({
      key: {},
      requests: total,
      ok: expectedOk,
      errors: total - expectedOk,
    });
    const byProvider = await getStats(first.url, 'group_by=provider');
    expect(byProvider.groups.map(({ key, requests, ok, errors }) => ({ key, requests, ok, errors }))).toEqual(
      [...expectedByProvider.entries()]
        .map(([provider, counts]) => ({ key: { provider }, ...counts }))
        .sort((a, b) => b.requests - a.requests || (a.key.provider < b.key.provider ? -1 : 1)),
    );
    // A stream cut after its 200 head failed all the same: the store files it under 5xx.
    const by5xx = await getStats(first.url, 'status_class=5xx');
    expect(by5xx.groups[0]?.requests).toBe(
      plan.filter((kind) => kind.status >= 500 || (kind.status < 400 && kind.outcome === 'error')).length,
    );
    const by4xx = await getStats(first.url, 'status_class=4xx');
    expect(by4xx.groups[0]?.requests).toBe(plan.filter((kind) => kind.status === 404).length);

    await first.close();
    expect(spoolLines(spoolPath)).toEqual([]);

    // A new Keel on the same file reads the same rollups and raw records.
    const second = await start(config);
    const totalsAgain = await getStats(second.url);
    expect(totalsAgain.groups).toEqual(totals.groups);
    const byProviderAgain = await getStats(second.url, 'group_by=provider');
    expect(byProviderAgain.groups).toEqual(byProvider.groups);

    const { records, pages } = await allRecords(second.url, 7);
    expect(pages).toBe(Math.ceil(total / 7));
    expect(records).toHaveLength(total);
    expect(new Set(records.map((record) => record.requestId))).toEqual(new Set(ids));
    // Newest first, as the cursor promises.
    for (let index = 1; index < records.length; index++) {
      expect((records[index - 1] as RequestRecord).timeMs).toBeGreaterThanOrEqual(
        (records[index] as RequestRecord).timeMs,
      );
    }
    const recordById = new Map(records.map((record) => [record.requestId, record]));
    plan.forEach((kind, index) => {
      const record = recordById.get(ids[index] as string);
      expect(record, `record of call ${index}`).toMatchObject({
        requestedModel: kind.model,
        stream: kind.stream,
        status: kind.status,
        outcome: kind.outcome,
      });
      expect(record?.provider ?? '').toBe(kind.provider);
    });

    const csv = await fetch(`${second.url}/api/requests?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trimEnd().split('\n');
    expect(lines).toHaveLength(total + 1);
    expect(lines[0]?.split(',').slice(0, 2)).toEqual(['timeMs', 'requestId']);
    expect(new Set(lines.slice(1).map((line) => line.split(',')[1]))).toEqual(new Set(ids));
  });

  it('reports p50/p95/p99 of totalMs within the sketch bound of the raw records', async () => {
    const { storePath, spoolPath } = tempStorePaths();
    const harness = await start({
      providers: [
        { id: 'fast', type: 'mock', latencyMs: { p50: 5, p99: 40 }, seed: 11 },
        { id: 'slow', type: 'mock', latencyMs: { p50: 30, p99: 200 }, seed: 12 },
      ],
      models: [
        { name: 'fast-chat', targets: [{ provider: 'fast', model: 'f-1' }] },
        { name: 'slow-chat', targets: [{ provider: 'slow', model: 's-1' }] },
      ],
      telemetry: { store: { path: storePath, spoolPath } },
    });
    const count = 160;
    const seen = await askMany(harness, {
      count,
      concurrency: 16,
      call: (index) => ({ model: index % 2 === 0 ? 'fast-chat' : 'slow-chat', stream: index % 5 === 0 }),
    });
    expect(seen.every((call) => call.status === 200)).toBe(true);

    const { records } = await allRecords(harness.url, 1_000);
    expect(records).toHaveLength(count);
    // The sketch's bound, plus floating-point rounding of its logarithm.
    const withinBound = (estimate: number | null, exact: number, label: string) => {
      expect(estimate, label).not.toBeNull();
      expect(Math.abs((estimate ?? Number.NaN) - exact), label).toBeLessThanOrEqual(exact * (0.01 + 1e-9));
    };
    const check = (group: StatsGroup | undefined, values: number[], label: string) => {
      expect(group?.requests, label).toBe(values.length);
      const latency = group?.latency;
      withinBound(latency?.p50 ?? null, exactQuantile(values, 0.5), `${label} p50`);
      withinBound(latency?.p95 ?? null, exactQuantile(values, 0.95), `${label} p95`);
      withinBound(latency?.p99 ?? null, exactQuantile(values, 0.99), `${label} p99`);
      // Min and max are kept exactly.
      expect(latency?.min, label).toBe(Math.min(...values));
      expect(latency?.max, label).toBe(Math.max(...values));
    };
    const totals = await getStats(harness.url);
    check(
      totals.groups[0],
      records.map((record) => record.totalMs),
      'all',
    );
    const byProvider = await getStats(harness.url, 'group_by=provider');
    for (const provider of ['fast', 'slow']) {
      check(
        groupOf(byProvider, { provider }),
        records.filter((record) => record.provider === provider).map((record) => record.totalMs),
        provider,
      );
    }
    // The spread is wide enough for p95 to differ from p50, so the comparison means something.
    const p50 = totals.groups[0]?.latency.p50 ?? 0;
    expect(totals.groups[0]?.latency.p95 ?? 0).toBeGreaterThan(p50 * 1.5);
  });

  describe('while the store refuses writes', () => {
    const config = (paths: { storePath: string; spoolPath: string }): KeelConfigInput => ({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 2, p99: 10 }, seed: 5 }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      telemetry: { store: { path: paths.storePath, spoolPath: paths.spoolPath } },
    });
    /**
     * Makes every insert into `requests` fail inside SQLite itself (from another connection, as an
     * operator or a disk problem would), until `heal()`. The store's batch transaction rolls back whole.
     */
    const breakStore = (storePath: string) => {
      const database = new Database(storePath);
      databases.push(database);
      database.exec(
        "CREATE TRIGGER keel_test_refuse BEFORE INSERT ON requests BEGIN SELECT RAISE(ABORT, 'store down'); END",
      );
      return { heal: () => database.exec('DROP TRIGGER keel_test_refuse') };
    };
    const calls = (harness: KeelHarness, count: number) =>
      askMany(harness, {
        count,
        concurrency: 5,
        call: (index) => ({ model: 'chat', stream: index % 3 === 0 }),
      });
    const spooledIds = (spoolPath: string) =>
      spoolLines(spoolPath).map((line) => (JSON.parse(line) as RequestRecord).requestId);

    it('keeps serving, spools the records, and stores each exactly once when the store recovers', async () => {
      const paths = tempStorePaths();
      const harness = await start(config(paths));
      const before = await calls(harness, 10);
      expect((await getStats(harness.url)).groups[0]?.requests).toBe(10);

      const store = breakStore(paths.storePath);
      const duringFirst = await calls(harness, 15);
      await harness.keel.telemetry.flush();
      const bytesAfterFirst = spoolBytes(paths.spoolPath);
      expect(bytesAfterFirst).toBeGreaterThan(0);
      expect(spooledIds(paths.spoolPath).sort()).toEqual(duringFirst.map((call) => call.requestId).sort());
      const duringSecond = await calls(harness, 15);
      await harness.keel.telemetry.flush();
      expect(spoolBytes(paths.spoolPath)).toBeGreaterThan(bytesAfterFirst);
      const during = [...duringFirst, ...duringSecond];
      expect(during.every((call) => call.status === 200 && !call.streamBroke)).toBe(true);
      expect(spooledIds(paths.spoolPath).sort()).toEqual(during.map((call) => call.requestId).sort());
      // Reads still work, and no batch was half written.
      expect((await getStats(harness.url)).groups[0]?.requests).toBe(10);
      // /metrics tells the operator: 30 records spooled, none lost.
      const spooling = await (await fetch(`${harness.url}/metrics`)).text();
      expect(spooling).toMatch(/keel_telemetry_records_total\{[^}]*result="spooled"[^}]*\} 30\n/);
      expect(spooling).toMatch(/keel_telemetry_records_total\{[^}]*result="dropped"[^}]*\} 0\n/);
      expect(harness.keel.telemetry.counters().store).toMatchObject({ spooled: 30, replayed: 0, dropped: 0 });

      store.heal();
      // The next successful insert replays the spool.
      const after = await calls(harness, 5);
      await harness.keel.telemetry.flush();
      expect(spoolBytes(paths.spoolPath)).toBe(0);
      expect(harness.keel.telemetry.counters().store).toMatchObject({
        spooled: 30,
        replayed: 30,
        dropped: 0,
      });

      const everyone = [...before, ...during, ...after].map((call) => call.requestId);
      const stats = await getStats(harness.url);
      expect(stats.groups[0]).toMatchObject({ requests: everyone.length, ok: everyone.length, errors: 0 });
      const { records } = await allRecords(harness.url, 1_000);
      const storedIds = records.map((record) => record.requestId);
      expect(storedIds).toHaveLength(everyone.length);
      expect(new Set(storedIds)).toEqual(new Set(everyone));
    });

    it('replays records spooled before a restart into the store on the next start', async () => {
      const paths = tempStorePaths();
      const first = await start(config(paths));
      const before = await calls(first, 10);
      await first.keel.telemetry.flush();
      const store = breakStore(paths.storePath);
      const during = await calls(first, 30);
      expect(during.every((call) => call.status === 200 && !call.streamBroke)).toBe(true);
      // Closing flushes into the still-refusing store: the records stay in the spool for the next start.
      await first.close();
      expect(spooledIds(paths.spoolPath).sort()).toEqual(during.map((call) => call.requestId).sort());

      store.heal();
      const second = await start(config(paths));
      const everyone = [...before, ...during].map((call) => call.requestId);
      const stats = await getStats(second.url);
      expect(stats.groups[0]).toMatchObject({ requests: everyone.length, ok: everyone.length });
      const { records } = await allRecords(second.url, 1_000);
      const storedIds = records.map((record) => record.requestId);
      expect(storedIds).toHaveLength(everyone.length);
      expect(new Set(storedIds)).toEqual(new Set(everyone));
      expect(spoolBytes(paths.spoolPath)).toBe(0);
    });
  });
});

describe('keel start: SIGTERM under load', () => {
  /** Waits for the "listening" log line and returns the URL it names. */
  function waitForUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 15_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on('exit', () => reject(new Error(`exited early: ${output}`)));
    });
  }

  it('stores a record for every request that was answered before the process exited', async () => {
    const { dir, storePath, spoolPath } = tempStorePaths();
    const configPath = join(dir, 'keel.yaml');
    writeFileSync(
      configPath,
      `
providers:
  - { id: sim, type: mock, latencyMs: { p50: 200, p99: 200 }, outputTokens: 12, seed: 3 }
models:
  - { name: chat-default, targets: [ { provider: sim, model: sim-1 } ] }
telemetry:
  store: { path: ${JSON.stringify(storePath)}, spoolPath: ${JSON.stringify(spoolPath)} }
`,
    );
    // From a fresh temp cwd, so nothing lands in the repo.
    const child = spawn(
      process.execPath,
      ['--import', tsxLoader, cli, 'start', '--config', configPath, '--port', '0'],
      {
        cwd: mkdtempSync(join(tmpdir(), 'keel-cli-cwd-')),
        env: { ...process.env, KEEL_CONFIG: '', KEEL_PORT: '', KEEL_ADMIN_TOKEN: '' },
        stdio: 'pipe',
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await waitForUrl(child);
      const post = (stream: boolean) =>
        fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'chat-default',
            stream,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
      /** What the client saw in the end: status, body, and the id Keel gave the request. */
      const settle = async (response: Response, stream: boolean) => ({
        stream,
        requestId: response.headers.get('x-keel-request-id'),
        status: response.status,
        body: await response.text(),
      });
      // Half plain, half streams, all sent at once.
      const calls = Array.from({ length: 100 }, (_, index) => {
        const stream = index % 2 === 1;
        const response = post(stream);
        const result = response.then(
          (answer) => settle(answer, stream),
          (error: unknown) => ({ stream, requestId: null, status: 0, body: String(error) }),
        );
        return { stream, response, result };
      });
      // A stream's headers come with its first token: from then on Keel provably has requests in
      // flight, so that is when the signal goes out. Calls that reach Keel after it are refused.
      await Promise.any(
        calls
          .filter((call) => call.stream)
          .map(async (call) => {
            if ((await call.response).status !== 200) throw new Error('not a started stream');
          }),
      );
      child.kill('SIGTERM');
      const results = await Promise.all(calls.map((call) => call.result));
      expect(await exited).toBe(0);

      const shutdownLine = /"inFlight":(\d+)[^\n]*shutting down/.exec(stdout);
      expect(Number(shutdownLine?.[1])).toBeGreaterThan(0);
      const answered = results.filter((result) => result.status === 200);
      // At least the stream whose headers triggered the signal.
      expect(answered.length).toBeGreaterThan(0);
      for (const result of answered) {
        expect(result.body.trim().endsWith(result.stream ? 'data: [DONE]' : '}')).toBe(true);
      }
      // A call that reached Keel only after SIGTERM is refused with 503 or finds the port closed (0).
      for (const result of results.filter((result) => result.status !== 200)) {
        if (result.status === 503) expect(result.body).toContain('KEEL_SHUTTING_DOWN');
        else expect(result.status).toBe(0);
      }
      const answeredIds = answered.map((result) => result.requestId);
      expect(answeredIds.every((id) => typeof id === 'string' && id !== '')).toBe(true);

      const database = new Database(storePath, { readonly: true, fileMustExist: true });
      try {
        const rows = database.prepare('SELECT request_id, status, outcome FROM requests').all() as {
          request_id: string;
          status: number;
          outcome: string;
        }[];
        const storedIds = new Set(rows.map((row) => row.request_id));
        const missing = answeredIds.filter((id) => !storedIds.has(id as string));
        expect(missing).toEqual([]);
        // Nothing else was recorded (refused calls never reach the gateway), and nothing twice.
        expect(rows).toHaveLength(answered.length);
        expect(rows.every((row) => row.status === 200 && row.outcome === 'ok')).toBe(true);
      } finally {
        database.close();
      }
      expect(spoolLines(spoolPath)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
