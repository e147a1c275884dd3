import { describe, expect, it } from 'vitest';
import { estimatePromptTokens } from './estimate-prompt-tokens.js';

describe('estimatePromptTokens', () => {
  it('counts a token per four characters, a few per message, and images flat', () => {
    expect(estimatePromptTokens({ messages: [{ role: 'user', content: 'Hello there' }] })).toBe(3 + 4 + 3);
    expect(
      estimatePromptTokens({
        messages: [
          { role: 'system', content: 'x'.repeat(400) },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'y'.repeat(40) },
              { type: 'image', url: 'https://example.com/cat.png' },
            ],
          },
        ],
      }),
    ).toBe(3 + 8 + 85 + 110);
  });
});
