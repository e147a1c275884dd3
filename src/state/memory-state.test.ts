import { describe, expect, it } from 'vitest';
import { MemoryState } from './memory-state.js';
import { describeSharedStateContract } from './shared-state.contract.js';

describeSharedStateContract('MemoryState', () => new MemoryState());

describe('MemoryState', () => {
  it('expires counters and cache entries by the times given', async () => {
    let nowMs = 1_000;
    const state = new MemoryState({ now: () => nowMs });
    await state.add('spent', 5, 2_000);
    await state.cacheSet('answer', 'hi', 2_000);
    expect(await state.get('spent', 1_999)).toBe(5);
    expect(await state.cacheGet('answer', 2_000)).toBeUndefined();
    nowMs = 2_000;
    expect(await state.get('spent', nowMs)).toBe(0);
    expect(await state.add('spent', 1, 3_000)).toBe(1);
  });

  it('keeps the cache within its entry and character bounds, dropping the least recently used', async () => {
    const state = new MemoryState({ maxCacheEntries: 2, maxCacheChars: 10 });
    await state.cacheSet('a', 'aaaa', Number.MAX_SAFE_INTEGER);
    await state.cacheSet('b', 'bbbb', Number.MAX_SAFE_INTEGER);
    expect(await state.cacheGet('a', 0)).toBe('aaaa'); // a is now the most recent
    await state.cacheSet('c', 'cccc', Number.MAX_SAFE_INTEGER);
    expect(await state.cacheGet('b', 0)).toBeUndefined();
    expect(await state.cacheGet('a', 0)).toBe('aaaa');
    await state.cacheSet('d', 'dddddddd', Number.MAX_SAFE_INTEGER); // 8 + 4 > 10: c and a go
    expect(await state.cacheGet('a', 0)).toBeUndefined();
    expect(await state.cacheGet('d', 0)).toBe('dddddddd');
    await state.cacheSet('huge', 'x'.repeat(11), Number.MAX_SAFE_INTEGER);
    expect(await state.cacheGet('huge', 0)).toBeUndefined();
  });
});
