import { describe, expect, it } from 'vitest';
import { backoffDelayMs, type BackoffSettings } from './backoff.js';

const settings: BackoffSettings = { initialDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 10_000 };

const constant = (value: number) => () => value;

describe('backoffDelayMs', () => {
  // Full jitter: uniform in [0, min(maxDelayMs, initialDelayMs * 2^(retry-1))).
  it.each([
    // retry, random, expected delay
    [1, 0, 0],
    [1, 0.5, 100],
    [1, 0.999, 199],
    [2, 0, 0],
    [2, 0.5, 200],
    [2, 0.999, 399],
    [3, 0.5, 400],
    [3, 0.999, 799],
    [5, 0.999, 3_196],
  ])('retry %i with random %f waits %i ms', (retry, random, expected) => {
    expect(backoffDelayMs({ retry, settings, retryAfterMs: undefined, random: constant(random) })).toBe(
      expected,
    );
  });

  it.each([
    [6, 0.5, 2_500],
    [6, 0.999, 4_995],
    [20, 0.999, 4_995],
    [20, 0, 0],
  ])('caps retry %i (random %f) at maxDelayMs: %i ms', (retry, random, expected) => {
    expect(backoffDelayMs({ retry, settings, retryAfterMs: undefined, random: constant(random) })).toBe(
      expected,
    );
  });

  it('stays within [0, cap) for every retry', () => {
    for (let retry = 1; retry <= 12; retry++) {
      const cap = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** (retry - 1));
      for (const random of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const delay = backoffDelayMs({ retry, settings, retryAfterMs: undefined, random: constant(random) });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(cap);
        expect(Number.isInteger(delay)).toBe(true);
      }
    }
  });

  it('draws one random number per delay', () => {
    let draws = 0;
    backoffDelayMs({
      retry: 2,
      settings,
      retryAfterMs: undefined,
      random: () => {
        draws++;
        return 0.5;
      },
    });
    expect(draws).toBe(1);
  });

  it.each([0, 1_500, 10_000])('honours Retry-After of %i ms exactly, without jitter', (retryAfterMs) => {
    expect(backoffDelayMs({ retry: 1, settings, retryAfterMs, random: constant(0.5) })).toBe(retryAfterMs);
  });

  it('honours a Retry-After above maxDelayMs as long as it is within maxRetryAfterMs', () => {
    expect(backoffDelayMs({ retry: 1, settings, retryAfterMs: 8_000, random: constant(0) })).toBe(8_000);
  });

  it.each([10_001, 60_000])(
    'gives up (undefined) on a Retry-After of %i ms, beyond maxRetryAfterMs',
    (ms) => {
      expect(backoffDelayMs({ retry: 1, settings, retryAfterMs: ms, random: constant(0) })).toBeUndefined();
    },
  );
});
