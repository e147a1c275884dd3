// `keel demo`'s story: start Keel on simulated providers, send traffic, break the primary twice, narrate, recover.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { createKeel, type Keel } from '../compose/create-keel.js';
import { validateConfig } from '../config/index.js';
import type { Incident } from '../incidents/incident.js';
import { rateAt } from '../traffic/plan-traffic.js';
import { runTraffic } from '../traffic/run-traffic.js';
import type { TrafficOptions } from '../traffic/traffic-options.js';
import {
  buildDemoConfig,
  demoBackup,
  demoLatencyCriticalMs,
  demoModel,
  demoPrimary,
} from './build-demo-config.js';
import { alignedOffsetMs, OffsetClock } from './demo-clock.js';
import { DemoNarrator, phaseMilestones, type DemoCounts, type DemoMilestone } from './demo-narrator.js';
import type { DemoPhase } from './demo-signals.js';
import { demoSucceeded, formatDemoSummary } from './demo-summary.js';
import { fullDemoTimings, shortDemoTimings, type DemoTimings } from './demo-timings.js';
import { watchKeel } from './watch-keel.js';

/** Where the narration goes (process.stdout by default). */
export interface DemoOutput {
  write(text: string): unknown;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Compressed timings (tests, CI): the story takes well under a minute. */
  short?: boolean | undefined;
  /** Default 8080; 0 picks a free port. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Stop when the story ends instead of leaving the dashboard running. */
  exit?: boolean | undefined;
  /** Where keel.db, ops.db, keys.db and keel.log go; default a fresh temp dir. */
  dataDir?: string | undefined;
  output?: DemoOutput | undefined;
  /** Ends the run (Ctrl-C): the story stops where it is, Keel closes gracefully. */
  signal?: AbortSignal | undefined;
  /** The built dashboard; default dist/ui of this package. */
  uiDirectory?: string | undefined;
  /** Replaces the timings of the mode (tests). */
  timings?: DemoTimings | undefined;
  /** Called when the story has ended, while Keel still serves (before it closes or idles). */
  onStoryEnd?: ((story: { keel: Keel; url: string }) => void | Promise<void>) | undefined;
}

/** How the run went. */
export interface DemoResult {
  /** At least one incident opened and every one resolved. */
  ok: boolean;
  url: string;
  dataDir: string;
  incidents: Incident[];
  counts: DemoCounts;
  /** Milestones that did not happen in their phase's time. */
  missed: DemoMilestone[];
}

/** Slack left before the minute ends, in short mode, for a machine slower than the timings. */
const ALIGNMENT_SLACK_MS = 8000;
const PHASE_POLL_MS = 200;

/** A listening address people can open: 0.0.0.0 and :: become loopback. */
function browsable(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}

function trafficOptions(options: { url: string; rps: number; profile: 'mixed' | 'normal' }): TrafficOptions {
  return {
    targetUrl: new URL(options.url),
    profile: options.profile,
    rps: options.rps,
    durationMs: 3_600_000, // 1 h; the demo aborts it
    // A 2.5 s spike at 8 rps (with the mixed profile's bursts) keeps many calls in flight.
    concurrency: 128,
    model: demoModel,
    streamShare: 0.3,
  };
}

/** Sends traffic until `signal` aborts (restarting the generator each hour, for a long-idle dashboard). */
async function trafficUntil(options: {
  url: string;
  rps: number;
  profile: 'mixed' | 'normal';
  signal: AbortSignal;
}): Promise<void> {
  while (!options.signal.aborted) {
    await runTraffic({ traffic: trafficOptions(options), signal: options.signal });
  }
}

