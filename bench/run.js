// Keel benchmark: an upstream process, Keel as a process in front of it, and the load generator here.
// Measures latency added at a fixed request rate, Keel's own overhead header, max throughput and
// memory while holding many streams. Everything on loopback; every phase bounded. See bench/README.md.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import {
  forkServer,
  freePort,
  keelCli,
  keelConfig,
  log,
  rootDir,
  sleep,
  startKeel,
  startUpstream,
  stopProcess,
} from './processes.js';
import { report, writeResults } from './report.js';
import { createPool, runClosedLoop, runOpenLoop, runStreams } from './load.js';
import {
  histogram,
  mergeCpuWindows,
  probeMachineNoise,
  readMemory,
  round,
  startCpuWindow,
  startMemorySampler,
  summarize,
} from './stats.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

const usage = `Usage: node bench/run.js [options]   (or: npm run bench -- [options])
Each option can also be set with the environment variable in brackets.
  --rate N                 open-loop request rate, req/s            [BENCH_RATE]                 1000
  --duration S             measured seconds per open-loop run        [BENCH_DURATION_S]           20
  --warmup S               unmeasured warm-up seconds before each run [BENCH_WARMUP_S]           2
  --delay MS               upstream delay for the latency runs       [BENCH_UPSTREAM_DELAY_MS]    50
  --throughput-duration S  closed-loop seconds per target            [BENCH_THROUGHPUT_S]         15
  --connections N          closed-loop connections                   [BENCH_CONNECTIONS]          100
  --streams N              concurrent streams held through Keel      [BENCH_STREAMS]              1000
  --stream-ms MS           length of each upstream stream            [BENCH_STREAM_MS]            30000
  --phases LIST            latency,reference,throughput,streams      [BENCH_PHASES]               all
                           (reference: a bare Node proxy in the latency runs, for comparison)
  --slices N               interleaved slices per comparison         [BENCH_SLICES]               4
  --wait-quiet S           wait up to S s for other programs to idle [BENCH_WAIT_QUIET_S]         20
  --log-level LEVEL        Keel's logging.level                      [BENCH_LOG_LEVEL]            warn
  --cpu-prof               run Keel with --cpu-prof; keeps the profile [BENCH_CPU_PROF=1]
  --out FILE               JSON results                              [BENCH_OUT]  bench/results/latest.json`;

const allPhases = ['latency', 'reference', 'throughput', 'streams'];

