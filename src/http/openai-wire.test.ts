import { describe, expect, it } from 'vitest';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { parseChatBody, toCompletionJson, toOpenAIFinishReason, toOpenAIUsage } from './openai-wire.js';

const user = { role: 'user', content: 'Hi' };

function invalid(body: unknown): KeelError {
  try {
    parseChatBody(body);
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseChatBody: valid bodies', () => {
  it('reads a minimal body', () => {
    expect(parseChatBody({ model: 'chat-default', messages: [user] })).toEqual({
      model: 'chat-default',
      stream: false,
      includeUsage: false,
      request: {
        messages: [
          { role: 'user', content: 'Hi', name: undefined, toolCalls: undefined, toolCallId: undefined },
        ],
        maxTokens: undefined,
        temperature: undefined,
        topP: undefined,
        stop: undefined,
        seed: undefined,
        presencePenalty: undefined,
        frequencyPenalty: undefined,
        tools: undefined,
        toolChoice: undefined,
        responseFormat: undefined,
        user: undefined,
      },
    });
  });

  it('reads sampling options, a stop string and streaming with usage', () => {
    const parsed = parseChatBody({
      model: 'chat-default',
      messages: [{ role: 'developer', content: 'Be brief.' }, user],
      max_tokens: 100,
      temperature: 0.7,
      top_p: 0.9,
      stop: 'END',
      seed: 42,
      presence_penalty: -0.5,
      frequency_penalty: 1,
      stream: true,
      stream_options: { include_usage: true },
      user: 'user-123',
      logit_bias: { '50256': -100 },
    });
    expect(parsed.stream).toBe(true);
    expect(parsed.includeUsage).toBe(true);
    expect(parsed.request).toMatchObject({
      maxTokens: 100,
      temperature: 0.7,
      topP: 0.9,
      stop: ['END'],
      seed: 42,
      presencePenalty: -0.5,
      frequencyPenalty: 1,
      user: 'user-123',
    });
    expect(parsed.request.messages[0]).toMatchObject({ role: 'developer', content: 'Be brief.' });
  });

  it('keeps a stop list and prefers max_completion_tokens over max_tokens', () => {
    const parsed = parseChatBody({
      model: 'm',
      messages: [user],
      stop: ['a', 'b'],
      max_tokens: 10,
      max_completion_tokens: 20,
    });
    expect(parsed.request.stop).toEqual(['a', 'b']);
    expect(parsed.request.maxTokens).toBe(20);
  });

  it('treats nulls as absent', () => {
    const parsed = parseChatBody({
      model: 'm',
      messages: [user],
      max_tokens: null,
      temperature: null,
      stop: null,
      stream: null,
      stream_options: null,
      n: null,
    });
    expect(parsed.request).toMatchObject({ maxTokens: undefined, temperature: undefined, stop: undefined });
    expect(parsed.stream).toBe(false);
    expect(parsed.includeUsage).toBe(false);
  });

  it('accepts n = 1', () => {
    expect(parseChatBody({ model: 'm', messages: [user], n: 1 }).model).toBe('m');
  });

  it('reads tools, tool choice and a tool-calling conversation', () => {
    const parsed = parseChatBody({
      model: 'm',
      messages: [
        user,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":3}' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather by city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(parsed.request.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather by city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'now', description: undefined, parameters: { type: 'object', properties: {} } },
    ]);
    expect(parsed.request.toolChoice).toEqual({ name: 'get_weather' });
    expect(parsed.request.messages[1]).toEqual({
      role: 'assistant',
      content: null,
      name: undefined,
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      toolCallId: undefined,
    });
    expect(parsed.request.messages[2]).toMatchObject({
      role: 'tool',
      toolCallId: 'call_1',
      content: '{"temp":3}',
    });
  });

  it.each(['auto', 'none', 'required'] as const)('passes tool_choice %j through', (choice) => {
    expect(parseChatBody({ model: 'm', messages: [user], tool_choice: choice }).request.toolChoice).toBe(
      choice,
    );
  });

  it('reads text and image content parts', () => {
    const parsed = parseChatBody({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(parsed.request.messages[0]?.content).toEqual([
      { type: 'text', text: 'What is in this picture?' },
      { type: 'image', url: 'https://example.com/cat.png', detail: 'low' },
      { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=', detail: undefined },
    ]);
  });

  it('reads a json_schema response_format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const parsed = parseChatBody({
      model: 'm',
      messages: [user],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
    });
    expect(parsed.request.responseFormat).toEqual({
      type: 'json_schema',
      name: 'answer',
      schema,
      strict: true,
    });
  });

  it('fills an empty schema and no strictness when the json_schema leaves them out', () => {
    const parsed = parseChatBody({
      model: 'm',
      messages: [user],
      response_format: { type: 'json_schema', json_schema: { name: 'free', strict: null } },
    });
    expect(parsed.request.responseFormat).toEqual({
      type: 'json_schema',
      name: 'free',
      schema: {},
      strict: undefined,
    });
  });

  it.each(['text', 'json_object'] as const)('reads response_format %j', (type) => {
    expect(
      parseChatBody({ model: 'm', messages: [user], response_format: { type } }).request.responseFormat,
    ).toEqual({ type });
  });
});

describe('parseChatBody: invalid bodies', () => {
  it.each<[string, unknown, string]>([
    ['missing model', { messages: [user] }, 'model'],
    ['empty model', { model: '', messages: [user] }, 'model'],
    ['missing messages', { model: 'm' }, 'messages'],
    ['empty messages', { model: 'm', messages: [] }, 'messages'],
    ['a bad role', { model: 'm', messages: [user, { role: 'robot', content: 'beep' }] }, 'messages[1].role'],
    ['temperature 3', { model: 'm', messages: [user], temperature: 3 }, 'temperature'],
    ['top_p above 1', { model: 'm', messages: [user], top_p: 1.5 }, 'top_p'],
    ['max_tokens 0', { model: 'm', messages: [user], max_tokens: 0 }, 'max_tokens'],
    ['n = 2', { model: 'm', messages: [user], n: 2 }, 'n'],
    ['five stop strings', { model: 'm', messages: [user], stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
    ['stream as a string', { model: 'm', messages: [user], stream: 'yes' }, 'stream'],
    [
      'a tool message without tool_call_id',
      { model: 'm', messages: [user, { role: 'tool', content: '42' }] },
      'messages[1].tool_call_id',
    ],
    ['a user message without content', { model: 'm', messages: [{ role: 'user' }] }, 'messages[0].content'],
    [
      'an assistant message with null content and no tool calls',
      { model: 'm', messages: [user, { role: 'assistant', content: null }] },
      'messages[1].content',
    ],
    [
      'a tool without a name',
      { model: 'm', messages: [user], tools: [{ type: 'function', function: { name: '' } }] },
      'tools[0].function.name',
    ],
  ])('rejects %s', (_name, body, param) => {
    const error = invalid(body);
    expect(error.code).toBe(ErrorCodes.invalidRequest);
    expect(error.code).toBe('KEEL_INVALID_REQUEST');
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.message).toContain(param);
    expect(error.retryable).toBe(false);
  });

  it('words a missing field as OpenAI does', () => {
    expect(invalid({ messages: [user] }).message).toBe("Missing required parameter: 'model'.");
    expect(invalid({ model: 'm', messages: [user, { role: 'tool', content: 'x' }] }).message).toBe(
      "Missing required parameter: 'messages[1].tool_call_id'.",
    );
  });

  it('words an out-of-range field as an invalid parameter', () => {
    expect(invalid({ model: 'm', messages: [user], temperature: 3 }).message).toMatch(
      /^Invalid 'temperature': /,
    );
  });

  it('explains that only one choice is answered', () => {
    expect(invalid({ model: 'm', messages: [user], n: 2 }).message).toBe(
      "Keel answers one choice per request; set 'n' to 1 or leave it out.",
    );
  });

  it.each([null, 'text', 42, [user]])('rejects a body that is not an object: %j', (body) => {
    const error = invalid(body);
    expect(error.code).toBe('KEEL_INVALID_REQUEST');
    expect(error.status).toBe(400);
    expect(error.param).toBeUndefined();
  });
});

describe('OpenAI answer encoding', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['other', 'stop'],
    ['error', 'stop'],
  ] as const)('maps finish reason %s to %s', (reason, expected) => {
    expect(toOpenAIFinishReason(reason)).toBe(expected);
  });

  it('maps usage with cached and reasoning details', () => {
    expect(toOpenAIUsage(undefined)).toBeUndefined();
    expect(
      toOpenAIUsage({
        inputTokens: 10,
        outputTokens: 5,
        totalTokens: 15,
        cachedInputTokens: 4,
        reasoningTokens: 2,
      }),
    ).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
  });

  it('builds a chat.completion with tool calls', () => {
    expect(
      toCompletionJson({
        id: 'chatcmpl-1',
        created: 1_700_000_000,
        result: {
          model: 'gpt-4o-mini',
          text: null,
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{}' }],
          finishReason: 'tool_calls',
          usage: undefined,
        },
      }),
    ).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: undefined,
    });
  });
});
