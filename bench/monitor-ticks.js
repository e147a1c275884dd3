// Monitor benchmark over a big store: tick cost, per-monitor cost, main-thread loop delay, breach-to-incident ticks.
// Run after a build:  npm run build && node bench/monitor-ticks.js [--db file] [--count 10000000] [--days 7] [--ticks 30]
// Builds the store as bench/store-queries.js does (or reuses --db), then runs the default monitor pack plus
// the configuration guide's two examples through a real MonitorScheduler over a WorkerSqliteStore on that
// file, with an ops database, an IncidentService and a recording notifier in a temp dir, the clock at the
// end of the data. Ticks are driven by hand (no timer), one after the other.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildSyntheticStore, DAY_MS } from './synthetic-store.js';

const dist = (file) => new URL(`../dist/${file}`, import.meta.url);
if (!existsSync(fileURLToPath(dist('store/index.js')))) {
  console.error('dist/ not found: run `npm run build` first');
  process.exit(1);
}
const { SqliteStore, WorkerSqliteStore, StoreWriter, makeSyntheticRecords } = await import(
  dist('store/index.js').href
);
const { MonitorScheduler } = await import(dist('monitors/monitor-scheduler.js').href);
const { SqliteMonitorStore } = await import(dist('monitors/sqlite-monitor-store.js').href);
const { observeMonitor } = await import(dist('monitors/observe-monitor.js').href);
const { defaultMonitorPack } = await import(dist('monitors/default-monitor-pack.js').href);
const { monitorDefinitionSchema } = await import(dist('config/monitors-schema.js').href);
const { IncidentService, SqliteIncidentStore } = await import(dist('incidents/index.js').href);
const { openOpsDatabase } = await import(dist('ops/ops-database.js').href);

