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
import { OpenAIChatModel } from './openai-chat-model.js';

const fixture = (name: string) => readFixture(import.meta.url, `./fixtures/${name}`);
const jsonFixture = (name: string) => readJsonFixture(import.meta.url, `./fixtures/${name}`);

describe('OpenAIChatModel against a local OpenAI-wire server', () => {
  let server: FixtureServer;
  let model: OpenAIChatModel;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const signal = () => new AbortController().signal;

  beforeAll(async () => {
    server = await startFixtureServer();
    model = new OpenAIChatModel({
      providerId: 'primary',
      baseUrl: `${server.url}/v1/`,
      apiKey: 'sk-test',
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
      { role: 'user', content: 'Hi' },
    ],
    maxTokens: 50,
    temperature: 0.2,
    stop: ['\n\n'],
    tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: {} } }],
    toolChoice: { name: 'get_weather' },
  };

  it('sends the documented request body and headers', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('chat-completion.json') });
    await model.generate(request, { modelId: 'gpt-4o-mini', signal: signal() });
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test');
    expect(sent?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 50,
      temperature: 0.2,
      stop: ['\n\n'],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather',
            parameters: { type: 'object', properties: {} },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
  });

  it('normalizes a completion', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('chat-completion.json') });
    const result = await model.generate(request, { modelId: 'gpt-4o-mini', signal: signal() });
    expect(result).toEqual({
      providerResponseId: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      model: 'gpt-4o-mini-2024-07-18',
      text: 'Hello! How can I assist you today?',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 19, outputTokens: 10, totalTokens: 29, cachedInputTokens: 0, reasoningTokens: 0 },
    });
  });

  it('normalizes tool calls and cached prompt tokens', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('chat-completion-tool-call.json') });
    const result = await model.generate(request, { modelId: 'gpt-4o-mini', signal: signal() });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.text).toBeNull();
    expect(result.toolCalls).toEqual([
      { id: 'call_abc123', name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' },
    ]);
    expect(result.usage?.cachedInputTokens).toBe(64);
  });

  it('streams typed parts and asks for usage', async () => {
    server.enqueue({ kind: 'sse', text: fixture('chat-completion-stream.sse') });
    const parts = await collect(await model.stream(request, { modelId: 'gpt-4o-mini', signal: signal() }));
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(parts).toEqual<StreamPart[]>([
      { type: 'response-metadata', providerResponseId: 'chatcmpl-123', model: 'gpt-4o-mini' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: '!' },
      { type: 'text-delta', text: ' How can I help?' },
      { type: 'finish', finishReason: 'stop' },
      {
        type: 'usage',
        usage: { inputTokens: 9, outputTokens: 6, totalTokens: 15, cachedInputTokens: 0, reasoningTokens: 0 },
      },
    ]);
  });

  it('streams tool-call deltas', async () => {
    server.enqueue({ kind: 'sse', text: fixture('chat-completion-stream-tool-call.sse') });
    const parts = await collect(await model.stream(request, { modelId: 'gpt-4o-mini', signal: signal() }));
    const deltas = parts.filter((part) => part.type === 'tool-call-delta');
    expect(deltas).toEqual([
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
        name: 'get_weather',
        argumentsDelta: '',
      },
      { type: 'tool-call-delta', index: 0, id: undefined, name: undefined, argumentsDelta: '{"' },
      {
        type: 'tool-call-delta',
        index: 0,
        id: undefined,
        name: undefined,
        argumentsDelta: 'location":"Paris"}',
      },
    ]);
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('maps 429 with retry-after-ms to a retryable rate-limit error', async () => {
    server.enqueue({
      kind: 'json',
      status: 429,
      headers: { 'retry-after-ms': '120' },
      body: jsonFixture('error-rate-limit.json'),
    });
    const error = await model
      .generate(request, { modelId: 'gpt-4o-mini', signal: signal() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_RATE_LIMITED', retryable: true, retryAfterMs: 120 });
    expect((error as KeelError).message).toContain('Rate limit reached');
  });

  it('maps 400 to a non-retryable bad-request error', async () => {
    server.enqueue({
      kind: 'json',
      status: 400,
      body: { error: { message: 'bad temperature', type: 'invalid_request_error' } },
    });
    const error = await model
      .generate(request, { modelId: 'gpt-4o-mini', signal: signal() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_BAD_REQUEST',
      retryable: false,
      failover: false,
      status: 400,
    });
  });

  it('maps a reset connection to a retryable connection error', async () => {
    server.enqueue({ kind: 'reset' });
    const error = await model
      .generate(request, { modelId: 'gpt-4o-mini', signal: signal() })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_CONNECTION', retryable: true });
  });

  it('throws stream-interrupted when the stream is cut mid-way', async () => {
    server.enqueue({ kind: 'sse', text: fixture('chat-completion-stream.sse'), cutAfterEvents: 2 });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, { modelId: 'gpt-4o-mini', signal: signal() });
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts).toContainEqual({ type: 'text-delta', text: 'Hello' });
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED' });
  });
});
