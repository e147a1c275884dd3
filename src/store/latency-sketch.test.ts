import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { LatencySketch, SKETCH_RELATIVE_ACCURACY } from './latency-sketch.js';
import { logNormal, seededRandom } from './synthetic-records.js';

/** The value the sketch's rank rule targets: sorted[floor(q * (n - 1))]. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
}

// The stated bound (latency-sketch.ts) plus floating-point rounding of the log mapping.
const TOLERANCE = SKETCH_RELATIVE_ACCURACY * (1 + 1e-9);

function logNormalValues(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => logNormal(random, Math.log(350), 0.9));
}

describe('LatencySketch', () => {
  it('answers every quantile of 50,000 log-normal latencies within 1 % relative error', () => {
    const values = logNormalValues(50_000, 7);
    const sketch = new LatencySketch();
    for (const value of values) sketch.accept(value);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]) {
      const exact = exactQuantile(sorted, q);
      const estimate = sketch.quantile(q) ?? NaN;
      expect(Math.abs(estimate - exact) / exact, `q=${q}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('agrees with the library DDSketch on the same values', () => {
    const values = logNormalValues(5_000, 3);
    const ours = new LatencySketch();
    const theirs = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
    for (const value of values) {
      ours.accept(value);
      theirs.accept(value);
    }
    for (const q of [0.5, 0.95, 0.99]) expect(ours.quantile(q)).toBe(theirs.getValueAtQuantile(q));
  });

  it('merges exactly: the merge of parts equals the sketch of the whole, through encode/decode', () => {
    const values = logNormalValues(10_000, 11);
    const whole = new LatencySketch();
    for (const value of values) whole.accept(value);
    const merged = new LatencySketch();
    for (let part = 0; part < 10; part++) {
      const sketch = new LatencySketch();
      for (const value of values.slice(part * 1_000, (part + 1) * 1_000)) sketch.accept(value);
      merged.merge(LatencySketch.decode(sketch.encode()));
    }
    expect(merged.count).toBe(10_000);
    expect(Buffer.from(merged.encode())).toEqual(Buffer.from(whole.encode()));
    for (const q of [0.5, 0.95, 0.99]) expect(merged.quantile(q)).toBe(whole.quantile(q));
  });

  it('counts zero and negative values as 0, and is null when empty', () => {
    const sketch = new LatencySketch();
    expect(sketch.quantile(0.5)).toBeNull();
    sketch.accept(0);
    sketch.accept(-5);
    sketch.accept(100);
    expect(sketch.count).toBe(3);
    expect(sketch.quantile(0.5)).toBe(0);
    expect(Math.abs((sketch.quantile(1) ?? 0) - 100) / 100).toBeLessThanOrEqual(TOLERANCE);
    const decoded = LatencySketch.decode(sketch.encode());
    expect(decoded.count).toBe(3);
    expect(LatencySketch.decode(new LatencySketch().encode()).count).toBe(0);
  });

  it('keeps large counts exact (not limited to 32 bits)', () => {
    const big = new LatencySketch();
    big.accept(10);
    let sketch = LatencySketch.decode(big.encode());
    for (let doubling = 0; doubling < 40; doubling++) {
      const copy = LatencySketch.decode(sketch.encode());
      sketch.merge(copy);
      sketch = LatencySketch.decode(sketch.encode());
    }
    expect(sketch.count).toBe(2 ** 40);
  });

  it('counts values below a threshold within the stated bound, merged or not', () => {
    const values = logNormalValues(50_000, 11);
    const halves = [new LatencySketch(), new LatencySketch()];
    values.forEach((value, index) => halves[index % 2]?.accept(value));
    const merged = LatencySketch.decode(halves[0]?.encode() ?? new Uint8Array());
    merged.mergeEncoded(halves[1]?.encode() ?? new Uint8Array());
    const a = SKETCH_RELATIVE_ACCURACY;
    for (const thresholdMs of [1, 50, 200, 350, 1_000, 5_000, 100_000]) {
      const estimate = merged.countBelow(thresholdMs);
      // Rounding of the log mapping (1e-9) widens the band a hair, as TOLERANCE does for quantiles.
      const atMost = values.filter((value) => value <= thresholdMs / (1 + a) / (1 + 1e-9)).length;
      const below = values.filter((value) => value < (thresholdMs / (1 - a)) * (1 + 1e-9)).length;
      expect(estimate, `${thresholdMs} ms`).toBeGreaterThanOrEqual(atMost);
      expect(estimate, `${thresholdMs} ms`).toBeLessThanOrEqual(below);
    }
    expect(merged.countBelow(1e12)).toBe(values.length);
  });

  it('counts zeros below any positive threshold and nothing below 0', () => {
    const sketch = new LatencySketch();
    expect(sketch.countBelow(100)).toBe(0);
    for (const value of [0, 0, 10, 20, 1_000]) sketch.accept(value);
    expect(sketch.countBelow(0)).toBe(0);
    expect(sketch.countBelow(-1)).toBe(0);
    expect(sketch.countBelow(1)).toBe(2);
    expect(sketch.countBelow(15)).toBe(3);
    expect(sketch.countBelow(500)).toBe(4);
    expect(sketch.countBelow(Number.POSITIVE_INFINITY)).toBe(5);
  });

  it('refuses bytes it did not write', () => {
    expect(() => LatencySketch.decode(new Uint8Array([9]))).toThrow(/format version/);
    const bytes = new LatencySketch().encode();
    expect(() => LatencySketch.decode(bytes.subarray(0, 5))).toThrow(/truncated/);
  });
});
