// Pure budget arithmetic: the UTC day or month a time falls in, and the alert thresholds a spend crosses.
import type { BudgetPeriod } from '../telemetry/events.js';

/** One budget period: its key ("2026-01-31" or "2026-01") and its bounds, epoch ms, end exclusive. */
export interface PeriodWindow {
  key: string;
  startMs: number;
  endMs: number;
}

/**
 * The UTC day or month `nowMs` falls in. Budgets reset at 00:00 UTC and on the first of the month
 * at 00:00 UTC, whatever the server's time zone, so replicas in different zones agree.
 * @example budgetPeriod('month', Date.parse('2026-02-10T12:00:00Z')) // { key: '2026-02', ... }
 */
export function budgetPeriod(period: BudgetPeriod, nowMs: number): PeriodWindow {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  if (period === 'month') {
    const startMs = Date.UTC(year, month, 1);
    return { key: new Date(startMs).toISOString().slice(0, 7), startMs, endMs: Date.UTC(year, month + 1, 1) };
  }
  const day = now.getUTCDate();
  const startMs = Date.UTC(year, month, day);
  return {
    key: new Date(startMs).toISOString().slice(0, 10),
    startMs,
    endMs: Date.UTC(year, month, day + 1),
  };
}

/**
 * The thresholds (percent of the limit) a counter crossed going from `before` to `after`, lowest
 * first: every threshold t with before < t% of limit <= after. A jump from 70 % to 100 % crosses
 * 80, 90, 95 and 100 at once. Amounts are in any one unit (Keel uses micro-USD).
 */
export function crossedThresholds(input: {
  before: number;
  after: number;
  limit: number;
  thresholds: readonly number[];
}): number[] {
  const { before, after, limit } = input;
  return [...input.thresholds]
    .sort((a, b) => a - b)
    .filter((percent) => {
      const level = (limit * percent) / 100;
      return before < level && after >= level;
    });
}
