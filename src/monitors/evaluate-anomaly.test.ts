import { describe, expect, it } from 'vitest';
import {
  evaluateAnomaly,
  madScale,
  median,
  medianAbsoluteDeviation,
  type AnomalyDefinition,
  type AnomalyDirection,
} from './evaluate-anomaly.js';
import type { MonitorStatus } from './monitor-state.js';

describe('median and medianAbsoluteDeviation', () => {
  it.each([
    [[5], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[-1, -5, 10], -1],
  ])('median(%j) = %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rejects an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });

  it.each([
    [[1, 2, 3, 4, 100], 1], // median 3, deviations 2 1 0 1 97
    [[7, 7, 7], 0],
    [[10, 12, 11, 13, 9, 10, 11, 50], 1], // median 11, deviations 0 0 1 1 1 2 2 39
  ])('medianAbsoluteDeviation(%j) = %s', (values, expected) => {
    expect(medianAbsoluteDeviation(values)).toBe(expected);
  });
});

describe('evaluateAnomaly', () => {
  // Median 11, MAD 1, scaled spread 1.4826: 3 deviations is ±4.4478 around 11.
  // The past outlier 50 would drag a mean/standard deviation baseline far up; the MAD ignores it.
  const history = [10, 12, 11, 13, 9, 10, 11, 50];
  const definition = (direction: AnomalyDirection): AnomalyDefinition => ({
    deviations: 3,
    direction,
    minHistory: 5,
    minSpread: 0.5,
  });

  const rows: [AnomalyDirection, number, MonitorStatus][] = [
    ['above', 15, 'OK'], // 4 / 1.4826 = 2.70 spreads
    ['above', 16, 'ALERT'], // 5 / 1.4826 = 3.37 spreads
    ['above', 6, 'OK'], // low values are fine for 'above'
    ['below', 6, 'ALERT'],
    ['below', 16, 'OK'],
    ['below', 7, 'OK'], // -2.70 spreads
    ['both', 16, 'ALERT'],
    ['both', 6, 'ALERT'],
    ['both', 11, 'OK'],
  ];
  it.each(rows)('direction %s, value %s -> %s', (direction, value, expected) => {
    const result = evaluateAnomaly({ definition: definition(direction), value, history, previous: 'OK' });
    expect(result.status).toBe(expected);
    expect(result.median).toBe(11);
    expect(result.spread).toBeCloseTo(madScale, 10);
    expect(result.score).toBeCloseTo((value - 11) / madScale, 10);
    expect(result.changed).toBe(expected !== 'OK');
  });

  it('floors the spread at minSpread so a flat history does not alert on noise', () => {
    const flat = [100, 100, 100, 100, 100, 100, 100];
    const flatDefinition: AnomalyDefinition = {
      deviations: 3,
      direction: 'both',
      minHistory: 5,
      minSpread: 5,
    };
    const at = (value: number) =>
      evaluateAnomaly({ definition: flatDefinition, value, history: flat, previous: 'OK' });
    expect(at(101).status).toBe('OK');
    expect(at(110).status).toBe('OK'); // 2 spreads
    expect(at(115).status).toBe('OK'); // exactly 3 spreads is not "more than"
    expect(at(116).status).toBe('ALERT');
    expect(at(116).spread).toBe(5);
    expect(at(84).status).toBe('ALERT');
  });

  it('uses the scaled MAD when it is larger than minSpread', () => {
    // Median 100, MAD 5, spread 7.413; threshold 3 × 7.413 = 22.239.
    const wide = [90, 95, 100, 105, 110];
    const wideDefinition: AnomalyDefinition = {
      deviations: 3,
      direction: 'above',
      minHistory: 5,
      minSpread: 1,
    };
    expect(
      evaluateAnomaly({ definition: wideDefinition, value: 122, history: wide, previous: 'OK' }).status,
    ).toBe('OK');
    const alert = evaluateAnomaly({ definition: wideDefinition, value: 123, history: wide, previous: 'OK' });
    expect(alert.status).toBe('ALERT');
    expect(alert.spread).toBeCloseTo(7.413, 10);
    expect(alert.reason).toContain('above median 100');
  });

  it('returns NO_DATA with fewer than minHistory usable points', () => {
    const short = evaluateAnomaly({
      definition: definition('above'),
      value: 1000,
      history: [10, 11, Number.NaN, 12, 13],
      previous: 'ALERT',
    });
    expect(short).toMatchObject({
      status: 'NO_DATA',
      value: 1000,
      changed: true,
      median: null,
      spread: null,
    });
    expect(short.reason).toContain('4 history points < minHistory 5');
  });

  it('returns NO_DATA without a current value', () => {
    expect(
      evaluateAnomaly({ definition: definition('both'), value: null, history, previous: 'NO_DATA' }),
    ).toMatchObject({ status: 'NO_DATA', changed: false, value: null });
  });

  it.each([
    [{ deviations: 0 }, /deviations must be > 0/],
    [{ minSpread: 0 }, /minSpread must be > 0/],
    [{ minHistory: 0 }, /minHistory must be an integer >= 1/],
    [{ minHistory: 2.5 }, /minHistory must be an integer >= 1/],
  ])('rejects an invalid definition %#', (override, message) => {
    expect(() =>
      evaluateAnomaly({
        definition: { ...definition('above'), ...override },
        value: 1,
        history,
        previous: 'OK',
      }),
    ).toThrow(message);
  });
});

describe('evaluateAnomaly over a simulated day with a daily cycle', () => {
  // Deterministic noise (a linear congruential generator) so the test never flakes.
  function noise(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return (state / 2_147_483_648) * 80 - 40; // uniform in [-40, 40) ms
    };
  }
  const next = noise(7);
  // Hourly p95 latency in ms: 800 ± 400 over the day, plus noise; 8 days, the last one is "today".
  const days = Array.from({ length: 8 }, () =>
    Array.from({ length: 24 }, (_, hour) => 800 + 400 * Math.sin((2 * Math.PI * hour) / 24) + next()),
  );
  const definition: AnomalyDefinition = { deviations: 4, direction: 'both', minHistory: 5, minSpread: 20 };
  const sameHourHistory = (hour: number) => days.slice(0, 7).map((day) => day[hour] as number);
  const today = days[7] as number[];

  it('raises nothing for normal traffic across the whole day', () => {
    const statuses = today.map(
      (value, hour) =>
        evaluateAnomaly({ definition, value, history: sameHourHistory(hour), previous: 'OK' }).status,
    );
    expect(statuses).toEqual(Array.from({ length: 24 }, () => 'OK'));
  });

  it('alerts on a 500 ms spike at a quiet hour that is still below the daily peak', () => {
    // 21:00 normally sits near 517 ms; +500 ms is still under the 06:00 peak, so only a
    // seasonal baseline (same hour on previous days) can tell it is abnormal.
    const hour = 21;
    const spiked = (today[hour] as number) + 500;
    expect(spiked).toBeLessThan(Math.max(...today));
    const result = evaluateAnomaly({
      definition,
      value: spiked,
      history: sameHourHistory(hour),
      previous: 'OK',
    });
    expect(result.status).toBe('ALERT');
    expect(result.changed).toBe(true);
  });
});
