// A mergeable latency quantile sketch (DDSketch, 1 % relative accuracy) with a compact binary form for rollups.
import { DDSketch } from '@datadog/sketches-js';

/**
 * Relative accuracy of every stored sketch.
 *
 * Error bound: DDSketch's logarithmic mapping puts a value v > 0 into bucket k with
 * gamma^(k-1) < v <= gamma^k, where gamma = (1 + a) / (1 - a), and reports the bucket as
 * 2 * gamma^k / (1 + gamma). That representative is within a relative error of `a` of every
 * value in the bucket. `quantile(q)` returns the representative of the bucket holding the
 * value of rank floor(q * (n - 1)) in sorted order (the same rank rule as DDSketch), so
 * |estimate - exact| <= a * exact, with exact = sorted[floor(q * (n - 1))], up to
 * floating-point rounding of the log (about 1e-12 relative). Merging adds bucket counts
 * exactly, so the bound holds for any number of merged minutes and groups.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

// The mapping (value <-> bucket key) is the library's; the bucket store and its encoding are ours,
// because the library's toProto/fromProto need protobufjs, which it does not declare as a dependency.
const mapping = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).mapping;

const FORMAT_VERSION = 1;
const EMPTY = new Float64Array(0);

/**
 * Bucket counts of non-negative values (latencies in ms). Values at or below the mapping's smallest
 * distinguishable value, and negative values (which latencies never are), count as zero.
 *
 * @example
 * const sketch = new LatencySketch();
 * for (const ms of latencies) sketch.accept(ms);
 * const blob = sketch.encode();                  // store it
 * LatencySketch.decode(blob).quantile(0.95);     // later, after merging others into it
 */
export class LatencySketch {
  #zeroCount = 0;
  /** Bucket key of `#counts[0]`. */
  #firstKey = 0;
  /** Dense counts from `#firstKey`; may have zero slack at both ends. */
  #counts: Float64Array = EMPTY;
  #count = 0;

  /** Number of values in the sketch. */
  get count(): number {
    return this.#count;
  }

  accept(value: number): void {
    if (!(value > mapping.minPossible)) {
      this.#zeroCount++;
    } else {
      this.#add(mapping.key(Math.min(value, mapping.maxPossible)), 1);
    }
    this.#count++;
  }

