// Wires the telemetry path: request:end events -> RequestRecords -> store writer (and other sinks).
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import type { Clock } from '../spec/index.js';
import { WorkerSqliteStore } from '../store/sqlite/sqlite-worker-store.js';
import { StoreWriter, type StoreWriterCounters } from '../store/store-writer.js';
import type { TelemetryStore } from '../store/store.js';
import { buildRequestRecord, type RecordBuilderOptions } from '../telemetry/build-request-record.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import { JsonlSink, type JsonlSinkCounters } from '../telemetry/sinks/jsonl-sink.js';

export interface Telemetry {
  /** The store, when one is enabled. */
  store: TelemetryStore | undefined;
  /** The sinks' counters, for metrics: undefined for a sink that is off. */
  counters(): { store: StoreWriterCounters | undefined; jsonl: JsonlSinkCounters | undefined };
  /** Writes buffered records so reads see every answered request. */
  flush(): Promise<void>;
  /** Flushes every sink and closes the store (at shutdown). */
  close(): Promise<void>;
}

/**
 * Subscribes the record sinks to `request:end`. Nothing here runs on the request's own path
 * beyond building the record and appending it to in-memory buffers.
 */
export function createTelemetry(options: {
  config: Readonly<KeelConfig>;
  events: EventBus;
  logger: Logger;
  clock: Clock;
  recordOptions: RecordBuilderOptions;
  /** More record consumers (JSONL file...). */
  sinks?: ((record: RequestRecord) => void)[];
}): Telemetry {
  const { config, events, logger } = options;
  const storeConfig = config.telemetry.store;
  const store = storeConfig.enabled
    ? // On its own thread: a batch insert or a wide query never holds the request path's event loop.
      new WorkerSqliteStore({
        path: storeConfig.path,
        rawRetentionMs: storeConfig.rawRetentionMs,
        rollupRetentionMs: storeConfig.rollupRetentionMs,
        hourlyRollupRetentionMs: storeConfig.hourlyRollupRetentionMs,
      })
    : undefined;
  const writer =
    store === undefined
      ? undefined
      : new StoreWriter({
          store,
          batchSize: storeConfig.batchSize,
          flushIntervalMs: storeConfig.flushIntervalMs,
          spoolPath: storeConfig.spoolPath,
          clock: options.clock,
          onError: (error, source) =>
            logger.warn({ err: error, source }, 'telemetry store write failed; records spooled'),
        });
  const jsonlConfig = config.telemetry.jsonl;
  const jsonl = jsonlConfig.enabled
    ? new JsonlSink({
        dir: jsonlConfig.dir,
        maxBytes: jsonlConfig.maxBytes,
        maxFiles: jsonlConfig.maxFiles,
        clock: options.clock,
        onError: (error) => logger.warn({ err: error }, 'telemetry JSONL write failed; will retry'),
      })
    : undefined;
  const sinks = [
    ...(options.sinks ?? []),
    ...(jsonl === undefined ? [] : [(record: RequestRecord) => jsonl.write(record)]),
  ];
  // With no store and no sink, no record is built at all (redaction and pricing cost CPU).
  if (writer !== undefined || sinks.length > 0) {
    events.on('request:end', (event) => {
      const record = buildRequestRecord(event, options.recordOptions);
      writer?.write(record);
      for (const sink of sinks) sink(record);
    });
  }
  const prune = () => {
    store
      ?.prune(options.clock.now())
      .catch((error: unknown) => logger.warn({ err: error }, 'telemetry prune failed'));
  };
  // Once soon after start (a Keel restarted often must still prune), then hourly.
  const firstPrune = store === undefined ? undefined : setTimeout(prune, 60_000);
  firstPrune?.unref();
  const pruneTimer = store === undefined ? undefined : setInterval(prune, 3_600_000);
  pruneTimer?.unref();
  return {
    store,
    counters: () => ({ store: writer?.counters, jsonl: jsonl?.counters }),
    flush: async () => {
      await Promise.all([writer?.flush(), jsonl?.flush()]);
    },
    close: async () => {
      clearTimeout(firstPrune);
      clearInterval(pruneTimer);
      await Promise.all([writer?.close(), jsonl?.close()]);
      await store?.close();
    },
  };
}
