// The config `keel demo` runs: the built-in demo config plus monitors on the primary, fast breakers and short incident timings.
import { join } from 'node:path';
import { demoConfig } from '../config/demo-config.js';
import type { KeelConfigInput } from '../config/index.js';
import type { DemoTimings } from './demo-timings.js';

/** The simulated provider the story breaks, and the one that takes over. */
export const demoPrimary = 'sim-openai';
export const demoBackup = 'sim-anthropic';
/** The alias the demo's traffic asks for: sim-openai first, sim-anthropic as fallback. */
export const demoModel = 'chat-default';

/** The monitors the demo defines (their ids appear in the narration and the dashboard). */
export const demoMonitorIds = { latency: 'primary-latency', breaker: 'primary-breaker' } as const;

/** p95 latency of the primary that raises the alert, and the level it must fall under to recover. */
export const demoLatencyCriticalMs = 2000;
const latencyRecoveryMs = 1600;

/**
 * The demo config: everything in `dataDir` (keel.db, ops.db, keys.db, spool), two monitors watching
 * the primary, a breaker that opens after three failures in a row, and incidents that resolve
 * `timings.quietPeriodMs` after their monitor recovers.
 *
 * The latency window is short on purpose: rollups are per minute, so a monitor reads the current
 * minute plus the last `window`; a short window lets the spike leave it soon after a minute starts.
 */
export function buildDemoConfig(options: {
  dataDir: string;
  timings: DemoTimings;
  /** Dashboard base URL for links in notifications and postmortems, when the port is known. */
  publicUrl?: string | undefined;
}): KeelConfigInput {
  const { dataDir, timings } = options;
  const latencyWindow = timings.alignToMinute ? '5s' : '10s';
  const onPrimary = { filters: { provider: demoPrimary }, groupBy: ['provider' as const] };
  return {
    ...demoConfig,
    reliability: {
      ...demoConfig.reliability,
      retry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1000 },
      circuitBreaker: {
        consecutiveFailures: 3,
        errorRateThreshold: 0.5,
        minimumRequests: 6,
        windowMs: 10_000,
        cooldownMs: timings.breakerCooldownMs,
        halfOpenProbes: 1,
      },
    },
    telemetry: {
      store: {
        path: join(dataDir, 'keel.db'),
        spoolPath: join(dataDir, 'spool.jsonl'),
        flushIntervalMs: 250,
      },
    },
    keys: { path: join(dataDir, 'keys.db') },
    ops: { path: join(dataDir, 'ops.db') },
    monitors: {
      evaluationIntervalMs: timings.evaluationIntervalMs,
      definitions: [
        {
          id: demoMonitorIds.latency,
          type: 'threshold',
          title: `${demoPrimary} p95 latency above ${demoLatencyCriticalMs / 1000} s`,
          metric: 'latency.p95',
          ...onPrimary,
          window: latencyWindow,
          critical: demoLatencyCriticalMs,
          recoveryCritical: latencyRecoveryMs,
          minRequests: 8,
          // While its breaker is open the primary answers nothing: that is not a recovery.
          noData: 'keep',
          priority: 3,
          runbook: `The primary is slow. Compare upstream and overhead latency in /api/stats; Keel fails over to ${demoBackup} when it errors.`,
        },
        {
          id: demoMonitorIds.breaker,
          type: 'threshold',
          title: `${demoPrimary} circuit breaker open`,
          metric: 'breaker.open',
          ...onPrimary,
          window: '1m',
          critical: 1,
          noData: 'ok',
          priority: 2,
          runbook: `Keel stopped calling ${demoPrimary} and sends its traffic to ${demoBackup}. GET /api/breakers shows when it probes again.`,
        },
      ],
    },
    incidents: {
      autoResolve: true,
      quietPeriodMs: timings.quietPeriodMs,
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    },
  };
}