/**
 * Runs the demo: Keel in this process on simulated providers, mixed traffic throughout, a latency
 * spike and then an outage of the primary by chaos injection, and recovery, each step narrated
 * from Keel's own events, breaker transitions, monitor states and incidents. Unless `exit`, the
 * dashboard keeps serving (with light traffic) until `signal` aborts.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const output = options.output ?? process.stdout;
  const print = (lines: readonly string[]) => {
    for (const line of lines) output.write(`${line}\n`);
  };
  const timings = options.timings ?? (options.short === true ? shortDemoTimings : fullDemoTimings);
  const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'keel-demo-')));
  mkdirSync(dataDir, { recursive: true });
  const storyMs = timings.baselineMs + timings.spike.maxMs + timings.outage.maxMs;
  const clock = new OffsetClock(
    timings.alignToMinute
      ? alignedOffsetMs({ nowMs: Date.now(), targetMsIntoMinute: 60_000 - storyMs - ALIGNMENT_SLACK_MS })
      : 0,
  );
  const port = options.port ?? 8080;
  const host = options.host ?? '127.0.0.1';
  const config = validateConfig(
    buildDemoConfig({
      dataDir,
      timings,
      publicUrl:
        port === 0 ? undefined : browsable(`http://${host.includes(':') ? `[${host}]` : host}:${port}`),
    }),
    { source: 'keel demo', env: {} },
  );
  // Keel's own log goes to a file: the terminal is the narration's. Asynchronous writes (flushed
  // by end()), so the request path of the demo does no synchronous I/O either.
  const logFile = pino.destination({ dest: join(dataDir, 'keel.log'), sync: false });
  const logger = pino({ level: 'info', base: { service: 'keel' } }, logFile);
  const keel = createKeel({ config, clock, logger, uiDirectory: options.uiDirectory });
  let url: string;
  try {
    url = browsable(await keel.listen({ port, host }));
  } catch (error) {
    await keel.close(0);
    logFile.end();
    throw error;
  }
  const startedAtMs = clock.now();
  const monitorTitles = Object.fromEntries(
    config.monitors.definitions.map((definition) => [definition.id, definition.title ?? definition.id]),
  );
  const narrator = new DemoNarrator({
    startedAtMs,
    baseUrl: url,
    primary: demoPrimary,
    backup: demoBackup,
    model: demoModel,
    rps: timings.rps,
    // The last seconds of each 10 s cycle of the mixed profile.
    burstRps: rateAt({ profile: 'mixed', rps: timings.rps, atMs: 9_999 }),
    spikeLatencyMs: timings.spikeLatencyMs,
    quietPeriodMs: timings.quietPeriodMs,
    latencyCriticalMs: demoLatencyCriticalMs,
    monitorTitles,
  });
  print([
    `Keel demo${options.short === true ? ' (short)' : ''}: simulated providers ${demoPrimary} (primary) and ${demoBackup} (backup); no keys needed.`,
    `  dashboard: ${url}/ui`,
    `  API:       ${url}/v1 (OpenAI-compatible)`,
    `  data:      ${dataDir} (keel.db, ops.db; Keel's log in keel.log)`,
    ...(clock.offsetMs === 0
      ? []
      : [
          `  clock:     ${Math.abs(Math.round(clock.offsetMs / 1000))} s ${clock.offsetMs > 0 ? 'ahead of' : 'behind'} real time, so the short story ends just before a minute (rollups are per minute)`,
        ]),
  ]);
  const stopWatching = watchKeel({
    keel,
    clock,
    sinceMs: startedAtMs,
    onSignal: (signal) => print(narrator.observe(signal)),
  });
  const aborted = () => options.signal?.aborted === true;
  const storyTraffic = new AbortController();
  const stopStoryTraffic = () => storyTraffic.abort();
  options.signal?.addEventListener('abort', stopStoryTraffic, { once: true });
  const traffic = trafficUntil({ url, rps: timings.rps, profile: 'mixed', signal: storyTraffic.signal });
  const missed: DemoMilestone[] = [];

  const runPhase = async (phase: DemoPhase, limits: { minMs: number; maxMs: number }) => {
    const phaseStartMs = clock.now();
    print(narrator.observe({ kind: 'phase', phase, atMs: phaseStartMs }));
    while (!aborted()) {
      const elapsedMs = clock.now() - phaseStartMs;
      if (elapsedMs >= limits.maxMs) break;
      if (elapsedMs >= limits.minMs && narrator.phaseComplete(phase)) break;
      await clock
        .sleep(Math.min(PHASE_POLL_MS, limits.maxMs - elapsedMs), options.signal)
        .catch(() => undefined);
    }
    if (aborted()) return;
    missed.push(...phaseMilestones[phase].filter((milestone) => narrator.reached(milestone) === undefined));
    print(narrator.endPhase(phase, clock.now()));
  };

  // Chaos always ends by itself too (forMs), should the demo die before it clears it.
  const chaosForMs = storyMs + timings.recoveryMaxMs;
  const acts: { phase: DemoPhase; limits: { minMs: number; maxMs: number }; before: () => void }[] = [
    {
      phase: 'baseline',
      limits: { minMs: timings.baselineMs, maxMs: timings.baselineMs },
      before: () => undefined,
    },
    {
      phase: 'spike',
      limits: timings.spike,
      before: () =>
        keel.chaos.inject({ target: demoPrimary, latencyMs: timings.spikeLatencyMs, forMs: chaosForMs }),
    },
    {
      phase: 'outage',
      limits: timings.outage,
      before: () =>
        keel.chaos.inject({ target: demoPrimary, outage: true, errorKind: '503', forMs: chaosForMs }),
    },
    {
      phase: 'recovery',
      limits: { minMs: 0, maxMs: timings.recoveryMaxMs },
      before: () => keel.chaos.clear(demoPrimary),
    },
  ];
  try {
    for (const act of acts) {
      if (aborted()) break;
      act.before();
      await runPhase(act.phase, act.limits);
    }
    if (aborted()) {
      keel.chaos.clear(demoPrimary);
      print(narrator.stopped(clock.now()));
    }
  } catch (error) {
    stopStoryTraffic();
    stopWatching();
    await traffic.catch(() => undefined);
    await keel.close(2000);
    logFile.end();
    throw error;
  }
  const incidents = keel.operations.incidents
    .list({ fromMs: startedAtMs, limit: 200 })
    .incidents.sort((a, b) => a.number - b.number);
  const ok = demoSucceeded(incidents);
  const leaveRunning = options.exit !== true && !aborted();
  // Closing now: nothing more to tell after the summary.
  if (!leaveRunning) stopWatching();
  print([
    '',
    ...formatDemoSummary({
      counts: narrator.counts,
      incidents,
      baseUrl: url,
      primary: demoPrimary,
      backup: demoBackup,
      stopped: aborted(),
    }),
  ]);
  try {
    await options.onStoryEnd?.({ keel, url });
    stopStoryTraffic();
    await traffic.catch(() => undefined);
    if (leaveRunning && !aborted()) {
      print([
        '',
        `The dashboard keeps running at ${url}/ui with light traffic (${timings.idleRps} rps). Ctrl-C stops Keel.`,
      ]);
      const idle = new AbortController();
      const stopIdle = () => idle.abort();
      options.signal?.addEventListener('abort', stopIdle, { once: true });
      if (aborted()) idle.abort();
      await trafficUntil({ url, rps: timings.idleRps, profile: 'normal', signal: idle.signal });
    }
  } finally {
    stopStoryTraffic();
    stopWatching();
    options.signal?.removeEventListener('abort', stopStoryTraffic);
    await keel.close(2000);
    logFile.end();
  }
  return { ok, url, dataDir, incidents, counts: narrator.counts, missed };
}
