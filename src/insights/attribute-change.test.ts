import { describe, expect, it } from 'vitest';
import { attributeChange, type AttributionInput } from './attribute-change.js';

const group = (value: string, requests: number, metricValue: number | null) => ({
  value,
  requests,
  metricValue,
});

describe('attributeChange', () => {
  const cases: {
    name: string;
    input: AttributionInput;
    change: number;
    /** value -> contribution, in ranked order. */
    expected: [string, number][];
    mix?: Record<string, number>;
  }[] = [
    {
      name: 'sum: each value contributes its own delta',
      input: {
        kind: 'sum',
        baseline: [group('openai', 10, 1), group('anthropic', 5, 2)],
        current: [group('openai', 10, 4), group('anthropic', 5, 1)],
      },
      change: 2,
      expected: [
        ['openai', 3],
        ['anthropic', -1],
      ],
    },
    {
      name: 'sum: a value new in the current period contributes all of it',
      input: {
        kind: 'sum',
        baseline: [group('a', 1, 5)],
        current: [group('a', 1, 5), group('b', 1, 7)],
      },
      change: 7,
      expected: [
        ['b', 7],
        ['a', 0],
      ],
    },
    {
      name: 'mean: one value got worse at the same traffic (all rate effect)',
      input: {
        kind: 'mean',
        baseline: [group('a', 50, 0.02), group('b', 50, 0.02)],
        current: [group('a', 50, 0.2), group('b', 50, 0.02)],
      },
      change: 0.09,
      expected: [
        ['a', 0.09],
        ['b', 0],
      ],
      mix: { a: 0 },
    },
    {
      name: 'mean: traffic moved to a worse value (all mix effect)',
      input: {
        kind: 'mean',
        baseline: [group('good', 90, 0.01), group('bad', 10, 0.1)],
        current: [group('good', 50, 0.01), group('bad', 50, 0.1)],
      },
      // 0.5·0.01 + 0.5·0.1 − (0.9·0.01 + 0.1·0.1) = 0.055 − 0.019
      change: 0.036,
      expected: [
        ['bad', 0.04],
        ['good', -0.004],
      ],
      mix: { bad: 0.04, good: -0.004 },
    },
    {
      name: 'mean: a value that vanished takes its baseline rate',
      input: {
        kind: 'mean',
        baseline: [group('a', 50, 0), group('b', 50, 0.5)],
        current: [group('a', 100, 0)],
      },
      change: -0.25,
      expected: [
        ['b', -0.25],
        ['a', 0],
      ],
    },
    {
      name: 'mean: empty baseline attributes the whole current value',
      input: { kind: 'mean', baseline: [], current: [group('a', 30, 0.1), group('b', 10, 0.4)] },
      change: 0.175,
      expected: [
        ['b', 0.1],
        ['a', 0.075],
      ],
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = attributeChange(testCase.input);
      expect(result.change).toBeCloseTo(testCase.change, 10);
      expect(result.contributions.map((entry) => entry.value)).toEqual(
        testCase.expected.map(([value]) => value),
      );
      for (const [index, [, contribution]] of testCase.expected.entries()) {
        expect(result.contributions[index]?.contribution).toBeCloseTo(contribution, 10);
      }
      const sum = result.contributions.reduce((total, entry) => total + entry.contribution, 0);
      expect(sum).toBeCloseTo(result.change, 10);
      for (const [value, mix] of Object.entries(testCase.mix ?? {})) {
        expect(result.contributions.find((entry) => entry.value === value)?.mixEffect).toBeCloseTo(mix, 10);
      }
    });
  }

  it('gives shares of the change, null when nothing changed', () => {
    const changed = attributeChange({
      kind: 'sum',
      baseline: [group('a', 1, 1), group('b', 1, 1)],
      current: [group('a', 1, 4), group('b', 1, 2)],
    });
    expect(changed.contributions.map((entry) => entry.share)).toEqual([0.75, 0.25]);
    const flat = attributeChange({ kind: 'sum', baseline: [group('a', 1, 1)], current: [group('a', 1, 1)] });
    expect(flat.contributions[0]?.share).toBeNull();
  });
});
