// What Keel saved in a window: cache hits' avoided cost, errors failover absorbed, spend budgets refused.
import type { BudgetStatus } from '../policy/budget-policy.js';
import { ErrorCodes } from '../spec/index.js';
import type { StatsGroup, TelemetryStore } from '../store/store.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import { pathTarget, recordFailedOver, scanRecords } from './scan-records.js';

/** Raw records read for failover rescues and for budget refusals, each. */
export const ROI_SCAN_CAP = 20_000;

export interface ModelSaving {
  model: string;
  count: number;
  /** The model's average cost of a paid answer in the window; null when none was priced. */
  averageCostUsd: number | null;
  estimatedUsd: number;
}

export interface RoiFigures {
  cache: { hits: number; unpricedHits: number; estimatedSavedUsd: number; byModel: ModelSaving[] };
  failover: {
    /** Answered requests that failed over: without failover each was an error. */
    rescued: number;
    /** Of the answered requests read. */
    answeredRead: number;
    /** rescued / answeredRead. */
    rescueRate: number;
    /** The target that failed first, with how many requests another target saved. */
    byFirstTarget: { target: string; rescued: number }[];
    truncated: boolean;
  };
  budgets: {
    refusals: number;
    estimatedPreventedUsd: number;
    byModel: ModelSaving[];
    truncated: boolean;
  };
  /** Cache savings plus refused spend. */
  estimatedTotalUsd: number;
}

/**
 * The average cost of a paid answer per requested model: costUsd / (ok − cache hits). Cache hits
 * cost nothing, so they are left out of the denominator; errors rarely carry cost.
 */
export function averageCostByModel(groups: readonly StatsGroup[]): Map<string, number | null> {
  const averages = new Map<string, number | null>();
  for (const group of groups) {
    const paid = group.ok - group.cacheHits;
    averages.set(group.key.model ?? '', paid > 0 && group.costUsd > 0 ? group.costUsd / paid : null);
  }
  return averages;
}

function savings(counts: Map<string, number>, averages: Map<string, number | null>): ModelSaving[] {
  return [...counts]
    .map(([model, count]) => {
      const averageCostUsd = averages.get(model) ?? null;
      return {
        model,
        count,
        averageCostUsd,
        estimatedUsd: averageCostUsd === null ? 0 : count * averageCostUsd,
      };
    })
    .sort((left, right) => right.estimatedUsd - left.estimatedUsd || right.count - left.count);
}

/**
 * The ROI figures from a window's per-model rollups, its answered records and its budget refusals.
 * A cache hit is valued at its model's average paid answer; a refused call at its requested
 * model's average (the call never ran, so its real cost is unknown: an estimate, not a bill).
 */
export function computeRoi(input: {
  modelGroups: readonly StatsGroup[];
  answered: { records: readonly RequestRecord[]; truncated: boolean };
  budgetRefusals: { records: readonly RequestRecord[]; truncated: boolean };
}): RoiFigures {
  const averages = averageCostByModel(input.modelGroups);
  const hits = new Map<string, number>();
  for (const group of input.modelGroups) {
    if (group.cacheHits > 0) hits.set(group.key.model ?? '', group.cacheHits);
  }
  const cacheByModel = savings(hits, averages);
  const refusals = new Map<string, number>();
  for (const record of input.budgetRefusals.records) {
    refusals.set(record.requestedModel, (refusals.get(record.requestedModel) ?? 0) + 1);
  }
  const budgetByModel = savings(refusals, averages);
  const byFirstTarget = new Map<string, number>();
  let rescued = 0;
  for (const record of input.answered.records) {
    if (record.outcome !== 'ok' || !recordFailedOver(record)) continue;
    rescued += 1;
    const first = pathTarget(record.failoverPath[0] ?? '');
    byFirstTarget.set(first, (byFirstTarget.get(first) ?? 0) + 1);
  }
  const sum = (list: ModelSaving[]) => list.reduce((total, entry) => total + entry.estimatedUsd, 0);
  const cacheSaved = sum(cacheByModel);
  const prevented = sum(budgetByModel);
  const answeredRead = input.answered.records.length;
  return {
    cache: {
      hits: cacheByModel.reduce((total, entry) => total + entry.count, 0),
      unpricedHits: cacheByModel
        .filter((entry) => entry.averageCostUsd === null)
        .reduce((total, entry) => total + entry.count, 0),
      estimatedSavedUsd: cacheSaved,
      byModel: cacheByModel,
    },
    failover: {
      rescued,
      answeredRead,
      rescueRate: answeredRead === 0 ? 0 : rescued / answeredRead,
      byFirstTarget: [...byFirstTarget]
        .map(([target, count]) => ({ target, rescued: count }))
        .sort((left, right) => right.rescued - left.rescued),
      truncated: input.answered.truncated,
    },
    budgets: {
      refusals: input.budgetRefusals.records.length,
      estimatedPreventedUsd: prevented,
      byModel: budgetByModel,
      truncated: input.budgetRefusals.truncated,
    },
    estimatedTotalUsd: cacheSaved + prevented,
  };
}

export interface RoiReport extends RoiFigures {
  fromMs: number;
  toMs: number;
  /** The budgets' spend this period, when a budget policy is wired. */
  budgetStatus?: BudgetStatus[];
}

/** Reads the window and computes its ROI figures. */
export async function readRoi(options: {
  store: TelemetryStore;
  fromMs: number;
  toMs: number;
  budgets?: ((nowMs: number) => Promise<BudgetStatus[]>) | undefined;
  scanCap?: number | undefined;
}): Promise<RoiReport> {
  const { store, fromMs, toMs } = options;
  const maxRecords = options.scanCap ?? ROI_SCAN_CAP;
  const [models, answered, budgetRefusals, budgetStatus] = await Promise.all([
    store.stats({ fromMs, toMs, groupBy: ['model'] }),
    scanRecords({ store, fromMs, toMs, filters: { outcome: 'ok' }, maxRecords }),
    scanRecords({ store, fromMs, toMs, filters: { errorCode: ErrorCodes.budgetExceeded }, maxRecords }),
    // Shared state down: the report goes out without budget status rather than failing.
    options.budgets?.(toMs).catch(() => undefined),
  ]);
  const figures = computeRoi({ modelGroups: models.groups, answered, budgetRefusals });
  return { fromMs, toMs, ...figures, ...(budgetStatus === undefined ? {} : { budgetStatus }) };
}
