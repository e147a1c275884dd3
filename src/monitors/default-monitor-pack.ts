// The monitors Keel runs when the config defines none: seed 002's five threshold and three anomaly monitors, an SLO and a cost budget.
import { monitorDefinitionSchema, type MonitorDefinition } from '../config/monitors-schema.js';

/** USD per day the cost forecast watches when no global daily budget is configured. */
export const DEFAULT_DAILY_COST_BUDGET_USD = 100;

/**
 * Per environment and model, over the synthetic probes (src/probes): failures, then slowness. The
 * windows hold enough probes at `intervalMs` for their `minRequests` (with one to spare), so a
 * slow probe interval cannot leave them in no data forever: 5 and 15 minutes at the default 60 s.
 */
function probeMonitors(intervalMs: number): unknown[] {
  const minutesFor = (probes: number, atLeast: number) =>
    `${Math.max(atLeast, Math.ceil(((probes + 1) * intervalMs) / 60_000))}m`;
  return [
    {
      id: 'probe-failures',
      type: 'threshold',
      metric: 'probe.failure_rate',
      groupBy: ['environment', 'model'],
      // Two probes at least, so one lost call is not an alert.
      window: minutesFor(2, 5),
      minRequests: 2,
      warn: 0.2,
      critical: 0.5,
      recoveryCritical: 0.2,
      priority: 2,
      runbook:
        'Synthetic probes of this model fail in this environment: `GET /api/latency?environment=…&model=…` shows each error code. Check the environment’s Keel (`/health`, `/api/breakers`) and the provider behind the model.',
    },
    {
      id: 'probe-latency',
      type: 'threshold',
      metric: 'probe.latency.p95',
      groupBy: ['environment', 'model'],
      window: minutesFor(3, 15),
      minRequests: 3,
      warn: 5000,
      critical: 10_000,
      priority: 3,
      runbook:
        'Probe answers of this model are slow in this environment, seen from outside like a client: compare with `/api/stats` of that environment to tell the provider from the network or Keel.',
    },
  ];
}

/**
 * The default pack. Per-target monitors group by provider (a provider is the target's upstream; the
 * store keeps the requested model, not the served one). Thresholds are meant for chat traffic:
 * p95 2 s warn / 4 s alert, 5 % / 10 % errors. `dailyBudgetUsd` is the global daily budget when one is set;
 * `notify` the webhooks every monitor of the pack tells (the config's, all of them).
 */
export function defaultMonitorPack(
  options: {
    dailyBudgetUsd?: number | undefined;
    notify?: readonly string[] | undefined;
    /** Add the probe monitors, sized for this probe interval (probes.enabled; ms). */
    probeIntervalMs?: number | undefined;
  } = {},
): MonitorDefinition[] {
  const budgetUsd = options.dailyBudgetUsd ?? DEFAULT_DAILY_COST_BUDGET_USD;
  // 50 requests in 5 minutes before a rate is judged: with fewer, two unlucky errors are 10 %.
  const perProvider = { groupBy: ['provider'], window: '5m', minRequests: 50 };
  const pack: unknown[] = [
    {
      id: 'error-rate',
      type: 'threshold',
      metric: 'error_rate',
      ...perProvider,
      warn: 0.05,
      critical: 0.1,
      recoveryCritical: 0.07,
      priority: 2,
      runbook:
        'Errors from one provider: check its status page and `GET /api/breakers`. Keel fails over when the route has another target; trip the breaker (`POST /api/breakers/trip`) to move traffic off it now.',
    },
    {
      id: 'p95-latency',
      type: 'threshold',
      metric: 'latency.p95',
      ...perProvider,
      warn: 2000,
      critical: 4000,
      recoveryCritical: 3500,
      priority: 3,
      runbook:
        "Slow answers: compare upstream and overhead latency in `/api/stats` to tell the provider's slowness from Keel's. Check the provider's status page; fail over if one target is slow.",
    },
    {
      id: 'ttft-p95',
      type: 'threshold',
      metric: 'ttft.p95',
      ...perProvider,
      minRequests: 10,
      warn: 1500,
      critical: 3000,
      priority: 3,
      runbook:
        'Streams start late: the provider is queueing. Check its status page and consider a faster target.',
    },
    {
      id: 'keel-overhead',
      type: 'threshold',
      metric: 'overhead.p99',
      window: '5m',
      minRequests: 50,
      warn: 5,
      critical: 25,
      priority: 3,
      runbook:
        "Keel itself is slow: check the process's CPU and event-loop lag (`/metrics`), the store's health (`keel_telemetry_*`) and whether a replica is overloaded.",
    },
    {
      id: 'failover-rate',
      type: 'threshold',
      metric: 'failover_rate',
      groupBy: ['model'],
      window: '5m',
      minRequests: 20,
      warn: 0.1,
      critical: 0.25,
      priority: 3,
      runbook:
        "Many requests of this alias needed a second target: its first target is failing or slow. Callers are still answered, at the backup's latency and price; check `/api/breakers` and the first target's provider.",
    },
    {
      id: 'error-rate-anomaly',
      type: 'anomaly',
      metric: 'error_rate',
      ...perProvider,
      deviations: 4,
      priority: 3,
      runbook: "A provider's error rate is far above its usual level for this time of day.",
    },
    {
      id: 'p95-latency-anomaly',
      type: 'anomaly',
      metric: 'latency.p95',
      ...perProvider,
      deviations: 4,
      minSpread: 100,
      priority: 4,
      runbook: "A provider's p95 latency is far above its usual level for this time of day.",
    },
    {
      id: 'cost-anomaly',
      type: 'anomaly',
      metric: 'cost.sum',
      window: '1h',
      history: '14d',
      deviations: 4,
      minHistory: 6,
      priority: 3,
      runbook:
        'Spend per hour is far above the usual for this hour: look for a runaway caller in `/api/stats?group_by=application` and cap it with a budget or rate limit.',
    },
    {
      id: 'latency-slo',
      type: 'slo',
      objective: 0.99,
      window: '30d',
      good: 'status=ok and latency<5000',
      priority: 2,
      runbook:
        'The error budget of "99% of requests succeed within 5 s" is burning fast. Find the provider or model behind it with `POST /api/insights/attribution`.',
    },
    {
      id: 'daily-cost-budget',
      type: 'forecast',
      metric: 'cost.sum',
      // Daily totals: hourly buckets would extrapolate every morning's rise over a whole day.
      window: '1d',
      horizon: '1d',
      history: '14d',
      warn: Math.round(budgetUsd * 0.8 * 100) / 100,
      budgetUsd,
      noData: 'ok',
      priority: 3,
      runbook:
        'At the current trend the next 24 h will cost more than the daily budget. Check which application is growing and set `budgets` to enforce a limit.',
    },
  ];
  if (options.probeIntervalMs !== undefined) pack.push(...probeMonitors(options.probeIntervalMs));
  const notify = [...(options.notify ?? [])];
  return pack.map((definition) => monitorDefinitionSchema.parse({ ...(definition as object), notify }));
}
