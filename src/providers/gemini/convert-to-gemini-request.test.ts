// Unit tests for ChatRequest -> Gemini request body: turns, parts, tools, config.
import { describe, expect, it } from 'vitest';
import { KeelError, type ChatRequest, type ToolChoice } from '../../spec/index.js';
import {
  convertToGeminiRequest,
  requiresThoughtSignatures,
  skipThoughtSignatureValidator,
} from './convert-to-gemini-request.js';

const toolConversation: ChatRequest['messages'] = [
  { role: 'user', content: 'Weather in Boston and Paris?' },
  {
    role: 'assistant',
    content: null,
    toolCalls: [
      { id: 'call_0', name: 'get_weather', arguments: '{"location":"Boston, MA"}' },
      { id: 'call_1', name: 'get_time', arguments: '' },
    ],
  },
  { role: 'tool', toolCallId: 'call_0', content: '{"temperature":22,"unit":"celsius"}' },
  { role: 'tool', toolCallId: 'call_1', content: '14:05' },
];

describe('convertToGeminiRequest', () => {
  it('moves system and developer messages to systemInstruction and merges same-role turns', () => {
    const body = convertToGeminiRequest(
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: 'Answer in French.' },
          { role: 'user', content: 'Hi' },
          { role: 'user', content: [{ type: 'text', text: 'Still there?' }] },
          { role: 'assistant', content: 'Oui.' },
          { role: 'user', content: '' },
        ],
      },
      'gemini-2.0-flash',
    );
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'You are terse.\n\nAnswer in French.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }, { text: 'Still there?' }] },
        { role: 'model', parts: [{ text: 'Oui.' }] },
      ],
    });
  });

  it('sends images as inlineData (data URLs) or fileData (other URLs)', () => {
    const body = convertToGeminiRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare these.' },
              { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
              { type: 'image', url: 'https://example.com/cat.jpg', mediaType: 'image/jpeg' },
              { type: 'image', url: 'data:text/plain,hi%20there' },
            ],
          },
        ],
      },
      'gemini-2.0-flash',
    );
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [
          { text: 'Compare these.' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.jpg' } },
          { inlineData: { mimeType: 'text/plain', data: Buffer.from('hi there').toString('base64') } },
        ],
      },
    ]);
  });

  it('turns tool calls into functionCall parts and tool results into one user turn', () => {
    const body = convertToGeminiRequest({ messages: toolConversation }, 'gemini-2.0-flash');
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Boston and Paris?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { location: 'Boston, MA' } } },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temperature: 22, unit: 'celsius' } } },
          { functionResponse: { name: 'get_time', response: { content: '14:05' } } },
        ],
      },
    ]);
  });

  it('signs the first replayed function call of each step for Gemini 3 models only', () => {
    const body = convertToGeminiRequest({ messages: toolConversation }, 'gemini-3-pro-preview');
    expect(body.contents).toContainEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: { location: 'Boston, MA' } },
          thoughtSignature: skipThoughtSignatureValidator,
        },
        { functionCall: { name: 'get_time', args: {} } },
      ],
    });
    expect(requiresThoughtSignatures('gemini-2.5-pro')).toBe(false);
    expect(requiresThoughtSignatures('models/gemini-1.5-flash-002')).toBe(false);
    expect(requiresThoughtSignatures('gemini-3.1-flash')).toBe(true);
    expect(requiresThoughtSignatures('gemini-flash-latest')).toBe(true);
    expect(requiresThoughtSignatures('gemma-3-27b-it')).toBe(false);
  });

  it('rejects a tool result that answers no earlier call, naming the field', () => {
    const convert = () =>
      convertToGeminiRequest(
        { messages: [{ role: 'tool', toolCallId: 'call_missing', content: 'ok' }] },
        'gemini-2.0-flash',
      );
    expect(convert).toThrow(KeelError);
    expect(convert).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST', param: 'messages[0].tool_call_id' }),
    );
  });

  it('maps sampling settings and JSON output onto generationConfig', () => {
    const body = convertToGeminiRequest(
      {
        messages: [{ role: 'user', content: 'Hi' }],
        maxTokens: 100,
        temperature: 0.5,
        topP: 0.9,
        stop: ['END'],
        seed: 7,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        user: 'user-123',
        responseFormat: {
          type: 'json_schema',
          name: 'answer',
          schema: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
          strict: true,
        },
      },
      'gemini-2.0-flash',
    );
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      stopSequences: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseMimeType: 'application/json',
      responseJsonSchema: {
        type: 'object',
        properties: { a: { type: 'string' } },
        additionalProperties: false,
      },
    });
    expect(body).not.toHaveProperty('user');
    const jsonObject = convertToGeminiRequest(
      { messages: [{ role: 'user', content: 'Hi' }], responseFormat: { type: 'json_object' } },
      'gemini-2.0-flash',
    );
    expect(jsonObject.generationConfig).toEqual({ responseMimeType: 'application/json' });
  });

  it.each<[ToolChoice, unknown]>([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ name: 'get_weather' }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('maps tool choice %j to functionCallingConfig', (toolChoice, functionCallingConfig) => {
    const body = convertToGeminiRequest(
      {
        messages: [{ role: 'user', content: 'Hi' }],
        tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
        toolChoice,
      },
      'gemini-2.0-flash',
    );
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: 'get_weather', parametersJsonSchema: { type: 'object', properties: {} } },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig });
  });
});
