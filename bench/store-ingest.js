// Store ingest micro-benchmark: insert throughput into the SQLite telemetry store, in events/s.
// Run after a build:  npm run build && node bench/store-ingest.js [--count 200000] [--batch 500] [--db file]
// Records are generated before timing starts; each batch is one transaction (raw rows + rollup upserts),
// exactly what the StoreWriter sends. Also prints how long one batch holds the event loop, and the
// time of a stats and a timeseries query over what was inserted.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const distStore = new URL('../dist/store/index.js', import.meta.url);
if (!existsSync(fileURLToPath(distStore))) {
  console.error('dist/store/index.js not found: run `npm run build` first');
  process.exit(1);
}
const { SqliteStore, makeSyntheticRecords } = await import(distStore.href);

const { values: options } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '500' },
    db: { type: 'string' },
    // Over an hour, a batch of 500 spans about 9 s and touches ~50 rollup rows; real traffic at
    // 50,000 events/s would put a batch in one minute (fewer rollup rows), so this is the harder case.
    'span-hours': { type: 'string', default: '1' },
    // Keel keeps 200-character prompt and response previews by default; 0 stores none.
    previews: { type: 'string', default: '200' },
  },
});
const count = Number(options.count);
const batchSize = Number(options.batch);
const spanMs = Number(options['span-hours']) * 3_600_000;
const temporary = options.db === undefined ? mkdtempSync(path.join(os.tmpdir(), 'keel-ingest-')) : undefined;
const file = options.db ?? path.join(temporary, 'keel.db');

const startMs = Date.parse('2026-01-01T00:00:00Z');
const previewChars = Number(options.previews);
const records = makeSyntheticRecords({
  count,
  startMs,
  spanMs,
  seed: 1,
  uuidIds: true,
  previewChars: previewChars > 0 ? previewChars : undefined,
});
const store = new SqliteStore({ path: file });

const batchMs = [];
const cpuBefore = process.cpuUsage();
const began = performance.now();
for (let start = 0; start < records.length; start += batchSize) {
  const batchBegan = performance.now();
  await store.insert(records.slice(start, start + batchSize));
  batchMs.push(performance.now() - batchBegan);
}
const elapsedMs = performance.now() - began;
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1_000;

const sorted = batchMs.sort((a, b) => a - b);
const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
const range = { fromMs: startMs, toMs: startMs + spanMs };
let queryBegan = performance.now();
const stats = await store.stats({ ...range, groupBy: ['provider'] });
const statsMs = performance.now() - queryBegan;
queryBegan = performance.now();
await store.timeseries({ ...range, metric: 'latency_p95', stepMs: 300_000, by: 'provider' });
const timeseriesMs = performance.now() - queryBegan;
const stored = stats.groups.reduce((total, group) => total + group.requests, 0);
await store.close();
const fileBytes = statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

const fixed = (value, digits = 1) => value.toFixed(digits);
console.log(
  `store ingest (SQLite, WAL, synchronous=NORMAL) — node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log(
  `  records:            ${count.toLocaleString('en-US')} in batches of ${batchSize}, over ${options['span-hours']} h, previews of ${previewChars} characters`,
);
console.log(
  `  throughput:         ${Math.round(count / (elapsedMs / 1_000)).toLocaleString('en-US')} events/s (${fixed(elapsedMs)} ms)`,
);
// Per CPU second of this process: steadier than wall time when other programs share the machine.
console.log(
  `  per CPU second:     ${Math.round(count / (cpuMs / 1_000)).toLocaleString('en-US')} events (${fixed(cpuMs)} ms CPU)`,
);
console.log(
  `  one batch (ms):     p50 ${fixed(at(0.5), 2)}  p99 ${fixed(at(0.99), 2)}  max ${fixed(sorted.at(-1), 2)}`,
);
console.log(
  `  stats by provider:  ${fixed(statsMs)} ms (${stored.toLocaleString('en-US')} requests counted)`,
);
console.log(`  timeseries p95/5m:  ${fixed(timeseriesMs)} ms`);
console.log(
  `  file:               ${(fileBytes / 1_048_576).toFixed(1)} MiB (${Math.round(fileBytes / count)} bytes/event)`,
);
if (stored !== count) {
  console.error(`expected ${count} requests in rollups, found ${stored}`);
  process.exitCode = 1;
}
if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
