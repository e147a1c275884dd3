// GeminiChatModel against a real local server replaying recorded Gemini API answers.
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
import { GeminiChatModel } from './gemini-chat-model.js';

const fixture = (name: string) => readFixture(import.meta.url, `./fixtures/${name}`);
const jsonFixture = (name: string) => readJsonFixture(import.meta.url, `./fixtures/${name}`);

describe('GeminiChatModel against a local Gemini-API server', () => {
  let server: FixtureServer;
  let model: GeminiChatModel;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const signal = () => new AbortController().signal;
  const call = { modelId: 'gemini-2.0-flash', signal: signal() };

  beforeAll(async () => {
    server = await startFixtureServer();
    model = new GeminiChatModel({
      providerId: 'gemini',
      baseUrl: server.url,
      apiKey: 'AIza-test',
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

  const toolResultRequest: ChatRequest = {
    messages: [
      { role: 'user', content: 'Weather in Boston?' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"location":"Boston, MA"}' }],
      },
      { role: 'tool', toolCallId: 'call_0', content: '{"temperature":22}' },
    ],
  };

  it('sends the documented request path, key header and body', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content.json') });
    await model.generate(request, call);
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(sent?.headers['x-goog-api-key']).toBe('AIza-test');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toEqual({
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Weather',
              parametersJsonSchema: { type: 'object', properties: {} },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: { maxOutputTokens: 50, temperature: 0.2, stopSequences: ['\n\n'] },
    });
  });

  it('does not double an API version already in the base URL', async () => {
    const versioned = new GeminiChatModel({
      providerId: 'gemini',
      baseUrl: `${server.url}/v1beta/`,
      dispatcher,
    });
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content.json') });
    await versioned.generate(request, call);
    expect(server.requests[0]?.url).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(server.requests[0]?.headers['x-goog-api-key']).toBeUndefined();
  });

  it('normalizes a generateContent response', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content.json') });
    const result = await model.generate(request, call);
    expect(result).toEqual({
      providerResponseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
      model: 'gemini-2.0-flash',
      text: 'Hello! How can I help you today?',
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 8, outputTokens: 9, totalTokens: 17 },
    });
  });

  it('sends tool results as functionResponse parts and reads functionCall parts as tool calls', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content-function-call.json') });
    const result = await model.generate(toolResultRequest, call);
    expect(server.requests[0]?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Boston?' }] },
        {
          role: 'model',
          parts: [{ functionCall: { name: 'get_weather', args: { location: 'Boston, MA' } } }],
        },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { temperature: 22 } } }],
        },
      ],
    });
    expect(result.finishReason).toBe('tool_calls');
    expect(result.text).toBeNull();
    expect(result.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', arguments: '{"location":"Boston, MA"}' },
      { id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris","unit":"celsius"}' },
    ]);
  });

  it('leaves thought summaries out of the text and bills thoughts as output tokens', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content-thinking.json') });
    const result = await model.generate(request, { modelId: 'gemini-2.5-flash', signal: signal() });
    expect(result.text).toBe('There are 3 "r"s in "strawberry".');
    expect(result.model).toBe('gemini-2.5-flash');
    expect(result.usage).toEqual({
      inputTokens: 2061,
      outputTokens: 11 + 249,
      totalTokens: 2321,
      cachedInputTokens: 2048,
      reasoningTokens: 249,
    });
  });

  it('answers a prompt Gemini blocked with a content_filter result, not an error', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('generate-content-prompt-blocked.json') });
    const result = await model.generate(request, call);
    expect(result).toEqual({
      providerResponseId: 'EXCPaojyHaDUjMcP656rqAk',
      model: 'gemini-2.0-flash',
      text: null,
      toolCalls: [],
      finishReason: 'content_filter',
      usage: { inputTokens: 9, outputTokens: 0, totalTokens: 9 },
    });
  });

  it('streams typed parts from the SSE endpoint, usage last', async () => {
    server.enqueue({ kind: 'sse', text: fixture('stream-generate-content.sse') });
    const parts = await collect(await model.stream(request, call));
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(sent?.headers['x-goog-api-key']).toBe('AIza-test');
    expect(sent?.headers.accept).toBe('text/event-stream');
    expect(sent?.body).toMatchObject({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
    expect(parts).toEqual<StreamPart[]>([
      { type: 'response-metadata', providerResponseId: 'VQmtaNbpNYyez7IP1KqMqAc', model: 'gemini-2.0-flash' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: '! How can I help' },
      { type: 'text-delta', text: ' you today?\n' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 8, outputTokens: 9, totalTokens: 17 } },
    ]);
  });

  it('streams a function call as one whole delta, skipping thoughts', async () => {
    server.enqueue({ kind: 'sse', text: fixture('stream-generate-content-function-call.sse') });
    const parts = await collect(
      await model.stream(request, { modelId: 'gemini-2.5-flash', signal: signal() }),
    );
    expect(parts).toEqual<StreamPart[]>([
      { type: 'response-metadata', providerResponseId: 'oQqtaP7EFb_Oz7IPx9Kz-Qk', model: 'gemini-2.5-flash' },
      {
        type: 'tool-call-delta',
        index: 0,
        id: 'call_0',
        name: 'get_weather',
        argumentsDelta: '{"location":"Paris"}',
      },
      { type: 'finish', finishReason: 'tool_calls' },
      {
        type: 'usage',
        usage: { inputTokens: 61, outputTokens: 15 + 76, totalTokens: 152, reasoningTokens: 76 },
      },
    ]);
  });

  it('finishes a stream whose prompt was blocked with content_filter', async () => {
    server.enqueue({
      kind: 'sse',
      text: `data: ${JSON.stringify(jsonFixture('generate-content-prompt-blocked.json'))}\r\n\r\n`,
    });
    const parts = await collect(await model.stream(request, call));
    expect(parts.slice(1)).toEqual<StreamPart[]>([
      { type: 'finish', finishReason: 'content_filter' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 0, totalTokens: 9 } },
    ]);
  });

  it('maps 429 RESOURCE_EXHAUSTED to a retryable rate-limit error', async () => {
    server.enqueue({ kind: 'json', status: 429, body: jsonFixture('error-rate-limit.json') });
    const error = await model.generate(request, call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_RATE_LIMITED',
      retryable: true,
      status: 429,
      upstreamStatus: 429,
    });
    expect((error as KeelError).message).toContain('You exceeded your current quota');
  });

  it('maps 503 UNAVAILABLE on a stream call to a retryable error before any part', async () => {
    server.enqueue({ kind: 'json', status: 503, body: jsonFixture('error-unavailable.json') });
    const error = await model.stream(request, call).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_OVERLOADED', retryable: true, upstreamStatus: 503 });
    expect((error as KeelError).message).toContain('The model is overloaded');
  });

  it('throws stream-interrupted when the connection is cut mid-stream', async () => {
    server.enqueue({ kind: 'sse', text: fixture('stream-generate-content.sse'), cutAfterEvents: 1 });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call);
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts).toContainEqual({ type: 'text-delta', text: 'Hello' });
    expect(parts.some((part) => part.type === 'finish' || part.type === 'usage')).toBe(false);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
  });

  it('throws stream-interrupted when a stream ends cleanly without a finish reason', async () => {
    const firstTwoEvents = fixture('stream-generate-content.sse')
      .split(/\r\n\r\n/)
      .slice(0, 2)
      .join('\r\n\r\n');
    server.enqueue({ kind: 'sse', text: `${firstTwoEvents}\r\n\r\n` });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call);
    const error = await (async () => {
      for await (const part of stream) parts.push(part);
    })().catch((e: unknown) => e);
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(2);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED' });
  });

  it('throws stream-interrupted when Gemini sends an error event mid-stream', async () => {
    const firstEvent = fixture('stream-generate-content.sse').split(/\r\n\r\n/)[0] ?? '';
    server.enqueue({
      kind: 'sse',
      text: `${firstEvent}\r\n\r\ndata: ${JSON.stringify(jsonFixture('error-unavailable.json'))}\r\n\r\n`,
    });
    const stream = await model.stream(request, call);
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED' });
    expect((error as KeelError).message).toContain('The model is overloaded');
  });
});
