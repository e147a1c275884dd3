import { describe, expect, it } from 'vitest';
import type { MonitorStatus } from './monitor-state.js';
import {
  burnRate,
  burnRateWindows,
  errorBudgetRemaining,
  evaluateBurnRate,
  type BurnRateDecision,
  type BurnRateWindow,
  type EventCounts,
} from './slo-burn-rate.js';

/** Windows of 10_000 requests each with the given error rates (bad / total). */
function windowsWithErrorRates(errorRates: Partial<Record<BurnRateWindow, number>>) {
  return Object.fromEntries(
    burnRateWindows.map((window) => {
      const total = 10_000;
      const bad = Math.round((errorRates[window] ?? 0) * total);
      return [window, { good: total - bad, total }];
    }),
  ) as Record<BurnRateWindow, EventCounts>;
}

describe('burnRate', () => {
  it.each([
    [0.99, 980, 1000, 2],
    [0.99, 1000, 1000, 0],
    [0.99, 990, 1000, 1], // spending exactly the budget
    [0.999, 9856, 10_000, 14.4], // 1.44% errors against a 0.1% budget
    [0.999, 0, 10_000, 1000], // full outage of a 99.9% SLO
    [0.99, 0, 0, 0], // no traffic burns nothing
  ])('objective %s, %s good of %s -> %s', (objective, good, total, expected) => {
    expect(burnRate({ objective, good, total })).toBe(expected);
  });
});

describe('evaluateBurnRate, Workbook multiwindow multi-burn-rate rules', () => {
  // Objective 99.9%: a burn rate of 14.4 is a 1.44% error rate, 6 is 0.6%, 1 is 0.1%.
  const rows: [
    name: string,
    errorRates: Partial<Record<BurnRateWindow, number>>,
    BurnRateDecision,
    MonitorStatus,
  ][] = [
    ['no errors', {}, 'OK', 'OK'],
    ['full outage in every window', { '5m': 1, '30m': 1, '1h': 1, '6h': 1, '3d': 1 }, 'PAGE', 'ALERT'],
    ['fast burn: 1h and 5m at exactly 14.4', { '5m': 0.0144, '1h': 0.0144 }, 'PAGE', 'ALERT'],
    ['1h at 14.4 but 5m recovered', { '5m': 0, '1h': 0.0144 }, 'OK', 'OK'],
    ['5m spike without 1h burn', { '5m': 0.5, '1h': 0.0143 }, 'OK', 'OK'],
    ['slow burn: 6h and 30m at exactly 6', { '30m': 0.006, '6h': 0.006 }, 'PAGE', 'ALERT'],
    ['6h at 6 but 30m recovered', { '30m': 0.0059, '6h': 0.006 }, 'OK', 'OK'],
    ['3d and 6h at exactly 1', { '6h': 0.001, '3d': 0.001 }, 'TICKET', 'WARN'],
    ['3d at 1 but 6h below', { '6h': 0.0009, '3d': 0.001 }, 'OK', 'OK'],
    ['6h and 30m at 6 beat the ticket', { '30m': 0.006, '6h': 0.006, '3d': 0.002 }, 'PAGE', 'ALERT'],
    ['6h at 5 with 3d at 2 is a ticket', { '30m': 0.005, '6h': 0.005, '3d': 0.002 }, 'TICKET', 'WARN'],
  ];
  it.each(rows)('%s -> %s', (_name, errorRates, decision, status) => {
    const result = evaluateBurnRate({
      objective: 0.999,
      windows: windowsWithErrorRates(errorRates),
      previous: 'OK',
    });
    expect(result.decision).toBe(decision);
    expect(result.status).toBe(status);
    expect(result.changed).toBe(status !== 'OK');
  });

  it('reports each window burn rate and the deciding rule', () => {
    const result = evaluateBurnRate({
      objective: 0.999,
      windows: windowsWithErrorRates({ '5m': 0.02, '30m': 0.01, '1h': 0.015, '6h': 0.004, '3d': 0.0005 }),
      previous: 'WARN',
    });
    expect(result.burnRates).toEqual({ '5m': 20, '30m': 10, '1h': 15, '6h': 4, '3d': 0.5 });
    expect(result.rule).toEqual({ decision: 'PAGE', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 });
    expect(result.value).toBe(15);
    expect(result.reason).toBe('PAGE: burn rate 15 over 1h and 20 over 5m >= 14.4');
    expect(result.previousStatus).toBe('WARN');
  });

  it('burns 0 in windows without traffic and stays OK', () => {
    const empty = { good: 0, total: 0 };
    const result = evaluateBurnRate({
      objective: 0.99,
      windows: { '5m': empty, '30m': empty, '1h': empty, '6h': empty, '3d': empty },
      previous: 'ALERT',
    });
    expect(result).toMatchObject({ decision: 'OK', status: 'OK', changed: true, rule: null, value: 0 });
    expect(Object.values(result.burnRates)).toEqual([0, 0, 0, 0, 0]);
  });

  it('pages on the short windows alone only when the long window has traffic to burn', () => {
    const windows = windowsWithErrorRates({ '5m': 1 });
    windows['1h'] = { good: 0, total: 0 };
    expect(evaluateBurnRate({ objective: 0.99, windows, previous: 'OK' }).decision).toBe('OK');
  });

  it.each([1, 0, 1.5, -0.1, Number.NaN])('rejects objective %s', (objective) => {
    expect(() => evaluateBurnRate({ objective, windows: windowsWithErrorRates({}), previous: 'OK' })).toThrow(
      /objective must be strictly between 0 and 1/,
    );
  });

  it('rejects counts with more good than total', () => {
    const windows = windowsWithErrorRates({});
    windows['6h'] = { good: 11, total: 10 };
    expect(() => evaluateBurnRate({ objective: 0.99, windows, previous: 'OK' })).toThrow(
      /0 <= good <= total, got good 11 and total 10/,
    );
  });
});

