// Counts a chat request's prompt tokens before the call: OpenAI's tokenizers, OpenAI's chat overhead, a bounded cost.
import type { ChatMessage, ChatRequest } from '../spec/index.js';

/** How a count was made: an OpenAI encoding for OpenAI models, the o200k count as an estimate for others. */
export type TokenCountMethod = 'o200k_base' | 'cl100k_base' | 'o200k_base-estimate';

export interface PromptTokenCount {
  /** Prompt tokens, chat-format overhead included. */
  tokens: number;
  method: TokenCountMethod;
  /** True when the prompt was longer than the counted cap and the rest was extrapolated. */
  extrapolated: boolean;
}

export interface CountPromptTokensOptions {
  /** The provider's model id (e.g. `gpt-4o-mini`); picks the encoding for OpenAI models. */
  model: string;
  /** The adapter family (`openai`, `anthropic`, `mock`...). */
  providerType: string;
  /** Characters tokenized exactly; the rest is extrapolated at the counted part's tokens per character. */
  maxCountedChars?: number | undefined;
}

/**
 * OpenAI's documented chat overhead (openai-cookbook, "How to count tokens with tiktoken", for
 * gpt-3.5-turbo-0613 and later, gpt-4 and gpt-4o): every message costs 3 tokens on top of its
 * content (`<|im_start|>{role}<|im_sep|>...<|im_end|>`), a `name` 1 more, and every reply is
 * primed with 3 (`<|im_start|>assistant<|im_sep|>`).
 */
export const tokensPerMessage = 3;
export const tokensPerName = 1;
export const tokensPerReply = 3;

/**
 * OpenAI bills a low-detail image 85 tokens and a high-detail one 85 + 170 per 512-px tile; the
 * size is unknown before the image is fetched, so an image counts as a 1024x1024 high-detail one
 * (4 tiles: 765 tokens) unless it says `detail: low`.
 */
export const imageTokens = { low: 85, high: 765 } as const;

/** About 100 KB of prose tokenizes in ~5-8 ms on one core; the rest of a longer prompt is extrapolated. */
export const defaultMaxCountedChars = 100_000;

/**
 * BPE merges inside one pre-token are quadratic: 20,000 characters without a break (`xxxx...`)
 * take ~0.5 s, 50,000 take 3 s. Runs longer than this are tokenized in slices of this size, which
 * keeps them linear (~3 ms per 100,000 characters) and changes the count by at most one token per
 * slice, only for such runs.
 */
const maxRunChars = 128;
const longRun = new RegExp(`\\S{${maxRunChars + 1},}`, 'g');

/** Text such as `<|endoftext|>` in a prompt is text, not a control token. */
const asPlainText = { disallowedSpecial: new Set<string>() };

type Counter = (text: string) => number;
type Encode = (text: string, options: typeof asPlainText) => number;

/** The BPE tables, once loaded: about 70 MB, so a Keel without token limits or budgets never loads them. */
let encodings: { o200k: Encode; cl100k: Encode } | undefined;
let loading: Promise<void> | undefined;

/** Loads the tokenizers on first call; later calls resolve at once. countPromptTokens needs them. */
export function loadTokenizers(): Promise<void> {
  loading ??= Promise.all([
    import('gpt-tokenizer/encoding/o200k_base'),
    import('gpt-tokenizer/encoding/cl100k_base'),
  ]).then(([o200k, cl100k]) => {
    encodings = { o200k: o200k.countTokens, cl100k: cl100k.countTokens };
  });
  return loading;
}

const o200kModels = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/i;
const cl100kModels = /^(gpt-4|gpt-3\.5|text-embedding-(3|ada))/i;

function encodingFor(options: CountPromptTokensOptions): { method: TokenCountMethod; count: Counter } {
  const loaded = encodings;
  if (loaded === undefined)
    throw new Error('the tokenizers are not loaded yet: await loadTokenizers() first');
  const o200k: Counter = (text) => loaded.o200k(text, asPlainText);
  if (options.providerType === 'openai') {
    if (o200kModels.test(options.model)) return { method: 'o200k_base', count: o200k };
    if (cl100kModels.test(options.model)) {
      return { method: 'cl100k_base', count: (text) => loaded.cl100k(text, asPlainText) };
    }
  }
  // Anthropic, Gemini, Mistral and open models have tokenizers of their own, not published as
  // JavaScript for all of them. o200k is used as the estimate rather than chars/4 because it
  // follows the content: code, CJK text and base64 tokenize very differently from English prose
  // (CJK is about one token per character, four times what chars/4 says). For English prose it
  // lands within about 20 % of those tokenizers, usually below Claude's count.
  return { method: 'o200k_base-estimate', count: o200k };
}

