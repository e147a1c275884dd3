// The telemetry store: its contract, the SQLite implementation and the buffered writer.
export * from './store.js';
export { LatencySketch, SKETCH_RELATIVE_ACCURACY } from './latency-sketch.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { WorkerSqliteStore } from './sqlite/sqlite-worker-store.js';
export {
  DEFAULT_RAW_RETENTION_MS,
  DEFAULT_ROLLUP_RETENTION_MS,
  DEFAULT_HOURLY_ROLLUP_RETENTION_MS,
  DEFAULT_SQLITE_PATH,
} from './sqlite/sqlite-store.js';
export * from './store-writer.js';
export { makeSyntheticRecords } from './synthetic-records.js';
