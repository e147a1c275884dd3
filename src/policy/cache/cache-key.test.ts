import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../spec/index.js';
import { cacheKey, cacheKeyPrefix, canonicalJson } from './cache-key.js';

const base: ChatRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is a circuit breaker?' },
  ],
};

const key = (request: ChatRequest, model = 'chat', keyId?: string) => cacheKey({ model, request, keyId });

describe('canonicalJson', () => {
  it('sorts object keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"z":1}]},"b":1}',
    );
  });
});

describe('cacheKey', () => {
  it('is cache:v1: and a SHA-256 in hex', () => {
    expect(key(base)).toMatch(new RegExp(`^${cacheKeyPrefix}[0-9a-f]{64}$`));
  });

  it('is the same for identical requests, whatever the field order or undefined fields', () => {
    const reordered: ChatRequest = {
      temperature: undefined,
      messages: base.messages.map((message) => ({
        content: message.content,
        name: undefined,
        role: message.role,
      })),
    };
    expect(key(reordered)).toBe(key(base));
    expect(key({ ...base, temperature: 0.2, seed: 1 })).toBe(key({ seed: 1, temperature: 0.2, ...base }));
  });

  it('separates the variants of an experiment', () => {
    const variant = (name: string) => cacheKey({ model: 'chat', request: base, variant: `exp/${name}` });
    expect(variant('control')).not.toBe(variant('large'));
    expect(variant('control')).not.toBe(key(base));
    expect(variant('control')).toBe(variant('control'));
  });

  it('ignores the end-user id', () => {
    expect(key({ ...base, user: 'someone' })).toBe(key(base));
  });

  const changes: [string, ChatRequest][] = [
    ['a message text', { messages: [{ role: 'user', content: 'What is a retry?' }] }],
    [
      'a role',
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: 'What is a circuit breaker?' },
        ],
      },
    ],
    ['a name', { messages: [...base.messages, { role: 'user', content: 'Hi', name: 'ann' }] }],
    [
      'content parts',
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'What is a circuit breaker?' }] }] },
    ],
    [
      'tool calls',
      {
        messages: [
          ...base.messages,
          { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'look', arguments: '{}' }] },
          { role: 'tool', content: '42', toolCallId: 'c1' },
        ],
      },
    ],
    ['max_tokens', { ...base, maxTokens: 10 }],
    ['temperature', { ...base, temperature: 0 }],
    ['top_p', { ...base, topP: 0.5 }],
    ['stop', { ...base, stop: ['\n'] }],
    ['seed', { ...base, seed: 7 }],
    ['presence_penalty', { ...base, presencePenalty: 1 }],
    ['frequency_penalty', { ...base, frequencyPenalty: 1 }],
    ['tools', { ...base, tools: [{ name: 'look', parameters: { type: 'object' } }] }],
    ['tool_choice', { ...base, toolChoice: 'required' }],
    ['response_format', { ...base, responseFormat: { type: 'json_object' } }],
  ];
  it.each(changes)('changes with %s', (_name, changed) => {
    expect(key(changed)).not.toBe(key(base));
  });

  it('changes with the model and with the gateway key when scoped by key', () => {
    expect(key(base, 'other')).not.toBe(key(base));
    expect(key(base, 'chat', 'key_a')).not.toBe(key(base, 'chat', 'key_b'));
    expect(key(base, 'chat', 'key_a')).not.toBe(key(base));
  });

  it('tells a tool call id apart from message text', () => {
    const first: ChatRequest = { messages: [{ role: 'tool', content: '1', toolCallId: 'a' }] };
    const second: ChatRequest = { messages: [{ role: 'tool', content: '1', toolCallId: 'b' }] };
    expect(key(first)).not.toBe(key(second));
  });
});