function readOptions() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      delay: { type: 'string' },
      'throughput-duration': { type: 'string' },
      connections: { type: 'string' },
      streams: { type: 'string' },
      'stream-ms': { type: 'string' },
      phases: { type: 'string' },
      'log-level': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'wait-quiet': { type: 'string' },
      slices: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const number = (flag, env, fallback, { min = 0, max = Infinity } = {}) => {
    const text = values[flag] ?? process.env[env];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${flag} / ${env}: "${text}" is not a number in ${min}..${max}`);
    }
    return value;
  };
  const phases = (values.phases ?? process.env.BENCH_PHASES ?? allPhases.join(','))
    .split(',')
    .map((phase) => phase.trim())
    .filter((phase) => phase !== '');
  for (const phase of phases) {
    if (!allPhases.includes(phase))
      throw new Error(`--phases: unknown phase "${phase}"; use ${allPhases.join(', ')}`);
  }
  return {
    ratePerSecond: number('rate', 'BENCH_RATE', 1000, { min: 1, max: 20_000 }),
    durationS: number('duration', 'BENCH_DURATION_S', 20, { min: 1, max: 600 }),
    warmupS: number('warmup', 'BENCH_WARMUP_S', 2, { min: 0, max: 60 }),
    upstreamDelayMs: number('delay', 'BENCH_UPSTREAM_DELAY_MS', 50, { max: 10_000 }),
    throughputS: number('throughput-duration', 'BENCH_THROUGHPUT_S', 15, { min: 1, max: 600 }),
    connections: number('connections', 'BENCH_CONNECTIONS', 100, { min: 1, max: 2_000 }),
    streams: number('streams', 'BENCH_STREAMS', 1000, { min: 1, max: 5_000 }),
    streamMs: number('stream-ms', 'BENCH_STREAM_MS', 30_000, { min: 100, max: 300_000 }),
    slices: number('slices', 'BENCH_SLICES', 4, { min: 1, max: 100 }),
    phases,
    waitQuietS: number('wait-quiet', 'BENCH_WAIT_QUIET_S', 20, { max: 600 }),
    logLevel: values['log-level'] ?? process.env.BENCH_LOG_LEVEL ?? 'warn',
    cpuProfile: values['cpu-prof'] === true || process.env.BENCH_CPU_PROF === '1',
    out: path.resolve(values.out ?? process.env.BENCH_OUT ?? path.join(benchDir, 'results', 'latest.json')),
  };
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    cpus: os.availableParallelism(),
    cpuModel: model.trim(),
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/**
 * Other programs on the machine (builds, tests) skew every figure here. Probe for 2 s at a time,
 * until other programs use under 0.15 cores or `waitS` has passed; the last probe goes in the results.
 */
async function waitForQuiet(waitS) {
  const giveUpAt = performance.now() + waitS * 1000;
  for (let probe = 1; probe <= 300; probe++) {
    const noise = await probeMachineNoise(2_000);
    const quiet = noise.busyCores < 0.15;
    if (quiet || performance.now() >= giveUpAt) {
      if (!quiet) log(`machine is busy (other programs use ${noise.busyCores} cores); measuring anyway`);
      return { ...noise, quiet, probes: probe };
    }
    log(`machine is busy (other programs use ${noise.busyCores} cores); waiting`);
  }
  throw new Error('unreachable: the probe loop is bounded by waitS');
}

// ---- checks and phases ----------------------------------------------------------------------

async function checkOnce(origin, stream) {
  const response = await request(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    body: JSON.stringify({
      model: 'bench',
      messages: [{ role: 'user', content: 'hi' }],
      ...(stream ? { stream: true } : {}),
    }),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`sanity check: ${response.statusCode} ${text}`);
  if (stream && !text.includes('[DONE]')) throw new Error(`sanity check: stream without [DONE]: ${text}`);
  return { headers: response.headers, text };
}

const overheadEdgesMs = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** CPU of Keel (and of its main thread alone), the upstream and this generator, per run. */
function cpuPids({ keel, upstream, reference }) {
  return {
    keel: keel.child.pid,
    'keel.main': { pid: keel.child.pid, thread: keel.child.pid },
    upstream: upstream.child.pid,
    ...(reference === undefined ? {} : { reference: reference.child.pid }),
    generator: process.pid,
  };
}

function addedLatency(through, direct) {
  const added = (key, from = 'latency') =>
    through[from][key] === null || direct[from][key] === null
      ? null
      : round(through[from][key] - direct[from][key]);
  return {
    p50Ms: added('p50Ms'),
    p90Ms: added('p90Ms'),
    p99Ms: added('p99Ms'),
    p999Ms: added('p999Ms'),
    fromSchedule: {
      p50Ms: added('p50Ms', 'latencyFromSchedule'),
      p99Ms: added('p99Ms', 'latencyFromSchedule'),
    },
  };
}

function concat(arrays) {
  const joined = new Float64Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let offset = 0;
  for (const array of arrays) {
    joined.set(array, offset);
    offset += array.length;
  }
  return joined;
}

function mergeCounts(counts) {
  const merged = {};
  for (const count of counts)
    for (const [key, value] of Object.entries(count)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}

/**
 * Measures every target in turn, in `slices` short runs each, rotating the order every slice, so
 * that load from other programs that comes and goes hits all targets alike.
 */
async function interleave({ targets, slices, measure, pids }) {
  const measured = targets.map(() => ({ results: [], cpu: [] }));
  for (let slice = 0; slice < slices; slice++) {
    for (let turn = 0; turn < targets.length; turn++) {
      const index = (slice + turn) % targets.length;
      const stopCpu = startCpuWindow(pids);
      measured[index].results.push(await measure(targets[index]));
      measured[index].cpu.push(stopCpu());
    }
  }
  return measured.map(({ results, cpu }) => ({ results, cpu: mergeCpuWindows(cpu) }));
}

function openLoopSummary(results) {
  const sent = results.reduce((sum, result) => sum + result.sent, 0);
  return {
    requested: results.reduce((sum, result) => sum + result.requested, 0),
    completed: results.reduce((sum, result) => sum + result.completed, 0),
    statuses: mergeCounts(results.map((result) => result.statuses)),
    errors: mergeCounts(results.map((result) => result.errors)),
    achievedSendRatePerSecond: round(
      results.reduce((sum, result) => sum + result.achievedSendRatePerSecond * result.sent, 0) / sent,
      1,
    ),
    maxInFlight: Math.max(...results.map((result) => result.maxInFlight)),
    latency: summarize(concat(results.map((result) => result.latencyMs))),
    latencyFromSchedule: summarize(concat(results.map((result) => result.scheduledLatencyMs))),
    generatorSendLag: summarize(concat(results.map((result) => result.sendLagMs))),
  };
}

async function latencyPhase({ options, upstreamOrigin, keel, upstream }) {
  let reference;
  const targets = [{ name: 'direct', label: 'direct', origin: upstreamOrigin }];
  // Enough connections for 5x the expected concurrency (rate x upstream delay), at least 64.
  const connections = Math.max(
    64,
    Math.ceil((options.ratePerSecond * Math.max(options.upstreamDelayMs, 10) * 5) / 1000),
  );
  try {
    if (options.phases.includes('reference')) {
      reference = forkServer('reference-proxy.js', { BENCH_UPSTREAM_ORIGIN: upstreamOrigin });
      const { port } = await reference.ready;
      targets.push({ name: 'reference', label: 'bare Node proxy', origin: `http://127.0.0.1:${port}` });
    }
    targets.push({ name: 'keel', label: 'through Keel', origin: keel.origin });
    for (const target of targets) {
      target.pool = createPool(target.origin, connections);
      if (options.warmupS > 0) {
        log(`${target.label}: warm-up ${options.warmupS} s at ${options.ratePerSecond} req/s`);
        await runOpenLoop({
          pool: target.pool,
          ratePerSecond: options.ratePerSecond,
          durationMs: options.warmupS * 1000,
        });
      }
    }
    const sliceMs = (options.durationS * 1000) / options.slices;
    log(
      `latency: ${targets.map((target) => target.label).join(', ')}: ${options.slices} slices of ` +
        `${sliceMs / 1000} s each at ${options.ratePerSecond} req/s (open loop), interleaved`,
    );
    const measured = await interleave({
      targets,
      slices: options.slices,
      pids: cpuPids({ keel, upstream, reference }),
      measure: (target) =>
        runOpenLoop({ pool: target.pool, ratePerSecond: options.ratePerSecond, durationMs: sliceMs }),
    });
    const runs = {};
    targets.forEach((target, index) => {
      const { results, cpu } = measured[index];
      runs[target.name] = { ...openLoopSummary(results), connections, cpu };
      const cpuMs = cpu.processCpuMs[target.name];
      if (target.name !== 'direct')
        runs[target.name].cpuPerRequestMs = round(cpuMs / runs[target.name].completed, 4);
    });
    const overheadMs = concat(measured[targets.length - 1].results.map((result) => result.overheadMs));
    return {
      slices: options.slices,
      direct: runs.direct,
      ...(runs.reference === undefined ? {} : { reference: runs.reference }),
      keel: runs.keel,
      addedLatency: addedLatency(runs.keel, runs.direct),
      ...(runs.reference === undefined
        ? {}
        : { referenceAddedLatency: addedLatency(runs.reference, runs.direct) }),
      overheadHeader: {
        ...summarize(overheadMs),
        histogram: histogram(overheadMs, overheadEdgesMs),
      },
    };
  } finally {
    for (const target of targets) await target.pool?.destroy();
    if (reference !== undefined) await stopProcess(reference.child);
  }
}

