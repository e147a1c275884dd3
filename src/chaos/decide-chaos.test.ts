import { describe, expect, it } from 'vitest';
import type { ChaosDecision, ChaosFaults } from './chaos-injection.js';
import { decideChaos } from './decide-chaos.js';

/** Returns the given draws in order, then fails the test if asked for more. */
function draws(...values: number[]): () => number {
  return () => {
    const value = values.shift();
    if (value === undefined) throw new Error('decideChaos drew more random numbers than expected');
    return value;
  };
}

describe('decideChaos', () => {
  const table: [string, ChaosFaults, number[], ChaosDecision][] = [
    ['no faults', {}, [], { delayMs: 0 }],
    ['latency only', { latencyMs: 3000 }, [], { delayMs: 3000 }],
    ['outage fails with 503 by default, no draw', { outage: true }, [], { delayMs: 0, fail: '503' }],
    [
      'outage with its own kind and latency',
      { outage: true, errorKind: 'timeout', latencyMs: 50 },
      [],
      { delayMs: 50, fail: 'timeout' },
    ],
    ['error rate hit fails with 500 by default', { errorRate: 0.5 }, [0.49], { delayMs: 0, fail: '500' }],
    ['error rate miss passes', { errorRate: 0.5 }, [0.5], { delayMs: 0 }],
    ['error rate hit with a kind', { errorRate: 1, errorKind: '429' }, [0.99], { delayMs: 0, fail: '429' }],
    ['error rate 0 never draws', { errorRate: 0, errorKind: '503' }, [], { delayMs: 0 }],
    ['cut hit, first place', { cutRate: 0.3 }, [0.1, 0], { delayMs: 0, cutAfterParts: 1 }],
    ['cut hit, last place', { cutRate: 0.3 }, [0.1, 0.99], { delayMs: 0, cutAfterParts: 3 }],
    ['cut miss', { cutRate: 0.3 }, [0.3], { delayMs: 0 }],
    ['error wins over cut', { errorRate: 0.5, cutRate: 1 }, [0.2], { delayMs: 0, fail: '500' }],
    [
      'error miss, then cut',
      { errorRate: 0.5, cutRate: 1 },
      [0.7, 0.5, 0.5],
      { delayMs: 0, cutAfterParts: 2 },
    ],
  ];
  it.each(table)('%s', (_name, faults, values, expected) => {
    expect(decideChaos(faults, draws(...values))).toEqual(expected);
  });
});
