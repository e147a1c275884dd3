// Builds (or reuses) a big synthetic telemetry store for the store and monitor benchmarks.
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const HOUR_MS = 3_600_000;
/** One day in ms. */
export const DAY_MS = 24 * HOUR_MS;
/** The data ends at a fixed, ragged instant (not on an hour), so ranges have partial hours at both ends. */
export const SYNTHETIC_END_MS = Date.parse('2026-11-30T17:23:41.500Z');

const fixed = (value, digits = 1) => value.toFixed(digits);
const thousands = (value) => Math.round(value).toLocaleString('en-US');

/**
 * Fills the SQLite store at `file` with `count` synthetic requests ending at SYNTHETIC_END_MS and spanning
 * `days` (records generated chunk by chunk, inserted in the StoreWriter's batches of `batchSize`, with
 * 200-character previews as Keel stores by default), or reuses the file when it already holds `count`.
 * Logs progress with console.log; exits the process if the file holds another number of requests.
 * @param {{ SqliteStore: Function, makeSyntheticRecords: Function, file: string, count: number, days: number, batchSize?: number }} options
 * @returns {Promise<{ startMs: number, endMs: number, fileBytes: number, built: boolean }>}
 */
export async function buildSyntheticStore(options) {
  const { SqliteStore, makeSyntheticRecords, file, count, days } = options;
  const batchSize = options.batchSize ?? 500;
  const endMs = SYNTHETIC_END_MS;
  const startMs = endMs - days * DAY_MS;
  const store = new SqliteStore({ path: file, rawRetentionMs: 3650 * DAY_MS });
  const held = (await store.stats({ fromMs: startMs, toMs: endMs + 1 })).groups[0]?.requests ?? 0;
  let built = false;
  if (held === count) {
    console.log(`  reusing ${file}: ${thousands(held)} requests`);
  } else if (held !== 0) {
    console.error(`${file} holds ${held} requests, not ${count}: remove it or pick another --db`);
    process.exit(1);
  } else {
    built = true;
    const chunk = 100_000;
    const chunks = Math.ceil(count / chunk);
    const spanMs = (endMs - startMs) / chunks;
    let insertMs = 0;
    let inserted = 0;
    let worstBatchMs = 0;
    const cpuBefore = process.cpuUsage();
    let generateCpuUs = 0;
    for (let index = 0; index < chunks; index++) {
      const size = Math.min(chunk, count - inserted);
      const generateBefore = process.cpuUsage();
      const records = makeSyntheticRecords({
        count: size,
        startMs: Math.floor(startMs + index * spanMs),
        spanMs: Math.floor(spanMs),
        seed: index + 1,
        uuidIds: true,
        previewChars: 200,
      });
      const generated = process.cpuUsage(generateBefore);
      generateCpuUs += generated.user + generated.system;
      for (let start = 0; start < records.length; start += batchSize) {
        const began = performance.now();
        await store.insert(records.slice(start, start + batchSize));
        const tookMs = performance.now() - began;
        insertMs += tookMs;
        worstBatchMs = Math.max(worstBatchMs, tookMs);
      }
      inserted += size;
      if (index % 10 === 9) {
        console.log(
          `  ... ${thousands(inserted)} inserted, ${thousands(inserted / (insertMs / 1000))} events/s so far`,
        );
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    const insertCpuMs = (cpu.user + cpu.system - generateCpuUs) / 1000;
    console.log(
      `  ingest:  ${thousands(count)} events in ${fixed(insertMs / 1000)} s of inserts = ${thousands(count / (insertMs / 1000))} events/s (${thousands(count / (insertCpuMs / 1000))} per CPU second); worst batch ${fixed(worstBatchMs)} ms`,
    );
  }
  await store.close();
  const fileBytes = statSync(file).size;
  console.log(
    `  file:    ${fixed(fileBytes / 1_073_741_824, 2)} GiB (${Math.round(fileBytes / count)} bytes/event)`,
  );
  return { startMs, endMs, fileBytes, built };
}
