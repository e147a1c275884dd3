// Buffers request records off the hot path and writes them to the store in batches, spooling to disk on failure.
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock, timerScheduler, type Clock, type Scheduler } from '../spec/clock.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import type { TelemetryStore } from './store.js';

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_FLUSH_INTERVAL_MS = 1_000; // 1 s
export const DEFAULT_SPOOL_PATH = './data/spool.jsonl';
export const DEFAULT_RETRY_INTERVAL_MS = 5_000; // 5 s

/** When the writer runs its work: the shared Scheduler. */
export type StoreWriterScheduler = Scheduler;

export type StoreWriterErrorSource = 'insert' | 'spool' | 'replay';

export interface StoreWriterOptions {
  store: Pick<TelemetryStore, 'insert'>;
  /** Records per insert; a full buffer is flushed at once. Default 500. */
  batchSize?: number | undefined;
  /** Flush whatever is buffered this often. Default 1,000 ms. */
  flushIntervalMs?: number | undefined;
  /** JSONL file that holds batches the store refused until it takes them. Default ./data/spool.jsonl. */
  spoolPath?: string | undefined;
  /** While the spool holds records and nothing else succeeds, try replaying it this often. Default 5,000 ms. */
  retryIntervalMs?: number | undefined;
  clock?: Pick<Clock, 'now'> | undefined;
  scheduler?: StoreWriterScheduler | undefined;
  /** Every failure, with where it happened; the writer itself never throws to its callers. */
  onError?: ((error: unknown, source: StoreWriterErrorSource) => void) | undefined;
}

/** Counters for metrics. All are totals since start except `buffered`. */
export interface StoreWriterCounters {
  /** Records accepted and not yet written or spooled. */
  buffered: number;
  /** Records the store accepted from the buffer. */
  written: number;
  /** Records appended to the spool file. */
  spooled: number;
  /** Records the store accepted from the spool file. */
  replayed: number;
  /** Failed operations: store inserts (live or replay) and spool appends. */
  failures: number;
  /** Records lost: the store and the spool both failed, or written after close(). */
  dropped: number;
}

/**
 * The store's subscriber on the telemetry path. `write` only appends to an array; batches go to
 * the store every `flushIntervalMs`, when `batchSize` records are waiting, and on `close()`.
 * A batch the store refuses is appended to the spool file; once an insert succeeds again (or every
 * `retryIntervalMs` while idle), the spool is replayed in batches and truncated. Replays are safe
 * to repeat: the store ignores requestIds it already holds, rollups included.
 *
 * Flushes, spool appends and replays run one at a time, in order.
 *
 * @example
 * const writer = new StoreWriter({ store, onError: (error, source) => log.warn({ error, source }, 'store writer') });
 * bus.on('request:end', (event) => writer.write(toRequestRecord(event)));
 * // at shutdown
 * await writer.close();
 * await store.close();
 */
export class StoreWriter {
  readonly #store: Pick<TelemetryStore, 'insert'>;
  readonly #batchSize: number;
  readonly #spoolPath: string;
  readonly #retryIntervalMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #scheduler: StoreWriterScheduler;
  readonly #onError: (error: unknown, source: StoreWriterErrorSource) => void;
  readonly #cancelTimer: () => void;

  #buffer: RequestRecord[] = [];
  #inFlight = 0;
  #sizeFlushScheduled = false;
  /** The flush waiting to start, if any: later requests join it instead of queueing another. */
  #queuedFlush: Promise<void> | undefined;
  #queuedForce = false;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  /** undefined until the first flush has looked at the file (records from an earlier run count). */
  #spoolPending: boolean | undefined;
  /** Bytes at the head of the spool already replayed into the store. */
  #spoolReplayedBytes = 0;
  #spoolNeedsNewline = false;
  #lastReplayAttemptMs = -Infinity;

  readonly #counters = { written: 0, spooled: 0, replayed: 0, failures: 0, dropped: 0 };

