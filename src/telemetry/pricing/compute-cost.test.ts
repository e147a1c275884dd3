import { describe, expect, it } from 'vitest';
import { computeCostUsd } from './compute-cost.js';
import { createPriceBook } from './price-book.js';

const prices = createPriceBook();

function tablePrice(providerType: string, model: string) {
  const price = prices.priceFor({ providerType, providerId: providerType, model });
  if (price === undefined) throw new Error(`no price for ${providerType} ${model}`);
  return price;
}

describe('computeCostUsd', () => {
  it('bills OpenAI cached tokens at the cached rate and reasoning once, as output', () => {
    // o4-mini: 1.10 input, 0.275 cached, 4.40 output per 1M.
    const usage = {
      inputTokens: 10_000,
      cachedInputTokens: 6_000,
      outputTokens: 500,
      reasoningTokens: 200,
      totalTokens: 10_500,
    };
    // 4,000 x 1.10 + 6,000 x 0.275 + 500 x 4.40 = 4,400 + 1,650 + 2,200 = 8,250 micro-USD.
    expect(computeCostUsd(usage, tablePrice('openai', 'o4-mini-2025-04-16'))).toBeCloseTo(0.00825, 12);
  });

  it('bills Anthropic cache reads and cache writes at their own rates', () => {
    // claude-sonnet-4: 3 input, 0.30 cache read, 3.75 cache write, 15 output per 1M.
    const usage = {
      inputTokens: 10_000, // 2,000 uncached + 5,000 read + 3,000 written
      cachedInputTokens: 5_000,
      cacheWriteInputTokens: 3_000,
      outputTokens: 800,
      totalTokens: 10_800,
    };
    // 2,000 x 3 + 5,000 x 0.30 + 3,000 x 3.75 + 800 x 15 = 6,000 + 1,500 + 11,250 + 12,000 = 30,750.
    expect(computeCostUsd(usage, tablePrice('anthropic', 'claude-sonnet-4-20250514'))).toBeCloseTo(
      0.03075,
      12,
    );
  });

  it('bills Gemini thoughts as part of output, not on top of it', () => {
    // gemini-2.5-flash: 0.30 input, 0.03 cached, 2.50 output per 1M.
    const usage = {
      inputTokens: 12_000,
      cachedInputTokens: 8_000,
      outputTokens: 1_500, // 300 visible + 1,200 thoughts
      reasoningTokens: 1_200,
      totalTokens: 13_500,
    };
    // 4,000 x 0.30 + 8,000 x 0.03 + 1,500 x 2.50 = 1,200 + 240 + 3,750 = 5,190.
    expect(computeCostUsd(usage, tablePrice('gemini', 'gemini-2.5-flash'))).toBeCloseTo(0.00519, 12);
  });

  it('bills everything at the input rate when a price has no cache rates', () => {
    const usage = {
      inputTokens: 1_000,
      cachedInputTokens: 400,
      cacheWriteInputTokens: 100,
      outputTokens: 10,
      totalTokens: 1_010,
    };
    // 1,000 x 2 + 10 x 8 = 2,080.
    expect(computeCostUsd(usage, { input: 2, output: 8 })).toBeCloseTo(0.00208, 12);
  });

  it('never lets the uncached bucket go negative when cached counts exceed the input', () => {
    const usage = { inputTokens: 1_000, cachedInputTokens: 1_500, outputTokens: 0, totalTokens: 1_000 };
    // Uncached clamps to 0; the 1,500 cached tokens are still billed: 1,500 x 1 = 1,500.
    expect(computeCostUsd(usage, { input: 10, output: 10, cachedInput: 1 })).toBeCloseTo(0.0015, 12);
  });

  it('treats missing and nonsense counts as zero', () => {
    expect(computeCostUsd({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }, { input: 5, output: 5 })).toBe(
      0,
    );
    const usage = { inputTokens: Number.NaN, outputTokens: -3, totalTokens: 0, cachedInputTokens: Infinity };
    expect(computeCostUsd(usage, { input: 5, output: 5 })).toBe(0);
  });

  it('costs nothing on the mock provider', () => {
    const usage = { inputTokens: 5_000, cachedInputTokens: 1_000, outputTokens: 700, totalTokens: 5_700 };
    expect(computeCostUsd(usage, tablePrice('mock', 'mock-echo'))).toBe(0);
  });
});
