// Appends request records to daily JSONL files off the request path, with size rotation and retention.
import { appendFile, mkdir, readdir, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { timerScheduler, type Scheduler } from '../../spec/clock.js';
import type { RequestRecord } from '../request-record.js';

export const DEFAULT_JSONL_MAX_BYTES = 100 * 1024 * 1024; // 100 MiB
export const DEFAULT_JSONL_MAX_FILES = 30;
export const DEFAULT_JSONL_FLUSH_INTERVAL_MS = 1_000; // 1 s
export const DEFAULT_JSONL_BATCH_SIZE = 500;
export const DEFAULT_JSONL_MAX_BUFFERED_LINES = 10_000;

/** When the sink runs its flushes: the shared Scheduler. */
export type JsonlSinkScheduler = Scheduler;

export interface JsonlSinkOptions {
  /** Directory of the files; created when missing. */
  dir: string;
  /** A file that would grow past this many bytes is closed and the next index opened. Default 100 MiB. */
  maxBytes?: number | undefined;
  /** Files kept in `dir`; the oldest (by date, then index) are deleted. Default 30. */
  maxFiles?: number | undefined;
  /** Write whatever is buffered this often. Default 1,000 ms. */
  flushIntervalMs?: number | undefined;
  /** Lines buffered that start a flush at once. Default 500. */
  batchSize?: number | undefined;
  /** Lines held in memory (waiting or being retried) before new records are dropped. Default 10,000. */
  maxBufferedLines?: number | undefined;
  /** Dates a record whose `timeMs` is not a usable time. Default Date.now. */
  clock?: { now(): number } | undefined;
  scheduler?: JsonlSinkScheduler | undefined;
  /** Every failed write or clean-up; the lines of a failed write are retried on the next flush. */
  onError?: ((error: unknown) => void) | undefined;
}

/** Counters for metrics. All are totals since start except `buffered`. */
export interface JsonlSinkCounters {
  /** Lines accepted and not yet written. */
  buffered: number;
  written: number;
  /** Records refused: the buffer was full, the sink was closed, or the record could not be serialised. */
  dropped: number;
  /** Failed appends, directory listings and deletions. */
  failures: number;
}

interface PendingLine {
  record: RequestRecord;
  /** Serialised at the first flush that sees it, then kept for retries; null when it cannot be. */
  line?: string | null;
}

/** The file being appended to. `sizeBytes` is what this sink knows was written. */
interface CurrentFile {
  date: string;
  index: number;
  path: string;
  sizeBytes: number;
}

const FILE_NAME = /^requests-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `requests-2026-01-02.jsonl`, then `requests-2026-01-02.1.jsonl`, `.2`... */
export function jsonlFileName(date: string, index: number): string {
  return index === 0 ? `requests-${date}.jsonl` : `requests-${date}.${index}.jsonl`;
}

/**
 * Seed 001's telemetry log: one JSON object per request per line, in
 * `<dir>/requests-YYYY-MM-DD.jsonl` named after the record's UTC date.
 *
 * `write` only pushes to an array; lines are appended every `flushIntervalMs`, when `batchSize`
 * are waiting, and on `flush()`/`close()`, one flush at a time. Dates only move forward: a record
 * that finishes after midnight but started before it goes to the file already open. A file that
 * would pass `maxBytes` is followed by `.1`, `.2`...; after each new file, files beyond
 * `maxFiles` are deleted, oldest first. A failed append is cut back to the last whole line and
 * its lines wait for the next flush, so nothing is lost or doubled while memory allows.
 *
 * @example
 * const sink = new JsonlSink({ dir: './data/telemetry', onError: (error) => log.warn({ error }, 'jsonl') });
 * bus.on('request:end', (event) => sink.write(buildRequestRecord(event, options)));
 * // at shutdown
 * await sink.close();
 */
export class JsonlSink {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  readonly #batchSize: number;
  readonly #maxBufferedLines: number;
  readonly #clock: { now(): number };
  readonly #scheduler: JsonlSinkScheduler;
  readonly #onError: (error: unknown) => void;
  readonly #cancelTimer: () => void;

  #buffer: PendingLine[] = [];
  #inFlight = 0;
  #sizeFlushScheduled = false;
  #queuedFlush: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  #current: CurrentFile | undefined;
  /** A failed append could not be cut back: the next append to that file starts on a new line. */
  #startWithNewline = false;

  readonly #counters = { written: 0, dropped: 0, failures: 0 };

  constructor(options: JsonlSinkOptions) {
    this.#dir = options.dir;
    this.#maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_JSONL_MAX_BYTES);
    this.#maxFiles = Math.max(1, Math.floor(options.maxFiles ?? DEFAULT_JSONL_MAX_FILES));
    this.#batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_JSONL_BATCH_SIZE));
    this.#maxBufferedLines = Math.max(
      1,
      Math.floor(options.maxBufferedLines ?? DEFAULT_JSONL_MAX_BUFFERED_LINES),
    );
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#scheduler = options.scheduler ?? timerScheduler;
    const onError = options.onError ?? (() => undefined);
    this.#onError = (error) => {
      this.#counters.failures++;
      try {
        onError(error);
      } catch {
        // A broken error reporter must not break the sink.
      }
    };
    this.#cancelTimer = this.#scheduler.every(
      options.flushIntervalMs ?? DEFAULT_JSONL_FLUSH_INTERVAL_MS,
      () => {
        if (this.#buffer.length > 0) void this.#requestFlush();
      },
    );
  }

  /** Queues one record. O(1); never throws, never waits. */
  write(record: RequestRecord): void {
    if (this.#closed || this.#buffer.length + this.#inFlight >= this.#maxBufferedLines) {
      this.#counters.dropped++;
      return;
    }
    this.#buffer.push({ record });
    if (this.#buffer.length >= this.#batchSize && !this.#sizeFlushScheduled) {
      this.#sizeFlushScheduled = true;
      this.#scheduler.soon(() => {
        this.#sizeFlushScheduled = false;
        void this.#requestFlush();
      });
    }
  }

  get counters(): JsonlSinkCounters {
    return { buffered: this.#buffer.length + this.#inFlight, ...this.#counters };
  }

  /** Appends everything buffered now. Never rejects; failures go to `onError`. */
  flush(): Promise<void> {
    return this.#requestFlush();
  }

  /** Stops the timer and appends what is buffered; later writes are dropped. Lines that still fail are lost. */
  async close(): Promise<void> {
    if (this.#closed) return this.#chain;
    this.#closed = true;
    this.#cancelTimer();
    await this.#requestFlush();
  }

  /** Flushes run one at a time; a request made while one waits to start joins it. */
  #requestFlush(): Promise<void> {
    if (this.#queuedFlush !== undefined) return this.#queuedFlush;
    const flush = this.#chain.then(() => {
      this.#queuedFlush = undefined;
      return this.#flushNow();
    });
    this.#queuedFlush = flush;
    this.#chain = flush;
    return flush;
  }

  async #flushNow(): Promise<void> {
    const pending = this.#buffer;
    if (pending.length === 0) return;
    this.#buffer = [];
    this.#inFlight = pending.length;
    let done = 0;
    try {
      await mkdir(this.#dir, { recursive: true });
      while (done < pending.length) done += await this.#appendGroup(pending, done);
    } catch (error) {
      this.#onError(error);
    } finally {
      // Unwritten lines go back in front of those written meanwhile, in order.
      this.#buffer = pending.slice(done).concat(this.#buffer);
      this.#inFlight = 0;
    }
  }

  /** Appends the lines from `start` that go to one file; returns how many entries it used. Throws on failure. */
  async #appendGroup(pending: PendingLine[], start: number): Promise<number> {
    let text = '';
    let bytes = 0;
    let lines = 0;
    let consumed = 0;
    let file: CurrentFile | undefined;
    for (let index = start; index < pending.length; index++) {
      const entry = pending[index];
      if (entry === undefined) break;
      const line = this.#serialise(entry);
      if (line === undefined) {
        // Cannot be serialised: counted as dropped and skipped, never retried.
        consumed++;
        continue;
      }
      const lineBytes = Buffer.byteLength(line, 'utf8') + 1;
      const date = this.#dateOf(entry.record);
      if (file === undefined) {
        file = await this.#fileFor(date, lineBytes);
      } else if (date > file.date || file.sizeBytes + bytes + lineBytes > this.#maxBytes) {
        break;
      }
      text += `${line}\n`;
      bytes += lineBytes;
      lines++;
      consumed++;
    }
    if (file !== undefined && lines > 0) {
      await this.#append(file, text, bytes);
      this.#counters.written += lines;
    }
    return consumed;
  }

  /** The open file for `date`, or the next one when `lineBytes` more would pass maxBytes. */
  async #fileFor(recordDate: string, lineBytes: number): Promise<CurrentFile> {
    let current = this.#current;
    const date = current !== undefined && current.date > recordDate ? current.date : recordDate;
    if (current === undefined || current.date !== date) {
      current = await this.#openFile(date, await this.#lastIndexOf(date));
    }
    while (current.sizeBytes > 0 && current.sizeBytes + lineBytes > this.#maxBytes) {
      current = await this.#openFile(date, current.index + 1);
    }
    this.#current = current;
    return current;
  }

  async #openFile(date: string, index: number): Promise<CurrentFile> {
    const path = join(this.#dir, jsonlFileName(date, index));
    let sizeBytes = 0;
    try {
      const stats = await stat(path);
      // Something that is not a file (a directory in the way) makes appends fail; they report it.
      if (stats.isFile()) sizeBytes = stats.size;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    return { date, index, path, sizeBytes };
  }

  /** The highest index of an existing file for `date` (a restart continues where the last run stopped). */
  async #lastIndexOf(date: string): Promise<number> {
    let last = 0;
    for (const file of await this.#listFiles())
      if (file.date === date && file.index > last) last = file.index;
    return last;
  }

  async #append(file: CurrentFile, text: string, bytes: number): Promise<void> {
    const isNewFile = file.sizeBytes === 0;
    const prefix = this.#startWithNewline && file.sizeBytes > 0 ? '\n' : '';
    try {
      await appendFile(file.path, prefix + text, 'utf8');
    } catch (error) {
      await this.#cutBack(file);
      throw error;
    }
    this.#startWithNewline = false;
    file.sizeBytes += bytes + prefix.length;
    if (isNewFile) await this.#enforceRetention(file);
  }

  /** Removes what a failed append may have left (half a line), so the retry neither doubles nor breaks lines. */
  async #cutBack(file: CurrentFile): Promise<void> {
    try {
      const stats = await stat(file.path);
      if (stats.isFile() && stats.size > file.sizeBytes) await truncate(file.path, file.sizeBytes);
    } catch (error) {
      if (isNotFound(error)) return;
      this.#startWithNewline = true;
      // Its size is unknown now: the next flush looks again.
      this.#current = undefined;
      this.#onError(error);
    }
  }

  async #enforceRetention(current: CurrentFile): Promise<void> {
    let files: ParsedFileName[];
    try {
      files = await this.#listFiles();
    } catch (error) {
      this.#onError(error);
      return;
    }
    files.sort(compareFiles);
    let excess = files.length - this.#maxFiles;
    for (const file of files) {
      if (excess <= 0) break;
      if (file.date === current.date && file.index === current.index) continue;
      try {
        await unlink(join(this.#dir, file.name));
      } catch (error) {
        if (!isNotFound(error)) this.#onError(error);
      }
      excess--;
    }
  }

  async #listFiles(): Promise<ParsedFileName[]> {
    const files: ParsedFileName[] = [];
    for (const name of await readdir(this.#dir)) {
      const parsed = parseFileName(name);
      if (parsed !== undefined) files.push(parsed);
    }
    return files;
  }

  #serialise(entry: PendingLine): string | undefined {
    if (entry.line === undefined) {
      try {
        entry.line = JSON.stringify(entry.record);
      } catch (error) {
        entry.line = null;
        this.#counters.dropped++;
        this.#onError(error);
      }
    }
    return entry.line ?? undefined;
  }

  /** The record's UTC day, or the clock's when the record has no usable time. */
  #dateOf(record: RequestRecord): string {
    return utcDate(record.timeMs) ?? utcDate(this.#clock.now()) ?? '1970-01-01';
  }
}

interface ParsedFileName {
  name: string;
  date: string;
  index: number;
}

function parseFileName(name: string): ParsedFileName | undefined {
  const match = FILE_NAME.exec(name);
  if (match?.[1] === undefined) return undefined;
  return { name, date: match[1], index: match[2] === undefined ? 0 : Number(match[2]) };
}

function compareFiles(left: ParsedFileName, right: ParsedFileName): number {
  if (left.date !== right.date) return left.date < right.date ? -1 : 1;
  return left.index - right.index;
}

function utcDate(timeMs: number): string | undefined {
  if (!Number.isFinite(timeMs)) return undefined;
  const date = new Date(timeMs);
  if (Number.isNaN(date.getTime())) return undefined;
  const day = date.toISOString().slice(0, 10);
  return DAY.test(day) ? day : undefined;
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
}
