import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, planRollupReads, TIER_MS } from './rollup.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const DAY_MS = 24 * HOUR_MS;

describe('planRollupReads', () => {
  it.each([
    {
      name: 'whole days only',
      fromMs: T0,
      toMs: T0 + 3 * DAY_MS,
      reads: [{ tier: 'day', fromMs: T0, toMs: T0 + 3 * DAY_MS }],
    },
    {
      name: 'days in the middle, hours, five minutes and minutes towards the ends',
      fromMs: T0 + 22 * HOUR_MS + 13 * MINUTE_MS + 5_000,
      toMs: T0 + 2 * DAY_MS + 2 * HOUR_MS + 7 * MINUTE_MS,
      reads: [
        {
          tier: 'minute',
          fromMs: T0 + 22 * HOUR_MS + 13 * MINUTE_MS,
          toMs: T0 + 22 * HOUR_MS + 15 * MINUTE_MS,
        },
        { tier: 'fiveMinutes', fromMs: T0 + 22 * HOUR_MS + 15 * MINUTE_MS, toMs: T0 + 23 * HOUR_MS },
        { tier: 'hour', fromMs: T0 + 23 * HOUR_MS, toMs: T0 + DAY_MS },
        { tier: 'day', fromMs: T0 + DAY_MS, toMs: T0 + 2 * DAY_MS },
        { tier: 'hour', fromMs: T0 + 2 * DAY_MS, toMs: T0 + 2 * DAY_MS + 2 * HOUR_MS },
        {
          tier: 'fiveMinutes',
          fromMs: T0 + 2 * DAY_MS + 2 * HOUR_MS,
          toMs: T0 + 2 * DAY_MS + 2 * HOUR_MS + 5 * MINUTE_MS,
        },
        {
          tier: 'minute',
          fromMs: T0 + 2 * DAY_MS + 2 * HOUR_MS + 5 * MINUTE_MS,
          toMs: T0 + 2 * DAY_MS + 2 * HOUR_MS + 7 * MINUTE_MS,
        },
      ],
    },
    {
      // The minute starting at toMs - 1 s counts (its start lies before toMs): so does its whole hour.
      name: 'an end inside the last minute of an hour completes that hour',
      fromMs: T0,
      toMs: T0 + HOUR_MS - 1_000,
      reads: [{ tier: 'hour', fromMs: T0, toMs: T0 + HOUR_MS }],
    },
    {
      name: 'less than five minutes',
      fromMs: T0 + 6 * MINUTE_MS,
      toMs: T0 + 9 * MINUTE_MS,
      reads: [{ tier: 'minute', fromMs: T0 + 6 * MINUTE_MS, toMs: T0 + 9 * MINUTE_MS }],
    },
    { name: 'an empty range', fromMs: T0, toMs: T0, reads: [] },
  ])('$name', ({ fromMs, toMs, reads }) => {
    expect(planRollupReads({ fromMs, toMs })).toEqual(reads);
  });

  it('uses only tiers whose rows fit inside one step of a time series', () => {
    expect(planRollupReads({ fromMs: T0, toMs: T0 + 3 * HOUR_MS, stepMs: 10 * MINUTE_MS })).toEqual([
      { tier: 'fiveMinutes', fromMs: T0, toMs: T0 + 3 * HOUR_MS },
    ]);
    expect(planRollupReads({ fromMs: T0, toMs: T0 + 2 * DAY_MS, stepMs: 2 * HOUR_MS })).toEqual([
      { tier: 'hour', fromMs: T0, toMs: T0 + 2 * DAY_MS },
    ]);
    expect(planRollupReads({ fromMs: T0, toMs: T0 + HOUR_MS, stepMs: 7 * MINUTE_MS })).toEqual([
      { tier: 'minute', fromMs: T0, toMs: T0 + HOUR_MS },
    ]);
  });

  it('covers exactly the minutes whose start lies in [minuteOf(fromMs), toMs), for any range and step', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    const steps = [undefined, MINUTE_MS, 5 * MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, 6 * HOUR_MS, DAY_MS];
    for (let trial = 0; trial < 500; trial++) {
      const fromMs = T0 + Math.floor(random() * 3 * DAY_MS);
      const toMs = fromMs + Math.floor(random() * 4 * DAY_MS);
      const stepMs = steps[trial % steps.length];
      const covered: number[] = [];
      for (const read of planRollupReads({ fromMs, toMs, stepMs })) {
        const width = TIER_MS[read.tier];
        expect(read.fromMs % width).toBe(0);
        expect(read.toMs % width).toBe(0);
        if (stepMs !== undefined) expect(stepMs % width).toBe(0);
        for (let minute = read.fromMs; minute < read.toMs; minute += MINUTE_MS) covered.push(minute);
      }
      const expected: number[] = [];
      for (let minute = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS; minute < toMs; minute += MINUTE_MS) {
        expected.push(minute);
      }
      expect(covered).toEqual(expected);
    }
  });
});
