import { describe, expect, it } from 'vitest';
import { formatRateLimitReset } from './format-rate-limit-reset.js';

describe('formatRateLimitReset', () => {
  it.each([
    [0, '0s'],
    [-5, '0s'],
    [0.2, '1ms'],
    [20, '20ms'],
    [999.5, '1s'],
    [1_000, '1s'],
    [8_640, '8.64s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [90_500, '1m30.5s'],
    [3_600_000, '1h0m0s'],
    [3_723_004, '1h2m3.004s'],
  ])('%d ms is "%s"', (ms, expected) => {
    expect(formatRateLimitReset(ms)).toBe(expected);
  });
});
