import { describe, expect, it } from 'vitest';
import { budgetPeriod, crossedThresholds } from './budget-periods.js';

describe('budgetPeriod', () => {
  it.each([
    ['day', '2026-01-31T23:59:59.999Z', '2026-01-31', '2026-01-31T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['day', '2026-02-01T00:00:00.000Z', '2026-02-01', '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z'],
    ['month', '2026-01-31T23:59:59.999Z', '2026-01', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['month', '2028-02-29T12:00:00.000Z', '2028-02', '2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z'],
    ['month', '2026-12-31T23:59:59.999Z', '2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['day', '2026-12-31T23:59:59.999Z', '2026-12-31', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ] as const)('%s of %s is %s, from %s to %s', (period, now, key, start, end) => {
    expect(budgetPeriod(period, Date.parse(now))).toEqual({
      key,
      startMs: Date.parse(start),
      endMs: Date.parse(end),
    });
  });
});

describe('crossedThresholds', () => {
  const thresholds = [100, 80, 95, 90];
  it.each([
    // [before, after, crossed] with a limit of 1000
    [0, 700, []],
    [700, 800, [80]],
    [799, 1000, [80, 90, 95, 100]],
    [700, 5000, [80, 90, 95, 100]],
    [800, 899, []],
    [800, 900, [90]],
    [1000, 2000, []],
    [950, 940, []],
  ])('%s -> %s crosses %j', (before, after, crossed) => {
    expect(crossedThresholds({ before, after, limit: 1000, thresholds })).toEqual(crossed);
  });
});
