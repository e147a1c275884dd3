// Tests of the repeated-trigram ratio.
import { describe, expect, it } from 'vitest';
import { MIN_TRIGRAMS, repetitionRatio } from './repetition-ratio.js';

const PROSE =
  'The gateway routes each request to the first healthy target, retries transient failures with ' +
  'backoff, and fails over to the next provider when the circuit breaker of the current one opens ' +
  'after too many errors in a short window of time.';

describe('repetitionRatio', () => {
  it('is 0 for ordinary prose', () => {
    expect(repetitionRatio(PROSE)).toBe(0);
  });

  it('is about 1 - 1/k for a passage said k times', () => {
    const words = PROSE.split(' ').length;
    const trigramsOnce = words - 2;
    const thrice = `${PROSE} ${PROSE} ${PROSE}`;
    // New: the first copy's trigrams and the two spanning its seam with the second; the rest repeat.
    expect(repetitionRatio(thrice)).toBeCloseTo((2 * words - 2) / (3 * words - 2), 12);
    expect(repetitionRatio(thrice)).toBeGreaterThan(0.6);
    expect(trigramsOnce).toBeGreaterThanOrEqual(MIN_TRIGRAMS);
  });

  it('is close to 1 for a loop on one word, whatever the case', () => {
    expect(repetitionRatio('Stop stop STOP '.repeat(20))).toBeCloseTo(57 / 58, 12);
  });

  it('splits words on any white space, as the regular expression \\s does', () => {
    const separators = [' ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\u3000', '  \n\t '];
    for (const separator of separators) {
      const text = Array.from({ length: 30 }, () => 'same words again').join(separator);
      expect(repetitionRatio(text), JSON.stringify(separator)).toBeCloseTo(
        repetitionRatio(Array.from({ length: 30 }, () => 'same words again').join(' ')),
        12,
      );
    }
    expect(repetitionRatio(Array.from({ length: 30 }, () => 'same words again').join(' '))).toBeCloseTo(
      85 / 88,
      12,
    );
  });

  it('is 0 for texts too short to judge', () => {
    expect(repetitionRatio('yes yes yes yes yes')).toBe(0);
    expect(repetitionRatio('')).toBe(0);
  });
});