  /** Adds every value of `other` to this sketch (exact: bucket counts add). */
  merge(other: LatencySketch): void {
    if (other.#count === 0) return;
    this.#zeroCount += other.#zeroCount;
    this.#count += other.#count;
    const counts = other.#counts;
    let low = 0;
    while (low < counts.length && counts[low] === 0) low++;
    let high = counts.length - 1;
    while (high >= low && counts[high] === 0) high--;
    if (high < low) return;
    this.#ensureRange(other.#firstKey + low, other.#firstKey + high);
    const shift = other.#firstKey - this.#firstKey;
    for (let index = low; index <= high; index++) {
      this.#counts[index + shift] = (this.#counts[index + shift] ?? 0) + (counts[index] ?? 0);
    }
  }

  /** The value at quantile `q` (0..1), or null when the sketch is empty. See SKETCH_RELATIVE_ACCURACY. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.min(Math.max(q, 0), 1) * (this.#count - 1);
    let running = this.#zeroCount;
    if (running > rank) return 0;
    const counts = this.#counts;
    for (let index = 0; index < counts.length; index++) {
      running += counts[index] ?? 0;
      if (running > rank) return mapping.value(this.#firstKey + index);
    }
    // Unreachable while counts add up; keeps the answer defined if they do not (rounding).
    for (let index = counts.length - 1; index >= 0; index--) {
      if ((counts[index] ?? 0) > 0) return mapping.value(this.#firstKey + index);
    }
    return 0;
  }

  /**
   * Estimated number of values below `valueMs`: the values of every bucket whose representative
   * (the value `quantile` reports for it) is below `valueMs`, plus the zero bucket when
   * `valueMs` > 0. Every value in a bucket lies within SKETCH_RELATIVE_ACCURACY (a) of its
   * representative, so only values near the threshold can land on the wrong side: the estimate
   * lies between the exact counts of values <= valueMs / (1 + a) and of values < valueMs / (1 - a).
   * Consistent with `quantile`: countBelow(quantile(q)) never exceeds the rank quantile(q) reads.
   */
  countBelow(valueMs: number): number {
    if (this.#count === 0 || !(valueMs > 0)) return 0;
    let below = this.#zeroCount;
    const counts = this.#counts;
    for (let index = 0; index < counts.length; index++) {
      const bucket = counts[index] ?? 0;
      if (bucket === 0) continue;
      if (mapping.value(this.#firstKey + index) >= valueMs) break;
      below += bucket;
    }
    return below;
  }

  /**
   * Binary form: version (u8), relative accuracy (f64 LE), then unsigned LEB128 varints for the
   * zero count, the zigzag-encoded first key, the number of buckets and each bucket's count.
   * Leading and trailing empty buckets are left out. A latency minute is typically 100-600 bytes.
   */
  encode(): Uint8Array {
    const counts = this.#counts;
    let low = 0;
    while (low < counts.length && counts[low] === 0) low++;
    let high = counts.length - 1;
    while (high >= low && counts[high] === 0) high--;
    const length = high >= low ? high - low + 1 : 0;
    const writer = new VarintWriter(9 + 3 * 10 + length * 2);
    writer.byte(FORMAT_VERSION);
    writer.float64(SKETCH_RELATIVE_ACCURACY);
    writer.varint(this.#zeroCount);
    writer.varint(zigzag(length === 0 ? 0 : this.#firstKey + low));
    writer.varint(length);
    for (let index = low; index < low + length; index++) writer.varint(counts[index] ?? 0);
    return writer.finish();
  }

  /** Reads `encode()`'s output. Throws on another format version or relative accuracy. */
  static decode(bytes: Uint8Array): LatencySketch {
    const sketch = new LatencySketch();
    sketch.mergeEncoded(bytes);
    return sketch;
  }

  /** `merge(LatencySketch.decode(bytes))` without building the intermediate sketch. */
  mergeEncoded(bytes: Uint8Array): void {
    const reader = new VarintReader(bytes);
    const version = reader.byte();
    if (version !== FORMAT_VERSION) throw new Error(`latency sketch: unknown format version ${version}`);
    const accuracy = reader.float64();
    if (accuracy !== SKETCH_RELATIVE_ACCURACY) {
      throw new Error(`latency sketch: relative accuracy ${accuracy}, expected ${SKETCH_RELATIVE_ACCURACY}`);
    }
    const zeroCount = reader.varint();
    const firstKey = unzigzag(reader.varint());
    const length = reader.varint();
    let count = zeroCount;
    if (length > 0) {
      this.#ensureRange(firstKey, firstKey + length - 1);
      const counts = this.#counts;
      const shift = firstKey - this.#firstKey;
      for (let index = 0; index < length; index++) {
        const bucket = reader.varint();
        counts[index + shift] = (counts[index + shift] ?? 0) + bucket;
        count += bucket;
      }
    }
    this.#zeroCount += zeroCount;
    this.#count += count;
  }

  #add(key: number, weight: number): void {
    this.#ensureRange(key, key);
    const index = key - this.#firstKey;
    this.#counts[index] = (this.#counts[index] ?? 0) + weight;
  }

  #ensureRange(lowKey: number, highKey: number): void {
    const counts = this.#counts;
    if (counts.length > 0 && lowKey >= this.#firstKey && highKey < this.#firstKey + counts.length) return;
    // Grow with slack so that accepting nearby values does not reallocate every time.
    const slack = Math.max(32, counts.length >> 1);
    const currentLow = counts.length > 0 ? this.#firstKey : lowKey;
    const currentHigh = counts.length > 0 ? this.#firstKey + counts.length - 1 : highKey;
    const newLow = lowKey < currentLow ? lowKey - slack : currentLow;
    const newHigh = highKey > currentHigh ? highKey + slack : currentHigh;
    const grown = new Float64Array(newHigh - newLow + 1);
    grown.set(counts, currentLow - newLow);
    this.#counts = grown;
    this.#firstKey = newLow;
  }
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Unsigned LEB128 over doubles (exact up to 2^53), so counts are not limited to 32 bits. */
class VarintWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialSize: number) {
    this.#bytes = new Uint8Array(initialSize);
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
  }

  float64(value: number): void {
    this.#reserve(8);
    new DataView(this.#bytes.buffer, this.#bytes.byteOffset + this.#length, 8).setFloat64(0, value, true);
    this.#length += 8;
  }

  varint(value: number): void {
    this.#reserve(8);
    let rest = Math.floor(value);
    while (rest >= 0x80) {
      this.#bytes[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.#length++] = rest;
  }

  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

class VarintReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  byte(): number {
    return this.#next();
  }

  float64(): number {
    if (this.#offset + 8 > this.#bytes.length) throw new Error('latency sketch: truncated');
    const value = new DataView(this.#bytes.buffer, this.#bytes.byteOffset + this.#offset, 8).getFloat64(
      0,
      true,
    );
    this.#offset += 8;
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.#next();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new Error('latency sketch: varint too long');
    }
  }

  #next(): number {
    const byte = this.#bytes[this.#offset++];
    if (byte === undefined) throw new Error('latency sketch: truncated');
    return byte;
  }
}
