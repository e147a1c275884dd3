import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../request-record.js';
import { JsonlSink, jsonlFileName, type JsonlSinkOptions } from './jsonl-sink.js';
import { ManualScheduler } from '../../../test/support/manual-scheduler.js';

function makeRecord(requestId: string, time: string | number): RequestRecord {
  return {
    timeMs: typeof time === 'number' ? time : Date.parse(time),
    requestId,
    traceId: undefined,
    environment: 'production',
    application: 'chat',
    route: undefined,
    requestedModel: 'smart',
    provider: 'openai-primary',
    providerType: 'openai',
    servedModel: 'gpt-4o-mini',
    stream: false,
    status: 200,
    outcome: 'ok',
    errorCode: undefined,
    errorType: undefined,
    totalMs: 812.5,
    upstreamMs: 800.25,
    overheadMs: 12.25,
    ttftMs: undefined,
    inputTokens: 120,
    outputTokens: 48,
    totalTokens: 168,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.000_1,
    cacheHit: false,
    attempts: 1,
    failoverPath: ['openai-primary/gpt-4o-mini:ok'],
    breakerState: 'closed',
    featureVersion: undefined,
    promptVersion: undefined,
    experimentId: undefined,
    variantId: undefined,
    promptChars: 42,
    responseChars: 180,
    promptPreview: 'Say hello in "French" ✓',
    responsePreview: 'Bonjour\nle monde',
  };
}

/** Bytes of one record's line, newline included (every record made here has the same size). */
const LINE_BYTES = Buffer.byteLength(`${JSON.stringify(makeRecord('req-0', '2026-01-01T10:00:00Z'))}\n`);