describe('errorBudgetRemaining', () => {
  it.each([
    [0.99, 10_000, 10_000, 1],
    [0.99, 9950, 10_000, 0.5],
    [0.99, 9900, 10_000, 0],
    [0.99, 9850, 10_000, -0.5], // overspent
    [0.999, 999_000, 1_000_000, 0], // 1000 bad of a 1000 budget
    [0.999, 999_750, 1_000_000, 0.75],
    [0.99, 0, 0, 1], // no traffic
  ])('objective %s, %s good of %s -> %s', (objective, good, total, expected) => {
    expect(errorBudgetRemaining({ objective, good, total })).toBe(expected);
  });

  it('rejects an objective of 1 and negative counts', () => {
    expect(() => errorBudgetRemaining({ objective: 1, good: 1, total: 1 })).toThrow(/no error budget/);
    expect(() => errorBudgetRemaining({ objective: 0.99, good: -1, total: 1 })).toThrow(RangeError);
  });
});

describe('the Workbook derivation of the burn-rate thresholds', () => {
  // 30 days at 1000 requests per hour against 99.9%: a budget of 720 bad requests.
  // Burning at rate r for h hours spends r × h / 720 of it: 14.4 × 1 h = 2%, 6 × 6 h = 5%, 1 × 72 h = 10%.
  const hoursInSloWindow = 720;
  const requestsPerHour = 1000;
  it.each([
    [14.4, 1, 0.98],
    [6, 6, 0.95],
    [1, 72, 0.9],
  ])('burning at %s for %s h leaves %s of the budget', (rate, hours, remaining) => {
    const total = hoursInSloWindow * requestsPerHour;
    const bad = rate * 0.001 * requestsPerHour * hours;
    expect(
      burnRate({ objective: 0.999, good: requestsPerHour * hours - bad, total: requestsPerHour * hours }),
    ).toBe(rate);
    expect(errorBudgetRemaining({ objective: 0.999, good: total - bad, total })).toBe(remaining);
  });
});