async function throughputPhase({ options, upstreamOrigin, keel, upstream }) {
  const targets = [
    { name: 'direct', label: 'throughput direct', origin: upstreamOrigin },
    { name: 'keel', label: 'throughput through Keel', origin: keel.origin },
  ];
  try {
    for (const target of targets) {
      target.pool = createPool(target.origin, options.connections);
      log(`${target.label}: warm-up 2 s, ${options.connections} connections`);
      await runClosedLoop({ pool: target.pool, connections: options.connections, durationMs: 2_000 });
    }
    const sliceMs = (options.throughputS * 1000) / options.slices;
    log(
      `throughput: ${options.slices} slices of ${sliceMs / 1000} s each, ${options.connections} connections ` +
        '(closed loop), interleaved',
    );
    const measured = await interleave({
      targets,
      slices: options.slices,
      pids: cpuPids({ keel, upstream }),
      measure: (target) =>
        runClosedLoop({ pool: target.pool, connections: options.connections, durationMs: sliceMs }),
    });
    const summary = ({ results, cpu }, name) => {
      const ok = results.reduce((sum, result) => sum + result.ok, 0);
      const elapsedMs = results.reduce((sum, result) => sum + result.elapsedMs, 0);
      return {
        connections: options.connections,
        ok,
        statuses: mergeCounts(results.map((result) => result.statuses)),
        errors: mergeCounts(results.map((result) => result.errors)),
        elapsedMs: round(elapsedMs, 0),
        requestsPerSecond: round((ok * 1000) / elapsedMs, 0),
        latency: summarize(concat(results.map((result) => Float64Array.from(result.latencyMs)))),
        overheadHeader: summarize(concat(results.map((result) => Float64Array.from(result.overheadMs)))),
        cpu,
        ...(name === 'keel' ? { cpuPerRequestMs: round(cpu.processCpuMs.keel / ok, 4) } : {}),
      };
    };
    const direct = summary(measured[0], 'direct');
    const through = summary(measured[1], 'keel');
    return {
      upstreamDelayMs: 0,
      slices: options.slices,
      direct,
      keel: through,
      keelShareOfDirect: round(through.requestsPerSecond / direct.requestsPerSecond, 3),
    };
  } finally {
    for (const target of targets) await target.pool?.destroy();
  }
}

