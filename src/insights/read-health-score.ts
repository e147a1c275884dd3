// Reads a window's figures from the telemetry store and scores health overall and per environment.
import { budgetPeriod } from '../policy/budget-periods.js';
import type { BudgetStatus } from '../policy/budget-policy.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { ErrorCodes } from '../spec/index.js';
import type { StatsGroup, TelemetryStore } from '../store/store.js';
import {
  computeHealthScore,
  type HealthComponent,
  type HealthInputs,
  type HealthSubScore,
  type HealthTargets,
} from './health-score.js';
import { scanRecords } from './scan-records.js';

/** Error codes counted as security refusals: bad key, model not allowed, rate limited. */
export const SECURITY_REFUSAL_CODES: readonly string[] = [
  ErrorCodes.invalidApiKey,
  ErrorCodes.modelNotAllowed,
  ErrorCodes.rateLimited,
];

/** The cost sub-score compares the window's spend with the same window on each of this many previous days. */
export const HEALTH_BASELINE_DAYS = 7;
const DAY_MS = 86_400_000;
/** Raw records read per security refusal code. */
export const HEALTH_REFUSAL_SCAN_CAP = 10_000;

export interface ReadHealthScoreOptions {
  store: TelemetryStore;
  fromMs: number;
  toMs: number;
  /** Only this environment (its entry and the overall figures are the same then). */
  environment?: string | undefined;
  breakers?: (() => BreakerSnapshot[]) | undefined;
  budgets?: ((nowMs: number) => Promise<BudgetStatus[]>) | undefined;
  targets?: Partial<HealthTargets> | undefined;
}

/** The score of one scope with the inputs it came from. */
export interface ScopeHealth {
  /** Undefined for the overall entry. */
  environment?: string;
  score: number | null;
  subScores: Record<HealthComponent, HealthSubScore>;
  inputs: HealthInputs;
}

export interface HealthScoreReport {
  fromMs: number;
  toMs: number;
  overall: ScopeHealth;
  /** Sorted by requests, most first. */
  environments: ScopeHealth[];
  /** How figures were estimated (samples, caps). */
  notes: string[];
}

/**
 * The worst pace among budgets: (spent / limit) / elapsed share of the period, the elapsed share
 * floored at 0.1 so the first minutes of a day do not read as a runaway; an exhausted budget
 * counts as pace 2 or more (sub-score 0). Undefined without budgets.
 * @example budgetPace([{ period: 'day', spentUsd: 50, limitUsd: 100, ... }], noonUtc) // 1
 */
export function budgetPace(statuses: readonly BudgetStatus[], nowMs: number): number | undefined {
  let worst: number | undefined;
  for (const status of statuses) {
    if (!(status.limitUsd > 0)) continue;
    const window = budgetPeriod(status.period, nowMs);
    const elapsed = (nowMs - window.startMs) / (window.endMs - window.startMs);
    const used = status.spentUsd / status.limitUsd;
    let pace = used / Math.max(elapsed, 0.1);
    if (used >= 1) pace = Math.max(pace, 2);
    worst = worst === undefined ? pace : Math.max(worst, pace);
  }
  return worst;
}

function byEnvironment(groups: readonly StatsGroup[]): Map<string, StatsGroup> {
  return new Map(groups.map((group) => [group.key.environment ?? '', group]));
}

interface ScopeCounts {
  refusals: number;
}

/**
 * The health score over [fromMs, toMs), overall and for each environment seen.
 * Rollups give latency, errors and spend; raw records give security refusals (by error code) and,
 * until the store's groups count failovers, the failover rate from a sample of the newest records.
 */
