// Turns a request's token usage and its model's prices into US dollars, billing each token once.
import type { Usage } from '../../spec/index.js';

/** USD per 1M tokens for each kind of token a provider bills. */
export interface TokenPrices {
  /** Input tokens neither read from nor written to a prompt cache. */
  input: number;
  /** Output tokens, hidden reasoning included. */
  output: number;
  /** Input tokens read from a prompt cache; default: `input`. */
  cachedInput?: number | undefined;
  /** Input tokens written to a prompt cache (Anthropic); default: `input`. */
  cacheWrite?: number | undefined;
}

const tokensPerPriceUnit = 1_000_000; // prices are per 1M tokens

/** A token count usable in a sum: missing, negative or non-finite counts count as 0. */
function tokenCount(count: number | undefined): number {
  return count !== undefined && Number.isFinite(count) && count > 0 ? count : 0;
}

/**
 * The cost of one answer in USD.
 *
 * Keel's `Usage` follows one convention for every provider: `inputTokens` already INCLUDES
 * `cachedInputTokens` and `cacheWriteInputTokens`, and `outputTokens` already INCLUDES
 * `reasoningTokens`. The bug peers keep shipping is mixing conventions: adding cached tokens on top
 * of OpenAI's `prompt_tokens` (which contains them), adding Gemini's `thoughtsTokenCount` or
 * OpenAI's `reasoning_tokens` on top of an output count that contains them, or pricing Anthropic's
 * cache reads at the full input rate and then again at the cache rate. Each of those bills some
 * tokens twice. Here every input token lands in exactly one bucket (uncached, cache read, cache
 * write) and reasoning is billed only as part of output.
 *
 * If an adapter ever reports more cached tokens than input tokens (a provider counting them
 * separately and the adapter not folding them in), the uncached bucket is clamped to 0 rather
 * than going negative and cancelling out part of the cached cost.
 *
 * @example computeCostUsd({ inputTokens: 10_000, cachedInputTokens: 6_000, outputTokens: 500, totalTokens: 10_500 }, price)
 */
export function computeCostUsd(usage: Usage, price: TokenPrices): number {
  const cachedTokens = tokenCount(usage.cachedInputTokens);
  const cacheWriteTokens = tokenCount(usage.cacheWriteInputTokens);
  const uncachedTokens = Math.max(0, tokenCount(usage.inputTokens) - cachedTokens - cacheWriteTokens);
  const outputTokens = tokenCount(usage.outputTokens);
  const costMicroUsd =
    uncachedTokens * price.input +
    cachedTokens * (price.cachedInput ?? price.input) +
    cacheWriteTokens * (price.cacheWrite ?? price.input) +
    outputTokens * price.output;
  return costMicroUsd / tokensPerPriceUnit;
}