  constructor(options: StoreWriterOptions) {
    this.#store = options.store;
    this.#batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
    this.#spoolPath = options.spoolPath ?? DEFAULT_SPOOL_PATH;
    this.#retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#scheduler = options.scheduler ?? timerScheduler;
    const onError = options.onError ?? (() => undefined);
    this.#onError = (error, source) => {
      try {
        onError(error, source);
      } catch {
        // A broken error reporter must not break the writer.
      }
    };
    this.#cancelTimer = this.#scheduler.every(options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS, () => {
      if (this.#buffer.length > 0 || this.#spoolPending !== false) void this.#requestFlush(false);
    });
  }

  /** Queues one record. O(1); never throws, never waits. */
  write(record: RequestRecord): void {
    try {
      if (this.#closed) {
        this.#counters.dropped++;
        return;
      }
      this.#buffer.push(record);
      if (this.#buffer.length >= this.#batchSize && !this.#sizeFlushScheduled) {
        this.#sizeFlushScheduled = true;
        this.#scheduler.soon(() => {
          this.#sizeFlushScheduled = false;
          void this.#requestFlush(false);
        });
      }
    } catch (error) {
      this.#onError(error, 'insert');
    }
  }

  get counters(): StoreWriterCounters {
    return { buffered: this.#buffer.length + this.#inFlight, ...this.#counters };
  }

  /** Writes everything buffered now (and replays the spool if an insert succeeds). Never rejects. */
  flush(): Promise<void> {
    return this.#requestFlush(false);
  }

  /**
   * Stops the timer, writes what is buffered and tries the spool once more. Records the store
   * still refuses stay in the spool for the next start. Does not close the store.
   */
  async close(): Promise<void> {
    if (this.#closed) return this.#chain;
    this.#closed = true;
    this.#cancelTimer();
    await this.#requestFlush(true);
  }

  #requestFlush(force: boolean): Promise<void> {
    this.#queuedForce ||= force;
    if (this.#queuedFlush !== undefined) return this.#queuedFlush;
    const flush = this.#chain.then(() => {
      this.#queuedFlush = undefined;
      const forceReplay = this.#queuedForce;
      this.#queuedForce = false;
      return this.#flushNow(forceReplay);
    });
    this.#queuedFlush = flush;
    this.#chain = flush;
    return flush;
  }

  async #flushNow(forceReplay: boolean): Promise<void> {
    const records = this.#buffer;
    this.#buffer = [];
    this.#inFlight = records.length;
    let insertSucceeded = false;
    try {
      for (let start = 0; start < records.length; start += this.#batchSize) {
        const batch = records.slice(start, start + this.#batchSize);
        if (await this.#tryInsert(batch, 'insert')) {
          this.#counters.written += batch.length;
          insertSucceeded = true;
        } else {
          await this.#spool(batch);
        }
        this.#inFlight -= batch.length;
      }
      this.#inFlight = 0;
      this.#spoolPending ??= await this.#spoolHasData();
      const retryDue = this.#clock.now() - this.#lastReplayAttemptMs >= this.#retryIntervalMs;
      if (this.#spoolPending && (insertSucceeded || forceReplay || (records.length === 0 && retryDue))) {
        await this.#replay();
      }
    } catch (error) {
      // Every step reports its own failures; this catches bugs, so the chain never rejects.
      this.#inFlight = 0;
      this.#onError(error, 'insert');
    }
  }

  async #tryInsert(batch: RequestRecord[], source: 'insert' | 'replay'): Promise<boolean> {
    try {
      await this.#store.insert(batch);
      return true;
    } catch (error) {
      this.#counters.failures++;
      this.#onError(error, source);
      return false;
    }
  }

  async #spool(batch: RequestRecord[]): Promise<void> {
    let text = this.#spoolNeedsNewline ? '\n' : '';
    for (const record of batch) text += `${JSON.stringify(record)}\n`;
    try {
      await mkdir(dirname(this.#spoolPath), { recursive: true });
      await appendFile(this.#spoolPath, text, 'utf8');
      this.#spoolNeedsNewline = false;
      this.#spoolPending = true;
      this.#counters.spooled += batch.length;
    } catch (error) {
      // A partial append may have left half a line; the next append starts on a fresh one.
      this.#spoolNeedsNewline = true;
      this.#counters.failures++;
      this.#counters.dropped += batch.length;
      this.#onError(error, 'spool');
    }
  }

  async #spoolHasData(): Promise<boolean> {
    try {
      return (await stat(this.#spoolPath)).size > 0;
    } catch {
      // No file (or no way to read it: appends to it will report that) means nothing to replay.
      return false;
    }
  }

  /** Inserts the spool from where the last replay stopped, in batches; truncates it when all is in. */
  async #replay(): Promise<void> {
    this.#lastReplayAttemptMs = this.#clock.now();
    const input = createReadStream(this.#spoolPath, { start: this.#spoolReplayedBytes });
    const lines = createInterface({ input, crlfDelay: Infinity });
    // A read error must stop the replay without truncating: remember it and end the line iterator.
    let readError: Error | undefined;
    input.on('error', (error) => {
      readError = error;
      lines.close();
    });
    let batch: RequestRecord[] = [];
    let batchBytes = 0;
    const insertBatch = async (): Promise<boolean> => {
      if (batch.length > 0 && !(await this.#tryInsert(batch, 'replay'))) return false;
      this.#counters.replayed += batch.length;
      this.#spoolReplayedBytes += batchBytes;
      batch = [];
      batchBytes = 0;
      return true;
    };
    try {
      for await (const line of lines) {
        batchBytes += Buffer.byteLength(line, 'utf8') + 1;
        const record = parseSpoolLine(line);
        if (record instanceof Error) this.#onError(record, 'replay');
        else if (record !== undefined) batch.push(record);
        if (batch.length >= this.#batchSize && !(await insertBatch())) return;
      }
      if (readError !== undefined) throw readError;
      if (!(await insertBatch())) return;
      await truncate(this.#spoolPath, 0);
      this.#spoolReplayedBytes = 0;
      this.#spoolPending = false;
    } catch (error) {
      if (isNotFound(error)) {
        // The spool was removed from outside: nothing left to replay.
        this.#spoolReplayedBytes = 0;
        this.#spoolPending = false;
        return;
      }
      this.#counters.failures++;
      this.#onError(error, 'replay');
    } finally {
      lines.close();
      input.destroy();
    }
  }
}

/** A record, undefined for a blank line, or an Error for a line that is not one (e.g. cut by a crash). */
function parseSpoolLine(line: string): RequestRecord | Error | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (isRecordLike(parsed)) return parsed;
  } catch {
    // Reported below.
  }
  return new Error(`spool: skipped a line that is not a request record: ${line.slice(0, 80)}`);
}

function isRecordLike(value: unknown): value is RequestRecord {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof RequestRecord, unknown>>;
  return (
    typeof candidate.requestId === 'string' &&
    typeof candidate.timeMs === 'number' &&
    typeof candidate.status === 'number' &&
    Array.isArray(candidate.failoverPath)
  );
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
