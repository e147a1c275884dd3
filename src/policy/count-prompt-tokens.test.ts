import { countTokens as countO200k, encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../spec/index.js';
import {
  countPromptTokens,
  loadTokenizers,
  createPromptTokenCounter,
  imageTokens,
} from './count-prompt-tokens.js';

// The tokenizers load on first need; counting in these tests needs them now.
await loadTokenizers();

const openai = { model: 'gpt-4o-mini', providerType: 'openai' };

function user(content: string): ChatRequest {
  return { messages: [{ role: 'user', content }] };
}

describe('countPromptTokens', () => {
  it('counts a one-message chat as OpenAI documents: 3 per message + role + content + 3 for the reply', () => {
    // "Hello world" is 2 o200k tokens, "user" 1: 3 + 1 + 2 + 3 = 9, what the library's own chat encoder says.
    expect(countO200k('Hello world')).toBe(2);
    const count = countPromptTokens(user('Hello world'), openai);
    expect(count).toEqual({ tokens: 9, method: 'o200k_base', extrapolated: false });
    expect(encodeChat([{ role: 'user', content: 'Hello world' }], 'gpt-4o')).toHaveLength(9);
  });

  it('adds one token per name and counts every message', () => {
    const request: ChatRequest = {
      messages: [
        { role: 'system', content: 'You are a career advisor.' },
        { role: 'user', name: 'ada', content: 'The quick brown fox jumps over the lazy dog.' },
      ],
    };
    // The pangram is 10 tokens in both encodings; "system", "user", "ada" 1 each.
    const contentTokens = countO200k('You are a career advisor.') + 10;
    expect(countPromptTokens(request, openai).tokens).toBe(3 + 3 + 3 + 1 + 1 + 1 + 1 + contentTokens);
  });

  it('uses cl100k for gpt-4 and gpt-3.5, o200k for the 4o, 4.1, 5 and o families', () => {
    const text = 'Tokenizers disagree about emoji 🚀 and 日本語 text.';
    expect(countO200k(text)).not.toBe(countCl100k(text));
    const expected = (count: number) => 3 + 1 + count + 3;
    const gpt4 = countPromptTokens(user(text), { model: 'gpt-4-0613', providerType: 'openai' });
    expect(gpt4).toMatchObject({ method: 'cl100k_base', tokens: expected(countCl100k(text)) });
    for (const model of ['gpt-4o', 'gpt-4.1-mini', 'gpt-5-nano', 'o3-mini']) {
      const count = countPromptTokens(user(text), { model, providerType: 'openai' });
      expect(count).toMatchObject({ method: 'o200k_base', tokens: expected(countO200k(text)) });
    }
  });

  it('estimates other providers with the o200k count, and says so', () => {
    const count = countPromptTokens(user('Hello world'), {
      model: 'claude-sonnet-4-20250514',
      providerType: 'anthropic',
    });
    expect(count).toEqual({ tokens: 9, method: 'o200k_base-estimate', extrapolated: false });
  });

  it('counts images at OpenAI billing rates, tool calls and tool definitions', () => {
    const request: ChatRequest = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello world' },
            { type: 'image', url: 'https://example.com/a.png', detail: 'low' },
            { type: 'image', url: 'https://example.com/b.png' },
          ],
        },
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{"q":"x"}' }],
        },
      ],
      tools: [{ name: 'lookup', parameters: { type: 'object' } }],
    };
    const tools = countO200k(JSON.stringify(request.tools));
    const call = countO200k('lookup') + countO200k('{"q":"x"}');
    const expected = 3 + 1 + 2 + imageTokens.low + imageTokens.high + 3 + 1 + call + tools + 3;
    expect(countPromptTokens(request, openai).tokens).toBe(expected);
  });

  it('treats special-token text as text instead of throwing', () => {
    expect(countPromptTokens(user('a <|endoftext|> b'), openai).tokens).toBeGreaterThan(7);
  });

  it('extrapolates past the counted cap at the rate of the counted part', () => {
    const sentence = 'The quick brown fox jumps over the lazy dog. ';
    const long = sentence.repeat(1_000); // 45,000 characters
    const exact = countPromptTokens(user(long), openai);
    const capped = countPromptTokens(user(long), { ...openai, maxCountedChars: 4_500 });
    expect(exact.extrapolated).toBe(false);
    expect(capped.extrapolated).toBe(true);
    expect(Math.abs(capped.tokens - exact.tokens) / exact.tokens).toBeLessThan(0.02);
  });

  it('slices long runs without whitespace and still counts them exactly when they split evenly', () => {
    // 8 x's are one o200k token; a 40,000-character run would take seconds as one pre-token.
    const run = 'x'.repeat(40_000);
    expect(countPromptTokens(user(run), openai).tokens).toBe(3 + 1 + 40_000 / 8 + 3);
  });
});

describe('createPromptTokenCounter', () => {
  it('counts a message list once for the same model, again for another', () => {
    const counter = createPromptTokenCounter();
    const request = user('Hello world');
    const first = counter.count(request, openai);
    expect(counter.count({ ...request, maxTokens: 5 }, openai)).toBe(first);
    expect(counter.count(request, { model: 'gpt-4', providerType: 'openai' }).method).toBe('cl100k_base');
  });
});
