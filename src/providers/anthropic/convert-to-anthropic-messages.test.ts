// Unit tests of the pure ChatRequest -> Anthropic body conversion; the wire tests live in anthropic-chat-model.test.ts.
import { describe, expect, it } from 'vitest';
import type { ChatRequest, ToolChoice } from '../../spec/index.js';
import { convertToAnthropicMessages, convertToolChoice } from './convert-to-anthropic-messages.js';

describe('convertToAnthropicMessages', () => {
  it('sends an assistant turn that only calls tools, and puts tool results first in the user turn', () => {
    const body = convertToAnthropicMessages({
      modelId: 'claude-sonnet-4-20250514',
      stream: false,
      request: {
        messages: [
          { role: 'user', content: 'Time?' },
          { role: 'assistant', content: null, toolCalls: [{ id: 'toolu_1', name: 'now', arguments: '' }] },
          { role: 'user', content: 'Quickly, please.' },
          { role: 'tool', toolCallId: 'toolu_1', content: '' },
        ],
      },
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Time?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'now', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1' },
          { type: 'text', text: 'Quickly, please.' },
        ],
      },
    ]);
  });

  it('sends base64 data URLs and http URLs as image blocks', () => {
    const body = convertToAnthropicMessages({
      modelId: 'claude-sonnet-4-20250514',
      stream: true,
      request: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these.' },
              { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
              {
                type: 'image',
                url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg',
              },
            ],
          },
        ],
      },
    });
    expect(body.stream).toBe(true);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          {
            type: 'image',
            source: {
              type: 'url',
              url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg',
            },
          },
        ],
      },
    ]);
  });

  it('refuses image URLs Anthropic cannot fetch and tool messages without a call id', () => {
    const convert = (messages: ChatRequest['messages']) =>
      convertToAnthropicMessages({ modelId: 'claude', stream: false, request: { messages } });
    expect(() =>
      convert([{ role: 'user', content: [{ type: 'image', url: 'ftp://example.com/a.png' }] }]),
    ).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST', param: 'messages[0].content' }) as Error,
    );
    expect(() => convert([{ role: 'tool', content: 'x' }])).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST', param: 'messages[0].tool_call_id' }) as Error,
    );
  });

  it.each<[ToolChoice, unknown]>([
    ['auto', { type: 'auto' }],
    ['required', { type: 'any' }],
    ['none', { type: 'none' }],
    [{ name: 'get_weather' }, { type: 'tool', name: 'get_weather' }],
  ])('maps tool_choice %j to %j', (choice, expected) => {
    expect(convertToolChoice(choice)).toEqual(expected);
  });
});