async function streamsPhase({ options, keel }) {
  const pid = keel.child.pid;
  const before = readMemory(pid);
  const sampler = startMemorySampler(pid, 250);
  log(`streams: opening ${options.streams} streams through Keel (${options.streamMs} ms each)`);
  const result = await runStreams({
    origin: keel.origin,
    count: options.streams,
    firstChunkTimeoutMs: 30_000,
    deadlineMs: options.streamMs + 30_000,
    onAllFirstChunks: async (holding) => {
      log(
        `streams: ${holding.streamsWithFirstChunk}/${options.streams} have their first chunk after ` +
          `${Math.round(holding.atMs)} ms; sampling RSS`,
      );
      const samples = [];
      for (let index = 0; index < 5; index++) {
        samples.push(sampler.sampleNow().rssMb);
        await sleep(400);
      }
      return { ...holding, atMs: round(holding.atMs, 0), rssSamplesMb: samples, rssMb: Math.max(...samples) };
    },
  });
  const sampled = sampler.stop();
  const after = readMemory(pid);
  log(`streams: done (${result.completedWithDone} ended with [DONE])`);
  return {
    requested: result.requested,
    streamMs: options.streamMs,
    statuses: result.statuses,
    errors: result.errors,
    firstChunks: result.firstChunks,
    allFirstChunksAfterMs: round(result.allFirstChunksAfterMs, 0),
    completedWithDone: result.completedWithDone,
    completedWithoutDone: result.completedWithoutDone,
    errorEvents: result.errorEvents,
    elapsedMs: round(result.elapsedMs, 0),
    freshProcess: true,
    rssBeforeMb: before.rssMb,
    rssPerStreamKb: round(((result.held.rssMb - before.rssMb) * 1024) / result.firstChunks, 1),
    rssWhileHoldingMb: result.held.rssMb,
    rssWhileHoldingSamplesMb: result.held.rssSamplesMb,
    peakRssSampledMb: sampled.peakRssMb,
    rssSamples: sampled.samples,
    rssAfterMb: after.rssMb,
    vmHwmMb: after.hwmMb,
  };
}

// ---- main -----------------------------------------------------------------------------------

