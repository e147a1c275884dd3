// SLO burn-rate decision: the Google SRE Workbook's multiwindow, multi-burn-rate alerts and error budget.
import { monitorEvaluation, type MonitorEvaluation, type MonitorStatus } from './monitor-state.js';

/** The windows the Workbook's alerts look at; the caller computes each one's counts from rollups. */
export type BurnRateWindow = '5m' | '30m' | '1h' | '6h' | '3d';

/** Every burn-rate window, shortest first. */
export const burnRateWindows: readonly BurnRateWindow[] = ['5m', '30m', '1h', '6h', '3d'];

/** Good and total events (requests) in one window. */
export interface EventCounts {
  good: number;
  total: number;
}

/** PAGE wakes someone up, TICKET is for working hours, OK needs nobody. */
export type BurnRateDecision = 'PAGE' | 'TICKET' | 'OK';

/** One alert condition: both windows must burn at least `burnRate`. */
export interface BurnRateAlertRule {
  decision: 'PAGE' | 'TICKET';
  longWindow: BurnRateWindow;
  shortWindow: BurnRateWindow;
  burnRate: number;
}

/**
 * The Workbook's recommended rules for a 30-day SLO (chapter "Alerting on SLOs", approach 6).
 * The long window measures budget spent, the short one confirms it is still burning so the alert
 * resets soon after recovery. Listed in priority order.
 */
export const burnRateAlertRules: readonly BurnRateAlertRule[] = [
  { decision: 'PAGE', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 }, // 2% of the budget in 1 h
  { decision: 'PAGE', longWindow: '6h', shortWindow: '30m', burnRate: 6 }, // 5% of the budget in 6 h
  { decision: 'TICKET', longWindow: '3d', shortWindow: '6h', burnRate: 1 }, // 10% of the budget in 3 d
];

/** Objective and counts over one window. */
export interface SloCountsOptions extends EventCounts {
  /** The target fraction of good events, strictly between 0 and 1 (0.99 = "99% succeed"). */
  objective: number;
}

/**
 * How fast a window spends the error budget: (bad / total) / (1 − objective). 1 spends exactly the
 * budget over the SLO window; 14.4 spends a 30-day budget in 50 hours. A window without traffic burns 0.
 * @example burnRate({ objective: 0.99, good: 980, total: 1000 }) // 2
 */
export function burnRate(options: SloCountsOptions): number {
  validateCounts(options);
  if (options.total === 0) return 0;
  const errorRate = (options.total - options.good) / options.total;
  return roundRatio(errorRate / (1 - options.objective));
}

/**
 * The fraction of the error budget left over the SLO window: 1 − bad / (total × (1 − objective)).
 * 1 is untouched, 0 is spent, negative is overspent. No traffic leaves the whole budget.
 * @example errorBudgetRemaining({ objective: 0.99, good: 9950, total: 10000 }) // 0.5
 */
export function errorBudgetRemaining(options: SloCountsOptions): number {
  validateCounts(options);
  if (options.total === 0) return 1;
  const bad = options.total - options.good;
  return roundRatio(1 - bad / (options.total * (1 - options.objective)));
}

/** Inputs of one burn-rate evaluation: the objective, each window's counts and the last status. */
export interface EvaluateBurnRateOptions {
  objective: number;
  windows: Readonly<Record<BurnRateWindow, EventCounts>>;
  previous: MonitorStatus;
}

/** A monitor evaluation plus the burn rates and the rule that decided it. */
export interface BurnRateEvaluation extends MonitorEvaluation {
  decision: BurnRateDecision;
  burnRates: Record<BurnRateWindow, number>;
  /** The first rule whose two windows both reached their burn rate, or null for OK. */
  rule: BurnRateAlertRule | null;
}

/**
 * Applies the multiwindow, multi-burn-rate rules: PAGE when 1 h and 5 m both burn >= 14.4 or
 * 6 h and 30 m both burn >= 6; TICKET when 3 d and 6 h both burn >= 1; otherwise OK. As a monitor
 * status PAGE is ALERT and TICKET is WARN. `value` is the long-window burn rate of the deciding rule,
 * or the 1 h burn rate when OK.
 * @example
 * evaluateBurnRate({ objective: 0.999, windows, previous: 'OK' }).decision // 'PAGE'
 */
export function evaluateBurnRate(options: EvaluateBurnRateOptions): BurnRateEvaluation {
  const { objective, windows, previous } = options;
  validateObjective(objective);
  const burnRates = Object.fromEntries(
    burnRateWindows.map((window) => [window, burnRate({ objective, ...windows[window] })]),
  ) as Record<BurnRateWindow, number>;
  const rule =
    burnRateAlertRules.find(
      (candidate) =>
        burnRates[candidate.longWindow] >= candidate.burnRate &&
        burnRates[candidate.shortWindow] >= candidate.burnRate,
    ) ?? null;
  const decision: BurnRateDecision = rule === null ? 'OK' : rule.decision;
  const reason =
    rule === null
      ? `no window pair at its burn rate (1h ${burnRates['1h']}, 6h ${burnRates['6h']}, 3d ${burnRates['3d']})`
      : `${rule.decision}: burn rate ${burnRates[rule.longWindow]} over ${rule.longWindow} and ${burnRates[rule.shortWindow]} over ${rule.shortWindow} >= ${rule.burnRate}`;
  return {
    ...monitorEvaluation({
      status: statusForBurnRateDecision(decision),
      value: rule === null ? burnRates['1h'] : burnRates[rule.longWindow],
      previousStatus: previous,
      reason,
    }),
    decision,
    burnRates,
    rule,
  };
}

/** Maps a burn-rate decision to a monitor status: PAGE → ALERT, TICKET → WARN, OK → OK. */
export function statusForBurnRateDecision(decision: BurnRateDecision): MonitorStatus {
  switch (decision) {
    case 'PAGE':
      return 'ALERT';
    case 'TICKET':
      return 'WARN';
    case 'OK':
      return 'OK';
  }
}

// Objectives are decimal literals such as 0.999 whose 1 − objective is not exact in binary
// (0.0010000000000000009); rounding keeps a burn of exactly 14.4 from reading as 14.399999999999986.
function roundRatio(ratio: number): number {
  return Math.round(ratio * 1e9) / 1e9;
}

function validateObjective(objective: number): void {
  if (!(objective > 0 && objective < 1)) {
    throw new RangeError(
      `SLO objective must be strictly between 0 and 1 (for example 0.99), got ${objective}; an objective of 1 leaves no error budget`,
    );
  }
}

function validateCounts(options: SloCountsOptions): void {
  validateObjective(options.objective);
  const { good, total } = options;
  if (!Number.isFinite(good) || !Number.isFinite(total) || good < 0 || total < 0 || good > total) {
    throw new RangeError(`SLO counts need 0 <= good <= total, got good ${good} and total ${total}`);
  }
}
