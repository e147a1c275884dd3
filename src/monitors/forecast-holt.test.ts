import { describe, expect, it } from 'vitest';
import { forecastSum, holtForecast } from './forecast-holt.js';

describe('holtForecast', () => {
  it.each([
    [0.5, 0.3],
    [0.1, 0.1],
    [1, 1],
  ])('forecasts a straight line exactly (alpha %s, beta %s)', (alpha, beta) => {
    const values = [3, 5, 7, 9, 11, 13]; // 3 + 2t
    const result = holtForecast({ values, alpha, beta, horizon: 3 });
    expect(result.level).toBeCloseTo(13, 10);
    expect(result.trend).toBeCloseTo(2, 10);
    result.forecast.forEach((point, index) => expect(point).toBeCloseTo([15, 17, 19][index] as number, 10));
  });

  it('forecasts a constant series as the constant', () => {
    const result = holtForecast({ values: [4.2, 4.2, 4.2, 4.2], alpha: 0.4, beta: 0.2, horizon: 5 });
    expect(result).toEqual({ level: 4.2, trend: 0, forecast: [4.2, 4.2, 4.2, 4.2, 4.2] });
  });

  it('matches a hand-computed fit', () => {
    // alpha 0.5, beta 0.5 on [10, 12, 16]:
    // init l=10 b=2; t=1: l=0.5*12+0.5*(12)=12, b=0.5*2+0.5*2=2; t=2: l=0.5*16+0.5*14=15, b=0.5*3+0.5*2=2.5
    const result = holtForecast({ values: [10, 12, 16], alpha: 0.5, beta: 0.5, horizon: 2 });
    expect(result.level).toBe(15);
    expect(result.trend).toBe(2.5);
    expect(result.forecast).toEqual([17.5, 20]);
  });

  it('returns an empty forecast for horizon 0', () => {
    expect(holtForecast({ values: [1, 2], alpha: 0.5, beta: 0.5, horizon: 0 }).forecast).toEqual([]);
  });

  it.each([
    [{ alpha: 0 }, /alpha must be in \(0, 1\]/],
    [{ alpha: 1.01 }, /alpha must be in \(0, 1\]/],
    [{ alpha: Number.NaN }, /alpha must be in \(0, 1\]/],
    [{ beta: 0 }, /beta must be in \(0, 1\]/],
    [{ beta: 2 }, /beta must be in \(0, 1\]/],
    [{ values: [1] }, /at least 2 values, got 1/],
    [{ values: [] }, /at least 2 values, got 0/],
    [{ values: [1, Number.POSITIVE_INFINITY] }, /values\[1\] is Infinity/],
    [{ horizon: -1 }, /horizon must be a non-negative integer/],
    [{ horizon: 1.5 }, /horizon must be a non-negative integer/],
  ])('rejects invalid input %#', (override, message) => {
    expect(() => holtForecast({ values: [1, 2, 3], alpha: 0.5, beta: 0.5, horizon: 3, ...override })).toThrow(
      message,
    );
  });
});

describe('forecastSum', () => {
  it('sums the next 24 hourly points of a rising cost', () => {
    // Hourly cost rising 0.5 USD per hour, last point 10: next 24 h are 10.5 .. 22, summing to 390.
    const hourlyCostUsd = Array.from({ length: 48 }, (_, hour) => 10 - (47 - hour) * 0.5);
    expect(forecastSum({ values: hourlyCostUsd, alpha: 0.3, beta: 0.1, horizon: 24 })).toBeCloseTo(390, 8);
  });

  it('clamps each point at the floor so a falling trend does not predict negative spend', () => {
    // Falling by 1 per step from 3: forecast 2, 1, 0, -1, -2.
    const values = [6, 5, 4, 3];
    expect(forecastSum({ values, alpha: 0.5, beta: 0.5, horizon: 5 })).toBeCloseTo(0, 10);
    expect(forecastSum({ values, alpha: 0.5, beta: 0.5, horizon: 5, floor: 0 })).toBeCloseTo(3, 10);
  });
});