async function main() {
  const options = readOptions();
  if (!existsSync(keelCli)) throw new Error(`${keelCli} is missing; run npm run build first`);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'keel-bench-'));
  const profileDir = options.cpuProfile ? path.join(workDir, 'cpu-profiles') : undefined;
  const startedAt = new Date();
  const runStart = performance.now();
  let upstream;
  let keel;
  try {
    // Short streams for the sanity check; the stream phase sets the real length.
    upstream = startUpstream({ delayMs: options.upstreamDelayMs, streamMs: 200 });
    const { port: upstreamPort } = await upstream.ready;
    const upstreamOrigin = `http://127.0.0.1:${upstreamPort}`;
    log(`upstream on ${upstreamOrigin} (pid ${upstream.child.pid})`);

    const config = keelConfig({ upstreamPort, logLevel: options.logLevel, streamMs: options.streamMs });
    const configPath = path.join(workDir, 'keel.config.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const logPath = path.join(workDir, 'keel.log');
    keel = await startKeel({ configPath, port: await freePort(), logPath, profileDir });
    log(`Keel on ${keel.origin} (pid ${keel.child.pid}), healthy after ${Math.round(keel.startMs)} ms`);

    const machineNoise = await waitForQuiet(options.waitQuietS);
    const memory = { idleAtStartMb: readMemory(keel.child.pid).rssMb };

    const sample = await checkOnce(keel.origin, false);
    await checkOnce(keel.origin, true);
    await checkOnce(upstreamOrigin, false);
    if (sample.headers['x-keel-overhead-ms'] === undefined)
      throw new Error('sanity check: Keel answered without x-keel-overhead-ms');

    const results = {
      startedAt: startedAt.toISOString(),
      command: `node bench/run.js ${process.argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      options: { ...options, out: path.relative(rootDir, options.out) },
      keelConfig: {
        ...config,
        providers: config.providers.map((p) => ({ ...p, baseUrl: 'http://127.0.0.1:<port>/v1' })),
      },
      keelStartMs: round(keel.startMs, 0),
      machineNoise,
      memory,
    };

    if (options.phases.includes('latency')) {
      await upstream.configure({ delayMs: options.upstreamDelayMs });
      results.latency = await latencyPhase({ options, upstreamOrigin, keel, upstream });
    }
    if (options.phases.includes('throughput')) {
      await upstream.configure({ delayMs: 0 });
      results.throughput = await throughputPhase({ options, upstreamOrigin, keel, upstream });
      await upstream.configure({ delayMs: options.upstreamDelayMs });
    }
    if (options.phases.includes('latency') || options.phases.includes('throughput')) {
      await sleep(2_000);
      memory.idleAfterLoadMb = readMemory(keel.child.pid).rssMb;
    }
    if (options.phases.includes('streams')) {
      if (memory.idleAfterLoadMb !== undefined) {
        // The load phases grow V8's heap; measure what streams cost on a process that saw none of it.
        log('restarting Keel for the stream phase');
        const stopping = keel;
        keel = undefined;
        await stopProcess(stopping.child);
        keel = await startKeel({ configPath, port: await freePort(), logPath, profileDir });
        await sleep(1_000);
        await checkOnce(keel.origin, true);
        results.streamsKeelStartMs = round(keel.startMs, 0);
      }
      await upstream.configure({ streamMs: options.streamMs, streamChunks: 20 });
      results.streams = await streamsPhase({ options, keel });
    }
    results.upstreamCounters = await upstream.stats();
    const keelLog = readFileSync(logPath, 'utf8');
    results.keelLogLines = keelLog === '' ? 0 : keelLog.trimEnd().split('\n').length;
    if (results.keelLogLines > 0)
      log(`Keel wrote ${results.keelLogLines} log lines; first: ${keelLog.split('\n')[0]}`);
    results.totalSeconds = round((performance.now() - runStart) / 1000, 1);

    process.stdout.write(report(results));
    await writeResults(options.out, results);
    log(`results written to ${path.relative(process.cwd(), options.out)}`);
  } catch (error) {
    const logPath = path.join(workDir, 'keel.log');
    if (existsSync(logPath))
      log(`Keel log (last lines):\n${readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n')}`);
    if (keel !== undefined) log(`Keel exit code: ${keel.child.exitCode}, signal: ${keel.child.signalCode}`);
    throw error;
  } finally {
    if (keel !== undefined) await stopProcess(keel.child);
    if (upstream !== undefined) await stopProcess(upstream.child);
    if (profileDir === undefined) rmSync(workDir, { recursive: true, force: true });
    else log(`Keel CPU profile and log kept in ${workDir}`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