function readLines(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('JsonlSink', () => {
  let directory: string;
  let scheduler: ManualScheduler;
  let errors: unknown[];

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'keel-jsonl-'));
    scheduler = new ManualScheduler();
    errors = [];
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function makeSink(options: Partial<JsonlSinkOptions> = {}): JsonlSink {
    return new JsonlSink({
      dir: join(directory, 'telemetry'),
      scheduler,
      onError: (error) => errors.push(error),
      ...options,
    });
  }

  function files(dir = join(directory, 'telemetry')): string[] {
    return readdirSync(dir).sort();
  }

  it('writes one JSON object per line, equal to the records, in a file named after the UTC date', async () => {
    const sink = makeSink();
    const records = [
      makeRecord('req-1', '2026-03-04T08:00:00Z'),
      makeRecord('req-2', '2026-03-04T08:00:01Z'),
      // 00:30 in Paris is still the 4th in UTC.
      makeRecord('req-3', '2026-03-05T00:30:00+01:00'),
    ];
    for (const record of records) sink.write(record);
    expect(existsSync(join(directory, 'telemetry'))).toBe(false);
    expect(sink.counters.buffered).toBe(3);

    await sink.flush();

    expect(files()).toEqual(['requests-2026-03-04.jsonl']);
    expect(readLines(join(directory, 'telemetry', 'requests-2026-03-04.jsonl'))).toEqual(records);
    expect(sink.counters).toEqual({ buffered: 0, written: 3, dropped: 0, failures: 0 });
    expect(errors).toEqual([]);
    await sink.close();
  });

  it('starts a new file when the record date changes, and never goes back a day', async () => {
    const sink = makeSink();
    sink.write(makeRecord('before-midnight', '2026-01-01T23:59:59.999Z'));
    await sink.flush();
    sink.write(makeRecord('after-midnight', '2026-01-02T00:00:00.000Z'));
    // Started before midnight, finished after: stays with the file already open.
    sink.write(makeRecord('late', '2026-01-01T23:59:58Z'));
    sink.write(makeRecord('next-day', '2026-01-03T12:00:00Z'));
    await sink.close();

    const dir = join(directory, 'telemetry');
    expect(files()).toEqual([
      'requests-2026-01-01.jsonl',
      'requests-2026-01-02.jsonl',
      'requests-2026-01-03.jsonl',
    ]);
    const ids = (name: string) => readLines(join(dir, name)).map((line) => (line as RequestRecord).requestId);
    expect(ids('requests-2026-01-01.jsonl')).toEqual(['before-midnight']);
    expect(ids('requests-2026-01-02.jsonl')).toEqual(['after-midnight', 'late']);
    expect(ids('requests-2026-01-03.jsonl')).toEqual(['next-day']);
  });

  it('dates records without a usable time by the injected clock', async () => {
    const sink = makeSink({ clock: { now: () => Date.parse('2030-06-07T05:00:00Z') } });
    sink.write(makeRecord('no-time', Number.NaN));
    await sink.close();
    expect(files()).toEqual(['requests-2030-06-07.jsonl']);
  });

  it('rotates to .1, .2... before a file would pass maxBytes, whether lines come together or apart', async () => {
    const records = Array.from({ length: 7 }, (_, index) =>
      makeRecord(`req-${index}`, `2026-02-01T10:00:0${index}Z`),
    );
    const maxBytes = Math.floor(LINE_BYTES * 2.5);
    const together = makeSink({ maxBytes, dir: join(directory, 'together') });
    for (const record of records) together.write(record);
    await together.close();
    const apart = makeSink({ maxBytes, dir: join(directory, 'apart') });
    for (const record of records) {
      apart.write(record);
      await apart.flush();
    }
    await apart.close();

    for (const dir of [join(directory, 'together'), join(directory, 'apart')]) {
      const names = [0, 1, 2, 3].map((index) => jsonlFileName('2026-02-01', index));
      expect(files(dir)).toEqual([...names].sort());
      for (const name of names) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(maxBytes);
      expect(names.flatMap((name) => readLines(join(dir, name)))).toEqual(records);
    }
  });

  it('puts a line bigger than maxBytes alone in its own file', async () => {
    const sink = makeSink({ maxBytes: 10 });
    sink.write(makeRecord('a', '2026-02-01T10:00:00Z'));
    sink.write(makeRecord('b', '2026-02-01T10:00:01Z'));
    await sink.close();
    expect(files()).toEqual(['requests-2026-02-01.1.jsonl', 'requests-2026-02-01.jsonl']);
    expect(sink.counters.written).toBe(2);
  });

  it('keeps at most maxFiles files, deleting the oldest by date then index, and nothing else', async () => {
    const dir = join(directory, 'telemetry');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'not a log');
    writeFileSync(join(dir, jsonlFileName('2025-12-30', 0)), '{}\n');
    writeFileSync(join(dir, jsonlFileName('2025-12-31', 12)), '{}\n');
    const sink = makeSink({ maxBytes: LINE_BYTES, maxFiles: 3 });
    for (let index = 0; index < 5; index++) {
      sink.write(makeRecord(`req-${index}`, `2026-01-01T00:00:0${index}Z`));
      await sink.flush();
    }
    await sink.close();

    expect(files()).toEqual([
      'notes.txt',
      'requests-2026-01-01.2.jsonl',
      'requests-2026-01-01.3.jsonl',
      'requests-2026-01-01.4.jsonl',
    ]);
    expect(errors).toEqual([]);
  });

  it('continues the last file of the day after a restart', async () => {
    const first = makeSink({ maxBytes: LINE_BYTES * 2 });
    for (let index = 0; index < 3; index++) first.write(makeRecord(`one-${index}`, '2026-04-01T09:00:00Z'));
    await first.close();
    const second = makeSink({ maxBytes: LINE_BYTES * 2 });
    second.write(makeRecord('two-0', '2026-04-01T10:00:00Z'));
    second.write(makeRecord('two-1', '2026-04-01T10:00:01Z'));
    await second.close();

    const dir = join(directory, 'telemetry');
    const ids = (name: string) => readLines(join(dir, name)).map((line) => (line as RequestRecord).requestId);
    expect(ids('requests-2026-04-01.jsonl')).toEqual(['one-0', 'one-1']);
    expect(ids('requests-2026-04-01.1.jsonl')).toEqual(['one-2', 'two-0']);
    expect(ids('requests-2026-04-01.2.jsonl')).toEqual(['two-1']);
  });

  it('flushes on the interval and when batchSize lines wait, never inside write', async () => {
    const sink = makeSink({ batchSize: 3, flushIntervalMs: 250 });
    expect(scheduler.intervals.map((interval) => interval.intervalMs)).toEqual([250]);
    const path = join(directory, 'telemetry', 'requests-2026-05-01.jsonl');

    sink.write(makeRecord('req-0', '2026-05-01T00:00:00Z'));
    expect(scheduler.soonTasks).toHaveLength(0);
    scheduler.tick();
    await sink.flush();
    expect(readLines(path)).toHaveLength(1);

    for (let index = 1; index <= 3; index++) sink.write(makeRecord(`req-${index}`, '2026-05-01T00:00:01Z'));
    expect(scheduler.soonTasks).toHaveLength(1);
    expect(readLines(path)).toHaveLength(1);
    scheduler.runSoon();
    await sink.flush();
    expect(readLines(path)).toHaveLength(4);

    await sink.close();
    expect(scheduler.intervals[0]?.cancelled).toBe(true);
  });

  it('close flushes what is buffered, is idempotent, and drops later writes', async () => {
    const sink = makeSink();
    const records = [makeRecord('a', '2026-01-01T00:00:00Z'), makeRecord('b', '2026-01-01T00:00:01Z')];
    for (const record of records) sink.write(record);
    await Promise.all([sink.close(), sink.close()]);
    expect(readLines(join(directory, 'telemetry', 'requests-2026-01-01.jsonl'))).toEqual(records);

    sink.write(makeRecord('c', '2026-01-01T00:00:02Z'));
    await sink.close();
    expect(sink.counters).toEqual({ buffered: 0, written: 2, dropped: 1, failures: 0 });
  });

  it('reports a failing write and keeps its lines, in order, until the directory can be made', async () => {
    // A path under a regular file cannot be created, even by root.
    const blocker = join(directory, 'blocker');
    writeFileSync(blocker, 'a file, not a directory');
    const dir = join(blocker, 'telemetry');
    const sink = makeSink({ dir });
    const records = Array.from({ length: 5 }, (_, index) =>
      makeRecord(`req-${index}`, `2026-01-01T00:00:0${index}Z`),
    );

    for (const record of records.slice(0, 3)) sink.write(record);
    await sink.flush();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(sink.counters).toEqual({ buffered: 3, written: 0, dropped: 0, failures: 1 });

    sink.write(records[3] as RequestRecord);
    scheduler.tick();
    await sink.flush();
    expect(errors.length).toBeGreaterThan(1);

    rmSync(blocker);
    sink.write(records[4] as RequestRecord);
    await sink.flush();
    expect(readLines(join(dir, 'requests-2026-01-01.jsonl'))).toEqual(records);
    expect(sink.counters).toMatchObject({ buffered: 0, written: 5, dropped: 0 });
    await sink.close();
  });

  it('recovers when the file itself cannot be appended to, without doubling or breaking lines', async () => {
    const dir = join(directory, 'telemetry');
    // A directory where the log file should be: appends fail with EISDIR.
    mkdirSync(join(dir, 'requests-2026-01-01.jsonl'), { recursive: true });
    const sink = makeSink();
    const records = [makeRecord('a', '2026-01-01T00:00:00Z'), makeRecord('b', '2026-01-01T00:00:01Z')];
    for (const record of records) sink.write(record);
    await sink.flush();
    expect(errors.length).toBeGreaterThan(0);
    expect(sink.counters.buffered).toBe(2);

    rmSync(join(dir, 'requests-2026-01-01.jsonl'), { recursive: true });
    await sink.close();
    expect(readLines(join(dir, 'requests-2026-01-01.jsonl'))).toEqual(records);
  });

  it('holds at most maxBufferedLines while failing and counts what it drops', async () => {
    const blocker = join(directory, 'blocker');
    writeFileSync(blocker, '');
    const dir = join(blocker, 'telemetry');
    const sink = makeSink({ dir, maxBufferedLines: 5 });
    const records = Array.from({ length: 8 }, (_, index) =>
      makeRecord(`req-${index}`, '2026-01-01T00:00:00Z'),
    );
    for (const record of records.slice(0, 4)) sink.write(record);
    await sink.flush();
    for (const record of records.slice(4)) sink.write(record);
    expect(sink.counters).toMatchObject({ buffered: 5, dropped: 3 });

    rmSync(blocker);
    await sink.close();
    expect(readLines(join(dir, 'requests-2026-01-01.jsonl'))).toEqual(records.slice(0, 5));
  });

  it('survives an onError that throws', async () => {
    const blocker = join(directory, 'blocker');
    writeFileSync(blocker, '');
    const sink = makeSink({
      dir: join(blocker, 'telemetry'),
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    sink.write(makeRecord('a', '2026-01-01T00:00:00Z'));
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink.counters).toMatchObject({ buffered: 1, failures: 1 });
  });

  it('works with the default timer scheduler', async () => {
    const sink = new JsonlSink({ dir: join(directory, 'telemetry'), flushIntervalMs: 60_000 });
    sink.write(makeRecord('a', '2026-01-01T00:00:00Z'));
    await sink.close();
    expect(files()).toEqual(['requests-2026-01-01.jsonl']);
  });
});