export async function readHealthScore(options: ReadHealthScoreOptions): Promise<HealthScoreReport> {
  const { store, fromMs, toMs } = options;
  const filters = { environment: options.environment };
  const [total, perEnvironment, serverErrors, ...baselineDays] = await Promise.all([
    store.stats({ fromMs, toMs, filters }),
    store.stats({ fromMs, toMs, filters, groupBy: ['environment'] }),
    store.stats({ fromMs, toMs, filters: { ...filters, statusClass: '5xx' }, groupBy: ['environment'] }),
    // The same hours on earlier days, so a daily peak is compared with earlier peaks, not the average.
    ...Array.from({ length: HEALTH_BASELINE_DAYS }, (_, index) =>
      store.stats({
        fromMs: fromMs - (index + 1) * DAY_MS,
        toMs: toMs - (index + 1) * DAY_MS,
        filters,
        groupBy: ['environment'],
      }),
    ),
  ]);
  const notes: string[] = [];
  const counts = new Map<string, ScopeCounts>();
  const countsOf = (environment: string) => {
    let entry = counts.get(environment);
    if (entry === undefined) {
      entry = { refusals: 0 };
      counts.set(environment, entry);
    }
    return entry;
  };
  for (const code of SECURITY_REFUSAL_CODES) {
    const scan = await scanRecords({
      store,
      fromMs,
      toMs,
      filters: { ...filters, errorCode: code },
      maxRecords: HEALTH_REFUSAL_SCAN_CAP,
    });
    for (const record of scan.records) countsOf(record.environment).refusals += 1;
    if (scan.truncated)
      notes.push(`Security refusals with ${code} counted up to ${HEALTH_REFUSAL_SCAN_CAP}.`);
  }
  const breakerList = options.breakers?.();
  const breakers =
    breakerList === undefined
      ? undefined
      : {
          open: breakerList.filter((breaker) => breaker.status !== 'closed').length,
          total: breakerList.length,
        };
  let pace: number | undefined;
  try {
    pace = options.budgets === undefined ? undefined : budgetPace(await options.budgets(toMs), toMs);
  } catch {
    // Shared state down: score without the budget part rather than fail the whole score.
    notes.push(
      'Budget status could not be read (shared state unavailable): cost scored without budget pace.',
    );
  }

  const serverErrorsByEnvironment = byEnvironment(serverErrors.groups);
  const sumOver = (groups: Iterable<StatsGroup>, pick: (group: StatsGroup) => number) => {
    let sum = 0;
    for (const group of groups) sum += pick(group);
    return sum;
  };
  // Mean spend of the earlier days that had traffic (a day before Keel ran is no baseline).
  const baselineCost = (environment: string | undefined): number => {
    let costUsd = 0;
    let days = 0;
    for (const day of baselineDays) {
      const groups = day.groups.filter(
        (group) => environment === undefined || group.key.environment === environment,
      );
      if (sumOver(groups, (group) => group.requests) === 0) continue;
      costUsd += sumOver(groups, (group) => group.costUsd);
      days += 1;
    }
    return days === 0 ? 0 : costUsd / days;
  };

  function inputsOf(scope: {
    group: StatsGroup | undefined;
    serverErrors: number;
    baselineCostUsd: number;
    counts: ScopeCounts;
    budgetPace?: number | undefined;
  }): HealthInputs {
    const { group } = scope;
    const requests = group?.requests ?? 0;
    const failoverRate = group === undefined ? undefined : requests === 0 ? 0 : group.failovers / requests;
    const costRatio = scope.baselineCostUsd > 0 ? (group?.costUsd ?? 0) / scope.baselineCostUsd : undefined;
    return {
      requests,
      latencyP95Ms: group?.latency.p95 ?? null,
      overheadP95Ms: group?.overhead.p95 ?? null,
      serverErrorRate: requests === 0 ? 0 : scope.serverErrors / requests,
      failoverRate,
      breakers,
      costRatio,
      budgetPace: scope.budgetPace,
      qualityAvg: group?.quality.avg,
      refusalRate: requests === 0 ? 0 : Math.min(1, scope.counts.refusals / requests),
    };
  }

  const scored = (inputs: HealthInputs, environment?: string): ScopeHealth => {
    const result = computeHealthScore({ inputs, targets: options.targets });
    return { ...(environment === undefined ? {} : { environment }), ...result, inputs };
  };
  const overallCounts = { refusals: 0 };
  for (const entry of counts.values()) {
    overallCounts.refusals += entry.refusals;
  }
  const overall = scored(
    inputsOf({
      group: total.groups[0],
      serverErrors: sumOver(serverErrorsByEnvironment.values(), (group) => group.requests),
      baselineCostUsd: baselineCost(undefined),
      counts: overallCounts,
      budgetPace: pace,
    }),
  );
  const environments = perEnvironment.groups.map((group) => {
    const environment = group.key.environment ?? '';
    return scored(
      inputsOf({
        group,
        serverErrors: serverErrorsByEnvironment.get(environment)?.requests ?? 0,
        baselineCostUsd: baselineCost(environment),
        counts: countsOf(environment),
      }),
      environment,
    );
  });
  if (pace !== undefined)
    notes.push('Budgets are not per environment: budget pace scores the overall entry only.');
  return { fromMs, toMs, overall, environments, notes };
}
