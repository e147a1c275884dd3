// The SQLite telemetry store run on a worker thread, so inserts and queries never hold the request path's event loop.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RequestRecord } from '../../telemetry/request-record.js';
import type {
  ExperimentReport,
  ExperimentReportQuery,
  RequestsPage,
  RequestsQuery,
  StatsQuery,
  StatsResult,
  TelemetryStore,
  TimeseriesQuery,
  TimeseriesResult,
} from '../store.js';
import { DEFAULT_SQLITE_PATH, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import {
  deserializeError,
  type StoreCall,
  type StoreMethod,
  type StoreReply,
  type WorkerReady,
} from './sqlite-worker-protocol.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * The worker to start: the compiled sqlite-worker.js next to this file or, when running from the
 * TypeScript sources (tests, tsx), a bootstrap that registers tsx's loader in the worker first
 * (workers do not inherit the parent's loader, and Node 20 ignores --import in worker execArgv).
 */
function newWorker(workerData: SqliteStoreOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData });
  }
  // The ESM build of tsx/esm/api (require.resolve would give its CommonJS build, which cannot register ESM hooks).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsxApi = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./sqlite-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * TelemetryStore that runs a SqliteStore on its own thread. Calls are posted in order and answered
 * in order; records are copied to the worker (structured clone), so the caller may reuse its arrays.
 * The file is opened and migrated once on the calling thread first, so a file Keel cannot use stops
 * the start with its error, as with SqliteStore. If the worker dies, pending calls reject (the
 * StoreWriter spools their records) and the next call starts a new worker.
 *
 * @example
 * const store = new WorkerSqliteStore({ path: './data/keel.db' });
 * await store.insert(records);   // the event loop stays free while SQLite writes
 * await store.close();
 */
export class WorkerSqliteStore implements TelemetryStore {
  readonly path: string;
  readonly #options: SqliteStoreOptions;
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: Promise<void> | undefined;
  /** Workers started so far (1 unless one died). */
  workersStarted = 0;

  constructor(options: SqliteStoreOptions = {}) {
    this.path = options.path ?? DEFAULT_SQLITE_PATH;
    this.#options = { ...options, path: this.path };
    if (this.path !== ':memory:') {
      // Migrates the file and throws now if it is unusable (newer schema, not a database...).
      const check = new SqliteStore(this.#options);
      void check.close();
    }
    this.#start();
  }

  insert(records: readonly RequestRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return this.#call('insert', records) as Promise<void>;
  }

  stats(query: StatsQuery): Promise<StatsResult> {
    return this.#call('stats', query) as Promise<StatsResult>;
  }

  requests(query: RequestsQuery): Promise<RequestsPage> {
    return this.#call('requests', query) as Promise<RequestsPage>;
  }

  timeseries(query: TimeseriesQuery): Promise<TimeseriesResult> {
    return this.#call('timeseries', query) as Promise<TimeseriesResult>;
  }

  experimentReport(query: ExperimentReportQuery): Promise<ExperimentReport> {
    return this.#call('experimentReport', query) as Promise<ExperimentReport>;
  }

  prune(nowMs: number): Promise<{ rawDeleted: number; rollupsDeleted: number }> {
    return this.#call('prune', nowMs) as Promise<{ rawDeleted: number; rollupsDeleted: number }>;
  }

  /** Waits for calls already made, closes the database and ends the worker. Later calls reject. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const worker = this.#worker;
      if (worker === undefined) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      try {
        await this.#send('close', undefined);
      } finally {
        // The worker ends itself after closing; terminate covers one that cannot answer.
        const timer = setTimeout(() => void worker.terminate(), 5_000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return this.#closed;
  }

  /** Ends the worker at once, as a crash would (tests). */
  async killWorkerForTest(): Promise<void> {
    await this.#worker?.terminate();
  }

  #start(): void {
    const worker = newWorker(this.#options);
    this.#worker = worker;
    this.workersStarted++;
    worker.unref();
    this.#ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (message: WorkerReady) => {
        if (message.ready) resolve();
        else reject(deserializeError(message.error));
        worker.on('message', (reply: StoreReply) => this.#settle(reply));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`telemetry store worker exited (code ${code})`)));
    });
    // Avoids an unhandled rejection when nothing is waiting; callers see it through #send.
    this.#ready.catch(() => undefined);
    worker.on('error', (error) => this.#failAll(error));
    worker.once('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(new Error(`telemetry store worker exited (code ${code})`));
    });
  }

  #call(method: StoreMethod, argument: StoreCall['argument']): Promise<unknown> {
    if (this.#closed !== undefined) return Promise.reject(new Error('the telemetry store is closed'));
    if (this.#worker === undefined) this.#start();
    return this.#send(method, argument);
  }

  async #send(method: StoreMethod, argument: StoreCall['argument']): Promise<unknown> {
    const worker = this.#worker;
    if (worker === undefined) throw new Error('the telemetry store worker is not running');
    await this.#ready;
    // It may have died while this call waited; a message to a dead worker would never be answered.
    if (this.#worker !== worker) throw new Error('the telemetry store worker exited');
    const id = this.#nextId++;
    const result = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    // While a call is out, the worker keeps the process alive (a shutdown flush must finish).
    if (this.#pending.size === 1) worker.ref();
    const call: StoreCall = { id, method, argument };
    worker.postMessage(call);
    return result;
  }

  #settle(reply: StoreReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(deserializeError(reply.error));
  }

  #failAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) call.reject(error);
  }
}
