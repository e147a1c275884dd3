// Unit tests of the random trace id source: W3C shape, no repeats across pool refills.
import { describe, expect, it } from 'vitest';
import { invalidTraceId, RandomTraceIds } from './random-trace-ids.js';

describe('RandomTraceIds', () => {
  it('hands out distinct valid 32-hex ids, across several refills of its pool', () => {
    const traceIds = new RandomTraceIds();
    const seen = new Set<string>();
    for (let index = 0; index < 1_000; index++) {
      const traceId = traceIds.next();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe(invalidTraceId);
      seen.add(traceId);
    }
    expect(seen.size).toBe(1_000);
  });
});
