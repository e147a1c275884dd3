// Tests of the per-route answer-length baseline: warm-up, verdicts, adaptation and the route bound.
import { describe, expect, it } from 'vitest';
import { logNormal, seededRandom } from '../store/synthetic-records.js';
import { ResponseLengthBaseline } from './response-length-baseline.js';

/** Feeds `count` answers of about `medianChars` (log-normal, sigma 0.3) to the route. */
function warm(baseline: ResponseLengthBaseline, route: string, medianChars: number, count = 200): void {
  const random = seededRandom(7);
  for (let index = 0; index < count; index++) {
    baseline.assess({ route, responseChars: Math.round(logNormal(random, Math.log(medianChars), 0.3)) });
  }
}

describe('ResponseLengthBaseline', () => {
  it('judges nothing while a route warms up', () => {
    const baseline = new ResponseLengthBaseline({ minSamples: 30 });
    for (let index = 0; index < 29; index++) baseline.assess({ route: 'smart', responseChars: 500 });
    expect(baseline.assess({ route: 'smart', responseChars: 1 })).toBe('usual');
    expect(baseline.assess({ route: 'smart', responseChars: 1 })).toBe('too_short');
  });

  it.each([
    [500, 'usual'],
    [300, 'usual'],
    [900, 'usual'],
    [40, 'too_short'],
    [6_000, 'too_long'],
  ] as const)('after answers of about 500 characters, %d reads %s', (responseChars, verdict) => {
    const baseline = new ResponseLengthBaseline();
    warm(baseline, 'smart', 500);
    expect(baseline.assess({ route: 'smart', responseChars })).toBe(verdict);
  });

  it('keeps routes apart', () => {
    const baseline = new ResponseLengthBaseline();
    warm(baseline, 'short-answers', 20);
    warm(baseline, 'essays', 4_000);
    expect(baseline.assess({ route: 'short-answers', responseChars: 4_000 })).toBe('too_long');
    expect(baseline.assess({ route: 'essays', responseChars: 20 })).toBe('too_short');
  });

  it('does not flag small changes on a route whose answers are all the same length', () => {
    const baseline = new ResponseLengthBaseline();
    for (let index = 0; index < 100; index++) baseline.assess({ route: 'fixed', responseChars: 100 });
    expect(baseline.assess({ route: 'fixed', responseChars: 200 })).toBe('usual');
    expect(baseline.assess({ route: 'fixed', responseChars: 50 })).toBe('usual');
    expect(baseline.assess({ route: 'fixed', responseChars: 400 })).toBe('too_long');
  });

  it('follows a route whose answers change for good', () => {
    const baseline = new ResponseLengthBaseline();
    warm(baseline, 'smart', 500);
    expect(baseline.assess({ route: 'smart', responseChars: 5_000 })).toBe('too_long');
    warm(baseline, 'smart', 5_000);
    expect(baseline.assess({ route: 'smart', responseChars: 5_000 })).toBe('usual');
  });

  it('forgets the least recently seen route past maxRoutes', () => {
    const baseline = new ResponseLengthBaseline({ maxRoutes: 2, minSamples: 1 });
    baseline.assess({ route: 'a', responseChars: 100 });
    baseline.assess({ route: 'b', responseChars: 100 });
    baseline.assess({ route: 'a', responseChars: 100 });
    baseline.assess({ route: 'c', responseChars: 100 });
    expect(baseline.size).toBe(2);
    // 'a' was seen more recently than 'b', so 'b' went: 'a' still judges, 'b' starts afresh.
    expect(baseline.assess({ route: 'a', responseChars: 100_000 })).toBe('too_long');
    expect(baseline.assess({ route: 'b', responseChars: 100_000 })).toBe('usual');
  });

  it('refuses an alpha outside (0, 1]', () => {
    expect(() => new ResponseLengthBaseline({ alpha: 0 })).toThrow(RangeError);
    expect(() => new ResponseLengthBaseline({ alpha: 1.5 })).toThrow(/alpha must be in \(0, 1\], got 1.5/);
  });
});
