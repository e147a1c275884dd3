import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS, planRollupReads } from './rollup.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('planRollupReads', () => {
  it.each([
    {
      name: 'whole hours only',
      fromMs: T0,
      toMs: T0 + 3 * HOUR_MS,
      reads: [{ table: 'hour', fromMs: T0, toMs: T0 + 3 * HOUR_MS }],
    },
    {
      name: 'ragged ends read minutes, the middle hours',
      fromMs: T0 + 10 * MINUTE_MS + 5_000,
      toMs: T0 + 3 * HOUR_MS + 20 * MINUTE_MS,
      reads: [
        { table: 'minute', fromMs: T0 + 10 * MINUTE_MS, toMs: T0 + HOUR_MS },
        { table: 'hour', fromMs: T0 + HOUR_MS, toMs: T0 + 3 * HOUR_MS },
        { table: 'minute', fromMs: T0 + 3 * HOUR_MS, toMs: T0 + 3 * HOUR_MS + 20 * MINUTE_MS },
      ],
    },
    {
      // The minute starting at toMs - 1 s counts (its start lies before toMs): so does its whole hour.
      name: 'an end inside the last minute of an hour completes that hour',
      fromMs: T0,
      toMs: T0 + HOUR_MS - 1_000,
      reads: [{ table: 'hour', fromMs: T0, toMs: T0 + HOUR_MS }],
    },
    {
      name: 'less than an hour',
      fromMs: T0 + 5 * MINUTE_MS,
      toMs: T0 + 50 * MINUTE_MS,
      reads: [{ table: 'minute', fromMs: T0 + 5 * MINUTE_MS, toMs: T0 + 50 * MINUTE_MS }],
    },
    {
      name: 'across one hour boundary without a whole hour',
      fromMs: T0 + 30 * MINUTE_MS,
      toMs: T0 + HOUR_MS + 30 * MINUTE_MS,
      reads: [{ table: 'minute', fromMs: T0 + 30 * MINUTE_MS, toMs: T0 + HOUR_MS + 30 * MINUTE_MS }],
    },
    { name: 'an empty range', fromMs: T0, toMs: T0, reads: [] },
  ])('$name', ({ fromMs, toMs, reads }) => {
    expect(planRollupReads({ fromMs, toMs, hourly: true })).toEqual(reads);
  });

  it('reads minutes only when hourly rows cannot be used', () => {
    expect(planRollupReads({ fromMs: T0, toMs: T0 + 3 * HOUR_MS, hourly: false })).toEqual([
      { table: 'minute', fromMs: T0, toMs: T0 + 3 * HOUR_MS },
    ]);
  });

  it('covers exactly the minutes whose start lies in [minuteOf(fromMs), toMs), for any range', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    for (let trial = 0; trial < 500; trial++) {
      const fromMs = T0 + Math.floor(random() * 5 * HOUR_MS);
      const toMs = fromMs + Math.floor(random() * 6 * HOUR_MS);
      const covered: number[] = [];
      for (const read of planRollupReads({ fromMs, toMs, hourly: true })) {
        expect(read.fromMs % MINUTE_MS).toBe(0);
        if (read.table === 'hour') {
          expect(read.fromMs % HOUR_MS).toBe(0);
          expect(read.toMs % HOUR_MS).toBe(0);
        }
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
