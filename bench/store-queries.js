// Query benchmark over a big store: /api/stats, /api/timeseries and /api/requests over 10 million stored requests.
// Run after a build:  npm run build && node bench/store-queries.js [--count 10000000] [--days 7] [--db file] [--runs 40]
// Builds the store once (records generated chunk by chunk, inserted in the StoreWriter's batches of 500,
// with 200-character previews as Keel stores by default) and reuses it when --db names an existing file
// that already holds --count records. Then starts Keel on that file (its store runs on a worker thread)
// and times each query over real HTTP on loopback, --runs times, after two warm-up calls.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { buildSyntheticStore, DAY_MS } from './synthetic-store.js';

const dist = (file) => new URL(`../dist/${file}`, import.meta.url);
if (!existsSync(fileURLToPath(dist('store/index.js')))) {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
}
const { SqliteStore, makeSyntheticRecords } = await import(dist('store/index.js').href);
const { createKeel } = await import(dist('compose/create-keel.js').href);
const { validateConfig } = await import(dist('config/index.js').href);
const { pino } = await import('pino');

const { values: options } = parseArgs({
  options: {
    count: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '7' },
    db: { type: 'string' },
    runs: { type: 'string', default: '40' },
    batch: { type: 'string', default: '500' },
  },
});
const count = Number(options.count);
const days = Number(options.days);
const runs = Number(options.runs);
const batchSize = Number(options.batch);
const HOUR_MS = 3_600_000;
const temporary = options.db === undefined;
const file = options.db ?? path.join(os.tmpdir(), `keel-bench-queries-${process.pid}`, 'keel.db');
mkdirSync(path.dirname(file), { recursive: true });

const fixed = (value, digits = 1) => value.toFixed(digits);
const thousands = (value) => Math.round(value).toLocaleString('en-US');
console.log(
  `store queries — node ${process.version}, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

// 1. Build the store, or reuse it.
const { startMs, endMs } = await buildSyntheticStore({
  SqliteStore,
  makeSyntheticRecords,
  file,
  count,
  days,
  batchSize,
});

// 2. Keel on that file, queried over HTTP.
const config = validateConfig(
  {
    providers: [{ id: 'sim', type: 'mock' }],
    telemetry: { store: { path: file, rawRetentionMs: 3650 * DAY_MS } },
  },
  { source: 'bench', env: {} },
);
const keel = createKeel({ config, logger: pino({ level: 'warn' }) });
const base = await keel.listen({ port: 0, host: '127.0.0.1' });

const day = { from: endMs - DAY_MS, to: endMs };
const week = { from: startMs, to: endMs };
const hour = { from: endMs - HOUR_MS, to: endMs };
const queries = [
  ['stats, last hour', '/api/stats', hour],
  ['stats, last 24 h', '/api/stats', day],
  ['stats, last 24 h by provider', '/api/stats', { ...day, group_by: 'provider' }],
  ['stats, 7 days by provider', '/api/stats', { ...week, group_by: 'provider' }],
  [
    'stats, 7 days by environment,application,provider,model',
    '/api/stats',
    { ...week, group_by: 'environment,application,provider,model' },
  ],
  [
    'stats, 7 days, provider=openai, status_class=5xx',
    '/api/stats',
    { ...week, provider: 'openai', status_class: '5xx' },
  ],
  [
    'timeseries requests, 24 h, 5 min steps, by provider',
    '/api/timeseries',
    { ...day, metric: 'requests', step: '5m', by: 'provider' },
  ],
  [
    'timeseries latency_p95, 24 h, 5 min steps, by provider',
    '/api/timeseries',
    { ...day, metric: 'latency_p95', step: '5m', by: 'provider' },
  ],
  [
    'timeseries latency_p95, 7 days, 1 h steps, by provider',
    '/api/timeseries',
    { ...week, metric: 'latency_p95', step: '1h', by: 'provider' },
  ],
  [
    'timeseries error_rate, 7 days, 1 h steps',
    '/api/timeseries',
    { ...week, metric: 'error_rate', step: '1h' },
  ],
  ['requests, newest 100 of 7 days', '/api/requests', { ...week, limit: '100' }],
  ['requests, 100 errors (status 502) of 7 days', '/api/requests', { ...week, status: '502', limit: '100' }],
  ['requests, 100 of provider=gemini, 24 h', '/api/requests', { ...day, provider: 'gemini', limit: '100' }],
];

async function timed(url) {
  const began = performance.now();
  const response = await request(url);
  const body = await response.body.text();
  const tookMs = performance.now() - began;
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${body.slice(0, 300)}`);
  return { tookMs, body };
}

const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const rows = [];
for (const [name, route, params] of queries) {
  const url = `${base}${route}?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`;
  await timed(url);
  const { body } = await timed(url);
  loopDelay.reset();
  loopDelay.enable();
  const times = [];
  for (let run = 0; run < runs; run++) times.push((await timed(url)).tookMs);
  loopDelay.disable();
  const loopMaxMs = loopDelay.max / 1e6;
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  const parsed = JSON.parse(body);
  const size = parsed.groups?.length ?? parsed.series?.length ?? parsed.items?.length;
  const counted = parsed.groups?.reduce((sum, group) => sum + group.requests, 0);
  rows.push({ name, p50: at(0.5), p95: at(0.95), max: times.at(-1), size, counted, loopMaxMs });
}
console.log(`  ${runs} runs each over HTTP (JSON), ms:`);
console.log(
  `  ${'query'.padEnd(62)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)} ${'loop'.padStart(6)}  result`,
);
for (const row of rows) {
  const result =
    row.counted === undefined
      ? `${row.size} series/items`
      : `${row.size} groups, ${thousands(row.counted)} requests`;
  console.log(
    `  ${row.name.padEnd(62)} ${fixed(row.p50).padStart(7)} ${fixed(row.p95).padStart(7)} ${fixed(row.max).padStart(7)} ${fixed(row.loopMaxMs).padStart(6)}  ${result}`,
  );
}
console.log(
  "  loop: the longest event-loop delay on Keel's main thread during that query's runs (the store works on its own thread)",
);
await keel.close(1000);
if (temporary) rmSync(path.dirname(file), { recursive: true, force: true });
