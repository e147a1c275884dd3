// Worker thread entry: owns one SqliteStore and runs the calls the main thread posts, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import {
  serializeError,
  type StoreCall,
  type StoreReply,
  type WorkerReady,
} from './sqlite-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-worker.ts must run as a worker thread');

let store: SqliteStore | undefined;
try {
  store = new SqliteStore(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true } satisfies WorkerReady);
} catch (error) {
  port.postMessage({ ready: false, error: serializeError(error) } satisfies WorkerReady);
  port.close();
}

// Calls arrive in order and run in order: each waits for the one before (prune yields mid-way).
let previous: Promise<unknown> = Promise.resolve();
port.on('message', (call: StoreCall) => {
  previous = previous.then(async () => {
    let reply: StoreReply;
    try {
      const value = await run(call);
      reply = { id: call.id, ok: true, value };
    } catch (error) {
      reply = { id: call.id, ok: false, error: serializeError(error) };
    }
    port.postMessage(reply);
    if (call.method === 'close') port.close();
  });
});

function run(call: StoreCall): Promise<unknown> {
  if (store === undefined) return Promise.reject(new Error('the telemetry store did not open'));
  switch (call.method) {
    case 'insert':
      return store.insert(call.argument as Parameters<SqliteStore['insert']>[0]);
    case 'stats':
      return store.stats(call.argument as Parameters<SqliteStore['stats']>[0]);
    case 'requests':
      return store.requests(call.argument as Parameters<SqliteStore['requests']>[0]);
    case 'timeseries':
      return store.timeseries(call.argument as Parameters<SqliteStore['timeseries']>[0]);
    case 'experimentReport':
      return store.experimentReport(call.argument as Parameters<SqliteStore['experimentReport']>[0]);
    case 'prune':
      return store.prune(call.argument as number);
    case 'close':
      return store.close();
  }
}