/** The texts of a message that reach the model, and its fixed extra tokens (overhead, images). */
function messageParts(message: ChatMessage): { texts: string[]; fixedTokens: number } {
  const texts: string[] = [message.role];
  let fixedTokens = tokensPerMessage;
  if (message.name !== undefined) {
    texts.push(message.name);
    fixedTokens += tokensPerName;
  }
  if (typeof message.content === 'string') texts.push(message.content);
  else if (message.content !== null) {
    for (const part of message.content) {
      if (part.type === 'text') texts.push(part.text);
      else fixedTokens += part.detail === 'low' ? imageTokens.low : imageTokens.high;
    }
  }
  for (const call of message.toolCalls ?? []) texts.push(call.name, call.arguments);
  return { texts, fixedTokens };
}

/** Counts `text` exactly, slicing runs without whitespace so the cost stays linear. */
function countBounded(text: string, count: Counter): number {
  let tokens = 0;
  let start = 0;
  for (const match of text.matchAll(longRun)) {
    if (match.index > start) tokens += count(text.slice(start, match.index));
    for (let offset = 0; offset < match[0].length; offset += maxRunChars) {
      tokens += count(match[0].slice(offset, offset + maxRunChars));
    }
    start = match.index + match[0].length;
  }
  if (start < text.length) tokens += count(text.slice(start));
  return tokens;
}

/**
 * The prompt tokens of a chat request, as the model will see them: message contents, roles,
 * names, tool calls and tool definitions, plus OpenAI's per-message and reply overhead.
 *
 * Exact (up to OpenAI's undocumented tool-definition format, counted as JSON) for OpenAI models
 * with the o200k (gpt-4o, 4.1, 5, o-series) or cl100k (gpt-4, 3.5) encoding; for other providers
 * the o200k count is an estimate (method `o200k_base-estimate`). At most `maxCountedChars`
 * characters are tokenized; a longer prompt's remainder is extrapolated at the rate measured on
 * the counted part, so a 1 MB prompt costs about what 100 KB does (~10 ms).
 *
 * @example countPromptTokens(request, { model: 'gpt-4o-mini', providerType: 'openai' }).tokens
 */
export function countPromptTokens(request: ChatRequest, options: CountPromptTokensOptions): PromptTokenCount {
  const { method, count } = encodingFor(options);
  let budgetChars = options.maxCountedChars ?? defaultMaxCountedChars;
  let tokens = tokensPerReply;
  let countedChars = 0;
  let countedTokens = 0;
  let skippedChars = 0;
  const texts: string[] = [];
  for (const message of request.messages) {
    const parts = messageParts(message);
    tokens += parts.fixedTokens;
    texts.push(...parts.texts);
  }
  if (request.tools !== undefined && request.tools.length > 0) texts.push(JSON.stringify(request.tools));
  for (const text of texts) {
    if (budgetChars <= 0) {
      skippedChars += text.length;
      continue;
    }
    const counted = text.length <= budgetChars ? text : text.slice(0, budgetChars);
    const textTokens = countBounded(counted, count);
    countedChars += counted.length;
    countedTokens += textTokens;
    skippedChars += text.length - counted.length;
    budgetChars -= counted.length;
  }
  tokens += countedTokens;
  if (skippedChars > 0) {
    const tokensPerChar = countedChars > 0 ? countedTokens / countedChars : 0.25;
    tokens += Math.ceil(skippedChars * tokensPerChar);
  }
  return { tokens, method, extrapolated: skippedChars > 0 };
}

/** Counts once per request, however many policies ask (the token limit and the budget both do). */
export interface PromptTokenCounter {
  /** Resolves once the tokenizers are loaded (the first time it is awaited, they are). */
  ready(): Promise<void>;
  /** Call after `ready()` resolved. */
  count(request: ChatRequest, options: CountPromptTokensOptions): PromptTokenCount;
}

/**
 * A counter that remembers the count of each request's message list (a WeakMap, so nothing is
 * kept once the request is gone). A policy that clamps max_tokens keeps the messages, so the
 * next policy reuses the count.
 */
export function createPromptTokenCounter(
  defaults: { maxCountedChars?: number | undefined } = {},
): PromptTokenCounter {
  const memo = new WeakMap<readonly ChatMessage[], { key: string; count: PromptTokenCount }>();
  return {
    ready: loadTokenizers,
    count(request, options) {
      const key = `${options.providerType}\u0000${options.model}`;
      const known = memo.get(request.messages);
      if (known !== undefined && known.key === key) return known.count;
      const count = countPromptTokens(request, {
        ...options,
        maxCountedChars: options.maxCountedChars ?? defaults.maxCountedChars,
      });
      memo.set(request.messages, { key, count });
      return count;
    },
  };
}
