import { describe, expect, it } from 'vitest';
import { KeelError, type ChatRequest } from '../../spec/index.js';
import { convertToTgiRequest } from './convert-to-tgi-request.js';

const convert = (request: Partial<ChatRequest>) =>
  convertToTgiRequest({
    providerId: 'tgi',
    promptTemplate: 'plain',
    request: { messages: [{ role: 'user', content: 'Hi' }], ...request },
  });

describe('convertToTgiRequest', () => {
  it('always asks for details and only the new text, greedy when no temperature is set', () => {
    expect(convert({})).toEqual({
      inputs: 'User: Hi\nAssistant:',
      parameters: { details: true, return_full_text: false, do_sample: false },
    });
  });

  it('maps temperature 0 to greedy decoding, since TGI rejects a temperature that is not > 0', () => {
    expect(convert({ temperature: 0 }).parameters).toEqual({
      details: true,
      return_full_text: false,
      do_sample: false,
    });
  });

  it('leaves out a top_p outside (0, 1), which TGI rejects', () => {
    expect(convert({ temperature: 0.7, topP: 1 }).parameters).not.toHaveProperty('top_p');
    expect(convert({ temperature: 0.7, topP: 0 }).parameters).not.toHaveProperty('top_p');
    expect(convert({ temperature: 0.7, topP: 0.9 }).parameters).toMatchObject({
      top_p: 0.9,
      do_sample: true,
    });
  });

  it('passes frequency_penalty and turns response formats into a JSON grammar', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    expect(
      convert({ frequencyPenalty: 0.5, responseFormat: { type: 'json_schema', name: 'answer', schema } })
        .parameters,
    ).toMatchObject({ frequency_penalty: 0.5, grammar: { type: 'json', value: schema } });
    expect(convert({ responseFormat: { type: 'json_object' } }).parameters).toMatchObject({
      grammar: { type: 'json', value: { type: 'object' } },
    });
    expect(convert({ responseFormat: { type: 'text' } }).parameters).not.toHaveProperty('grammar');
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    ['tools', { tools: [{ name: 'get_weather', parameters: { type: 'object' } }] }, 'tools'],
    [
      'tool messages',
      {
        messages: [
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }],
          },
          { role: 'tool', content: 'Sunny', toolCallId: 'call_1' },
        ],
      },
      'messages',
    ],
    [
      'images',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', url: 'https://example.com/cat.png' },
            ],
          },
        ],
      },
      'messages',
    ],
  ])('refuses %s with an invalid-request error that allows failover', (_name, request, param) => {
    const error = (() => {
      try {
        convert(request);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'KEEL_INVALID_REQUEST',
      status: 400,
      retryable: false,
      failover: true,
      countsAsFailure: false,
      param,
    });
    expect((error as KeelError).message).toContain("api: 'chat'");
  });
});
