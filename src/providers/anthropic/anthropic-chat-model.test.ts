import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  collect,
  readFixture,
  readJsonFixture,
  startFixtureServer,
  type FixtureServer,
} from '../../../test/support/fixture-server.js';
import { KeelError, type ChatRequest, type StreamPart } from '../../spec/index.js';
import { AnthropicChatModel } from './anthropic-chat-model.js';
import { mapAnthropicStopReason } from './map-anthropic-response.js';

const fixture = (name: string) => readFixture(import.meta.url, `./fixtures/${name}`);
const jsonFixture = (name: string) => readJsonFixture(import.meta.url, `./fixtures/${name}`);

/** The fixture's events up to (not including) the first one whose text contains `marker`. */
function eventsBefore(text: string, marker: string): string {
  const events = text.split(/\n\n+/);
  return `${events
    .slice(
      0,
      events.findIndex((event) => event.includes(marker)),
    )
    .join('\n\n')}\n\n`;
}

describe('AnthropicChatModel against a local Anthropic-wire server', () => {
  let server: FixtureServer;
  let model: AnthropicChatModel;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const signal = () => new AbortController().signal;
  const call = () => ({ modelId: 'claude-sonnet-4-20250514', signal: signal() });

  beforeAll(async () => {
    server = await startFixtureServer();
    model = new AnthropicChatModel({
      providerId: 'claude',
      baseUrl: `${server.url}/`,
      apiKey: 'sk-ant-test',
      dispatcher,
    });
  });
  afterAll(async () => {
    await server.close();
    await dispatcher.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const request: ChatRequest = {
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'developer', content: 'Answer in English.' },
      { role: 'user', content: 'Hi' },
    ],
    maxTokens: 50,
    temperature: 0.2,
    topP: 0.9,
    stop: ['\n\nHuman:'],
    seed: 7,
    tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } }],
    toolChoice: { name: 'get_weather' },
    user: 'user-42',
  };

  it('sends the documented request body and headers', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('message.json') });
    await model.generate(request, call());
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant-test');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      system: 'You are terse.\n\nAnswer in English.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['\n\nHuman:'],
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
      metadata: { user_id: 'user-42' },
    });
  });

  it('fills the required max_tokens from the settings, 4096 by default', async () => {
    const bare: ChatRequest = { messages: [{ role: 'user', content: 'Hi' }] };
    server.enqueue({ kind: 'json', body: jsonFixture('message.json') });
    await model.generate(bare, call());
    expect(server.requests[0]?.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 4096,
    });

    const configured = new AnthropicChatModel({
      providerId: 'claude',
      baseUrl: server.url,
      apiKey: 'sk-ant-other',
      anthropicVersion: '2024-01-01',
      defaultMaxTokens: 1024,
      headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' },
      dispatcher,
    });
    server.enqueue({ kind: 'json', body: jsonFixture('message.json') });
    await configured.generate(bare, call());
    const sent = server.requests[1];
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.body).toMatchObject({ max_tokens: 1024 });
    expect(sent?.headers).toMatchObject({
      'x-api-key': 'sk-ant-other',
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'prompt-caching-2024-07-31',
    });
  });

  it('normalizes a message, counting prompt-cache reads and writes as input', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('message.json') });
    const result = await model.generate(request, call());
    expect(result).toEqual({
      providerResponseId: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      model: 'claude-sonnet-4-20250514',
      text: 'Hi! My name is Claude.',
      toolCalls: [],
      finishReason: 'stop',
      usage: {
        inputTokens: 2095 + 2051 + 2051,
        outputTokens: 503,
        totalTokens: 2095 + 2051 + 2051 + 503,
        cachedInputTokens: 2051,
        cacheWriteInputTokens: 2051,
      },
    });
  });

  it('normalizes tool_use blocks to tool calls with JSON arguments', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('message-tool-use.json') });
    const result = await model.generate(request, call());
    expect(result.finishReason).toBe('tool_calls');
    expect(result.text).toBe("I'll check the current weather in San Francisco for you.");
    expect(result.toolCalls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        arguments: '{"location":"San Francisco, CA","unit":"celsius"}',
      },
    ]);
    expect(result.usage).toEqual({
      inputTokens: 384,
      outputTokens: 92,
      totalTokens: 476,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
  });

  it('sends a tool conversation as alternating turns with tool_use and tool_result blocks', async () => {
    const conversation: ChatRequest = {
      messages: [
        { role: 'system', content: 'Use tools.' },
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { role: 'user', content: [{ type: 'text', text: 'In celsius.' }] },
        {
          role: 'assistant',
          content: 'Checking both.',
          toolCalls: [
            { id: 'toolu_paris', name: 'get_weather', arguments: '{"location":"Paris"}' },
            { id: 'toolu_rome', name: 'get_weather', arguments: '{"location":"Rome"}' },
          ],
        },
        { role: 'tool', toolCallId: 'toolu_paris', content: '18 C, cloudy' },
        { role: 'tool', toolCallId: 'toolu_rome', content: [{ type: 'text', text: '24 C, sunny' }] },
        { role: 'user', content: 'Which is warmer?' },
      ],
      maxTokens: 200,
    };
    server.enqueue({ kind: 'json', body: jsonFixture('message.json') });
    await model.generate(conversation, call());
    expect(server.requests[0]?.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      system: 'Use tools.',
      max_tokens: 200,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather in Paris and Rome?' },
            { type: 'text', text: 'In celsius.' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'toolu_rome', name: 'get_weather', input: { location: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_paris', content: '18 C, cloudy' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_rome',
              content: [{ type: 'text', text: '24 C, sunny' }],
            },
            { type: 'text', text: 'Which is warmer?' },
          ],
        },
      ],
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['something_new', 'other'],
  ])('maps stop_reason %s to %s', (reason, expected) => {
    expect(mapAnthropicStopReason(reason)).toBe(expected);
  });

  it('streams typed parts from the documented event sequence', async () => {
    server.enqueue({ kind: 'sse', text: fixture('messages-stream.sse') });
    const parts = await collect(await model.stream(request, call()));
    const sent = server.requests[0];
    expect(sent?.headers.accept).toBe('text/event-stream');
    expect(sent?.body).toMatchObject({ stream: true, max_tokens: 50 });
    expect(parts).toEqual<StreamPart[]>([
      {
        type: 'response-metadata',
        providerResponseId: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
        model: 'claude-3-5-sonnet-20241022',
      },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: '!' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 25, outputTokens: 15, totalTokens: 40 } },
    ]);
  });

  it('streams text then tool-call deltas indexed among tool calls', async () => {
    server.enqueue({ kind: 'sse', text: fixture('messages-stream-tool-use.sse') });
    const parts = await collect(await model.stream(request, call()));
    const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
    expect(text).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(parts.filter((part) => part.type !== 'text-delta')).toEqual<StreamPart[]>([
      {
        type: 'response-metadata',
        providerResponseId: 'msg_014p7gG3wDgGV9EUtLvnow3U',
        model: 'claude-3-haiku-20240307',
      },
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
        name: 'get_weather',
        argumentsDelta: '',
      },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"location":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ' "San' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ' Francisc' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'o,' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ' CA"' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: ', ' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"unit": "fah' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'renheit"}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 472, outputTokens: 89, totalTokens: 561 } },
    ]);
    const argumentsText = parts
      .map((part) => (part.type === 'tool-call-delta' ? part.argumentsDelta : ''))
      .join('');
    expect(JSON.parse(argumentsText)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
  });

  it('streams "{}" as the arguments of a tool called without any', async () => {
    const stream = [
      'event: message_start',
      'data: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":10,"output_tokens":1}}}',
      '',
      'event: content_block_start',
      'data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_now","name":"now","input":{}}}',
      '',
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}',
      '',
      'event: content_block_stop',
      'data: {"type":"content_block_stop","index":0}',
      '',
      'event: message_delta',
      'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}',
      '',
      'event: message_stop',
      'data: {"type":"message_stop"}',
      '',
    ].join('\n');
    server.enqueue({ kind: 'sse', text: stream });
    const parts = await collect(await model.stream(request, call()));
    expect(parts.filter((part) => part.type === 'tool-call-delta')).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'toolu_now', name: 'now', argumentsDelta: '' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
    ]);
  });

  it('streams usage with cache tokens, taking message_delta counts as cumulative', async () => {
    server.enqueue({ kind: 'sse', text: fixture('messages-stream-prompt-cache.sse') });
    const parts = await collect(await model.stream(request, call()));
    expect(parts.at(-1)).toEqual({
      type: 'usage',
      usage: {
        inputTokens: 5 + 1000 + 41203,
        outputTokens: 21,
        totalTokens: 5 + 1000 + 41203 + 21,
        cachedInputTokens: 41203,
        cacheWriteInputTokens: 1000,
      },
    });
  });

  it('maps 529 overloaded to a retryable overloaded error', async () => {
    server.enqueue({ kind: 'json', status: 529, body: jsonFixture('error-overloaded.json') });
    const error = await model.generate(request, call()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_OVERLOADED',
      retryable: true,
      failover: true,
      upstreamStatus: 529,
    });
    expect((error as KeelError).message).toContain('Overloaded');
  });

  it('maps 529 on a stream request before any event to the same error', async () => {
    server.enqueue({ kind: 'json', status: 529, body: jsonFixture('error-overloaded.json') });
    const error = await model.stream(request, call()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_OVERLOADED', retryable: true });
  });

  it('throws stream-interrupted when the connection is cut mid-stream', async () => {
    server.enqueue({ kind: 'sse', text: fixture('messages-stream.sse'), cutAfterEvents: 4 });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call());
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts).toContainEqual({ type: 'text-delta', text: 'Hello' });
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
  });

  it('throws stream-interrupted when the stream ends cleanly but without message_stop', async () => {
    server.enqueue({
      kind: 'sse',
      text: eventsBefore(fixture('messages-stream.sse'), 'event: message_stop'),
    });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call());
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    // Even a finish reason does not make it whole: message_stop never came.
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED' });
    expect((error as KeelError).message).toContain('message_stop');
  });

  it('throws a retryable stream-interrupted error on an `error` event', async () => {
    server.enqueue({ kind: 'sse', text: fixture('messages-stream-error.sse') });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call());
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts).toEqual<StreamPart[]>([
      {
        type: 'response-metadata',
        providerResponseId: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        model: 'claude-sonnet-4-20250514',
      },
      { type: 'text-delta', text: 'Hello' },
    ]);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
    expect((error as KeelError).message).toContain('overloaded_error: Overloaded');
  });
});