const { values: options } = parseArgs({
  options: {
    count: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '7' },
    db: { type: 'string' },
    ticks: { type: 'string', default: '30' },
    burst: { type: 'string', default: '300' },
  },
});
const count = Number(options.count);
const days = Number(options.days);
const tickCount = Number(options.ticks);
const burstSize = Number(options.burst);
const INTERVAL_MS = 15_000;
const SLOW_PROVIDER = 'openai';
const temporary = options.db === undefined;
const file = options.db ?? path.join(os.tmpdir(), `keel-bench-monitors-${process.pid}`, 'keel.db');
mkdirSync(path.dirname(file), { recursive: true });
const fixed = (value, digits = 1) => value.toFixed(digits);
console.log(
  `monitor ticks — node ${process.version}, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

// 1. The store, built or reused.
const { endMs } = await buildSyntheticStore({ SqliteStore, makeSyntheticRecords, file, count, days });

// 2. The monitors: the default pack and the two examples of docs/configuration.md#monitors, all notifying one target.
const definitions = [
  ...defaultMonitorPack(),
  ...[
    {
      id: 'example-p95-latency',
      type: 'threshold',
      metric: 'latency.p95',
      groupBy: ['provider'],
      window: '5m',
      warn: 2000,
      critical: 4000,
    },
    { id: 'availability', type: 'slo', objective: 0.99, window: '30d', good: 'status=ok and latency<5000' },
  ].map((definition) => monitorDefinitionSchema.parse(definition)),
].map((definition) => ({ ...definition, notify: ['oncall'] }));

/** Every store call with its time, tagged with the monitor being observed (per-monitor phase only). */
const calls = [];
let observing;
const workerStore = new WorkerSqliteStore({ path: file, rawRetentionMs: 3650 * DAY_MS });
const timedStore = {
  insert: (records) => workerStore.insert(records),
  stats: (query) => timedCall('stats', query),
  timeseries: (query) => timedCall('timeseries', query),
  requests: (query) => workerStore.requests(query),
  experimentReport: (query) => workerStore.experimentReport(query),
  prune: (nowMs) => workerStore.prune(nowMs),
  close: () => workerStore.close(),
};
async function timedCall(method, query) {
  const began = performance.now();
  const result = await workerStore[method](query);
  if (observing !== undefined)
    calls.push({ monitorId: observing, method, query, tookMs: performance.now() - began });
  return result;
}

let nowMs = endMs;
const clock = { now: () => nowMs, sleep: () => Promise.resolve() };
const manualScheduler = { every: () => () => undefined, soon: (task) => queueMicrotask(task) };
const opsDir = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-monitors-ops-'));
const db = openOpsDatabase(path.join(opsDir, 'ops.db'));
const notified = [];
const notifier = {
  enqueue(targets, message) {
    notified.push({ targets, message });
    return targets.map((_, index) => `n-${notified.length}-${index}`);
  },
};
const incidents = new IncidentService({
  store: new SqliteIncidentStore({ db }),
  notifier,
  now: () => nowMs,
  settings: { defaultNotify: ['oncall'] },
});
const writer = new StoreWriter({
  store: workerStore,
  spoolPath: path.join(opsDir, 'spool.jsonl'),
  clock,
  scheduler: manualScheduler,
});
const errors = [];
// The ops database is written synchronously on the main thread: time those writes.
const monitorStore = new SqliteMonitorStore(db);
const saveTickTimes = [];
const saveTick = monitorStore.saveTick.bind(monitorStore);
monitorStore.saveTick = (tick) => {
  const start = performance.now();
  saveTick(tick);
  saveTickTimes.push(performance.now() - start);
};
const scheduler = new MonitorScheduler({
  store: timedStore,
  monitorStore,
  definitions: () => definitions,
  isMuted: () => false,
  intervalMs: INTERVAL_MS,
  clock,
  scheduler: manualScheduler,
  beforeRead: () => writer.flush(),
  onTransition: (transition) => {
    incidents.onMonitorTransition(transition);
  },
  afterTick: (tickMs) => {
    incidents.tick(tickMs);
  },
  notifier,
  onError: (error, monitorId) => errors.push({ monitorId, error }),
});

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const summary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) };
};

// 3. Ticks at the end of the data. The first one also rebuilds the coarse rollup rows the build left dirty.
let began = performance.now();
const first = await scheduler.tick();
const firstTickMs = performance.now() - began;
console.log(
  `  first tick: ${fixed(firstTickMs)} ms (${first.evaluated} groups, ${first.transitions.length} transitions, ${first.failed.length} failed)`,
);
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const tickTimes = [];
loopDelay.enable();
const utilizationBefore = performance.eventLoopUtilization();
const tickLoopMaxMs = [];
const tickLoopDelay = monitorEventLoopDelay({ resolution: 1 });
tickLoopDelay.enable();
saveTickTimes.length = 0;
for (let tick = 0; tick < tickCount; tick++) {
  tickLoopDelay.reset();
  began = performance.now();
  await scheduler.tick();
  tickTimes.push(performance.now() - began);
  tickLoopMaxMs.push(tickLoopDelay.max / 1e6);
}
const utilization = performance.eventLoopUtilization(utilizationBefore);
tickLoopDelay.disable();
loopDelay.disable();
const ticks = summary(tickTimes);
console.log(
  `  ${tickCount} ticks, ms: p50 ${fixed(ticks.p50)}  p95 ${fixed(ticks.p95)}  max ${fixed(ticks.max)}`,
);
console.log(
  `  main-thread loop delay during them, ms: p99 ${fixed(loopDelay.percentile(99) / 1e6)}  max ${fixed(loopDelay.max / 1e6)}  mean ${fixed(loopDelay.mean / 1e6, 2)}; main thread busy ${fixed(utilization.utilization * 100)} % of the ticks (${fixed(utilization.active / tickCount)} ms per tick)`,
);
const tickLoop = summary(tickLoopMaxMs);
const saves = summary(saveTickTimes);
console.log(
  `  longest loop delay per tick, ms: p50 ${fixed(tickLoop.p50)}  p95 ${fixed(tickLoop.p95)}  max ${fixed(tickLoop.max)} (ticks over 50 ms: ${tickLoopMaxMs.filter((ms) => ms > 50).length}); ops-db saveTick per monitor, ms: p50 ${fixed(saves.p50, 2)}  p95 ${fixed(saves.p95, 2)}  max ${fixed(saves.max)}`,
);

// 4. Each monitor alone (observeMonitor, the store reads), tickCount times, and the queries it sent.
const perMonitor = new Map(definitions.map((definition) => [definition.id, []]));
for (let round = 0; round < tickCount; round++) {
  for (const definition of definitions) {
    observing = definition.id;
    began = performance.now();
    await observeMonitor({ store: timedStore, definition, nowMs });
    perMonitor.get(definition.id).push(performance.now() - began);
  }
}
observing = undefined;
console.log(`  observeMonitor per monitor, ${tickCount} runs each, ms:`);
console.log(
  `  ${'monitor'.padEnd(22)} ${'type'.padEnd(10)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}  store calls (p50 ms each)`,
);
const describeQuery = (call) => {
  const { query } = call;
  const spanMs = query.toMs - query.fromMs;
  const span = spanMs >= DAY_MS ? `${fixed(spanMs / DAY_MS, 1)} d` : `${fixed(spanMs / 60_000, 0)} min`;
  const extra = [
    query.groupBy?.length ? `by ${query.groupBy.join(',')}` : '',
    query.by ? `by ${query.by}` : '',
    query.metric ? query.metric : '',
    query.stepMs ? `step ${query.stepMs / 60_000} min` : '',
    query.latencyBelowMs ? `below ${query.latencyBelowMs} ms` : '',
    query.filters?.statusClass ? query.filters.statusClass : '',
  ].filter(Boolean);
  return `${call.method} ${span}${extra.length ? ` (${extra.join(', ')})` : ''}`;
};
for (const definition of definitions) {
  const times = summary(perMonitor.get(definition.id));
  const byQuery = new Map();
  for (const call of calls.filter((entry) => entry.monitorId === definition.id)) {
    const key = describeQuery(call);
    byQuery.set(key, [...(byQuery.get(key) ?? []), call.tookMs]);
  }
  const queries = [...byQuery.entries()]
    .map(
      ([key, tookMs]) =>
        `${key} ${fixed(summary(tookMs).p50)}${tookMs.length > tickCount ? ` x${tookMs.length / tickCount}` : ''}`,
    )
    .join('; ');
  console.log(
    `  ${definition.id.padEnd(22)} ${definition.type.padEnd(10)} ${fixed(times.p50).padStart(7)} ${fixed(times.p95).padStart(7)} ${fixed(times.max).padStart(7)}  ${queries}`,
  );
}

// 5. Breach to incident: a burst of 6 s answers from one provider, written through the StoreWriter
// (flushed by the tick's beforeRead, as in Keel), then ticks every 15 s of clock until both p95 monitors alert.
// The burst lands 2 minutes after the data's last minute, outside the range the reuse check counts, with fresh
// ids, so the file stays reusable (a later run's ticks at the end of the data do not see it).
nowMs = endMs + 2 * 60_000;
const isOpen = (monitorId) =>
  incidents
    .list({ status: ['active'], monitorId })
    .incidents.some((incident) => incident.groupId === `provider=${SLOW_PROVIDER}`);
const alerting = (monitorId) =>
  scheduler
    .states(monitorId)
    .some((state) => state.group.provider === SLOW_PROVIDER && state.status === 'ALERT');
const watched = ['p95-latency', 'example-p95-latency'];
const before = watched.map(
  (monitorId) =>
    `${monitorId} ${alerting(monitorId) ? 'ALERT' : 'not ALERT'}, incident ${isOpen(monitorId) ? 'open' : 'none'}`,
);
const burst = makeSyntheticRecords({
  count: burstSize,
  startMs: nowMs - 10_000,
  spanMs: 10_000,
  seed: Date.now() % 1_000_000_007,
  uuidIds: true,
  previewChars: 200,
}).map((record) => ({
  ...record,
  provider: SLOW_PROVIDER,
  providerType: 'openai',
  requestedModel: `${SLOW_PROVIDER}/gpt-4o-mini`,
  servedModel: 'gpt-4o-mini',
  status: 200,
  outcome: 'ok',
  errorCode: undefined,
  errorType: undefined,
  upstreamMs: 6000,
  totalMs: 6000.3,
  ttftMs: record.stream ? 1800 : undefined,
}));
began = performance.now();
for (const record of burst) writer.write(record);
let breachTicks = 0;
let opened;
while (breachTicks < 10) {
  nowMs += INTERVAL_MS;
  await scheduler.tick();
  breachTicks += 1;
  if (watched.every((monitorId) => alerting(monitorId) && isOpen(monitorId))) {
    opened = performance.now() - began;
    break;
  }
}
console.log(
  `  breach: ${burstSize} records of 6 s from ${SLOW_PROVIDER} written 2 min after the end of the data; before: ${before.join('; ')}`,
);
console.log(
  opened === undefined
    ? `  breach to incident: NOT reached after ${breachTicks} ticks`
    : `  breach to incident: ${breachTicks} tick(s), ${fixed(opened)} ms from the first write to both incidents open`,
);
for (const monitorId of watched) {
  const state = scheduler.states(monitorId).find((entry) => entry.group.provider === SLOW_PROVIDER);
  console.log(`    ${monitorId}: ${state?.status} ${state?.reason}`);
}
const openedIncidents = incidents.list({ status: ['active'] }).incidents;
console.log(
  `  open incidents now: ${openedIncidents.map((incident) => `${incident.monitor?.id}${incident.groupId ? ` ${incident.groupId}` : ''}`).join(', ')}; notifications recorded: ${notified.length}; monitor errors: ${errors.length}`,
);
for (const { monitorId, error } of errors.slice(0, 5)) console.log(`    error ${monitorId}: ${error}`);

await scheduler.stop();
await writer.close();
await workerStore.close();
db.close();
rmSync(opsDir, { recursive: true, force: true });
if (temporary) rmSync(path.dirname(file), { recursive: true, force: true });
