import { describe, expect, it } from 'vitest';
import {
  admitDelivery,
  backoffDelayMs,
  decideAfterAttempt,
  DEFAULT_RETRY_POLICY,
  type AttemptResult,
  type DeliveryDecision,
} from './delivery-policy.js';

const nowMs = 1_000_000;
const half = () => 0.5;

describe('decideAfterAttempt', () => {
  it.each<[string, AttemptResult, number, DeliveryDecision]>([
    ['200 is delivered', { kind: 'response', status: 200 }, 1, { action: 'delivered' }],
    ['204 is delivered', { kind: 'response', status: 204 }, 3, { action: 'delivered' }],
    [
      '400 fails at once',
      { kind: 'response', status: 400, bodyText: 'invalid_payload' },
      1,
      {
        action: 'failed',
        reason: 'HTTP 400: invalid_payload (not retried: the receiver refused the message)',
      },
    ],
    [
      '404 fails at once',
      { kind: 'response', status: 404 },
      1,
      { action: 'failed', reason: 'HTTP 404 (not retried: the receiver refused the message)' },
    ],
    [
      'a redirect fails at once (undici does not follow it)',
      { kind: 'response', status: 302 },
      1,
      { action: 'failed', reason: 'HTTP 302 (not retried: the receiver refused the message)' },
    ],
    [
      '408 is retried with backoff',
      { kind: 'response', status: 408 },
      1,
      { action: 'retry', delayMs: 500, nextAttemptAtMs: nowMs + 500, reason: 'HTTP 408' },
    ],
    [
      '500 is retried, the ceiling doubling per retry',
      { kind: 'response', status: 500 },
      3,
      { action: 'retry', delayMs: 2000, nextAttemptAtMs: nowMs + 2000, reason: 'HTTP 500' },
    ],
    [
      'a network error is retried',
      { kind: 'error', message: 'connect ECONNREFUSED' },
      2,
      { action: 'retry', delayMs: 1000, nextAttemptAtMs: nowMs + 1000, reason: 'connect ECONNREFUSED' },
    ],
    [
      '429 with Retry-After waits that long',
      { kind: 'response', status: 429, retryAfterMs: 30_000 },
      1,
      { action: 'retry', delayMs: 30_000, nextAttemptAtMs: nowMs + 30_000, reason: 'HTTP 429' },
    ],
    [
      '503 with Retry-After waits that long',
      { kind: 'response', status: 503, retryAfterMs: 2_500 },
      1,
      { action: 'retry', delayMs: 2_500, nextAttemptAtMs: nowMs + 2_500, reason: 'HTTP 503' },
    ],
    [
      'Retry-After is capped at maxBackoffMs',
      { kind: 'response', status: 429, retryAfterMs: 3_600_000 },
      1,
      { action: 'retry', delayMs: 300_000, nextAttemptAtMs: nowMs + 300_000, reason: 'HTTP 429' },
    ],
    [
      '500 ignores Retry-After (only 429 and 503 honour it)',
      { kind: 'response', status: 500, retryAfterMs: 30_000 },
      1,
      { action: 'retry', delayMs: 500, nextAttemptAtMs: nowMs + 500, reason: 'HTTP 500' },
    ],
    [
      'the last attempt gives up',
      { kind: 'response', status: 503 },
      8,
      { action: 'failed', reason: 'HTTP 503 (gave up after 8 attempts)' },
    ],
  ])('%s', (_name, result, attempts, expected) => {
    expect(
      decideAfterAttempt({ result, attempts, nowMs, policy: DEFAULT_RETRY_POLICY, random: half }),
    ).toEqual(expected);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [5, 16_000],
    [9, 256_000],
    [10, 300_000],
    [30, 300_000],
  ])('retry %i has full jitter up to %i ms', (retry, ceilingMs) => {
    const policy = DEFAULT_RETRY_POLICY;
    expect(backoffDelayMs({ retry, policy, random: () => 0 })).toBe(0);
    expect(backoffDelayMs({ retry, policy, random: () => 0.999_999 })).toBe(
      Math.floor(0.999_999 * ceilingMs),
    );
  });
});

describe('admitDelivery', () => {
  it('admits up to maxPerMinute in a sliding minute, then says when a slot frees', () => {
    let window: number[] = [];
    for (const atMs of [0, 10_000, 20_000]) {
      const admission = admitDelivery({ window, nowMs: atMs, maxPerMinute: 3 });
      expect(admission.admitted).toBe(true);
      window = admission.window;
    }
    const refused = admitDelivery({ window, nowMs: 30_000, maxPerMinute: 3 });
    expect(refused).toEqual({ admitted: false, window: [0, 10_000, 20_000], retryAtMs: 60_000 });
    const later = admitDelivery({ window, nowMs: 60_000, maxPerMinute: 3 });
    expect(later).toEqual({ admitted: true, window: [10_000, 20_000, 60_000], retryAtMs: undefined });
  });
});
