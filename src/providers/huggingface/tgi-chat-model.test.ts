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
import { TgiChatModel } from './tgi-chat-model.js';

const fixture = (name: string) => readFixture(import.meta.url, `./fixtures/${name}`);
const jsonFixture = (name: string) => readJsonFixture(import.meta.url, `./fixtures/${name}`);

describe('TgiChatModel against a local TGI-wire server', () => {
  let server: FixtureServer;
  let model: TgiChatModel;
  const dispatcher = new Agent({ keepAliveTimeout: 1000 });
  const signal = () => new AbortController().signal;
  const call = { modelId: 'mistralai/Mistral-7B-Instruct-v0.3', signal: signal() };

  beforeAll(async () => {
    server = await startFixtureServer();
    model = new TgiChatModel({
      providerId: 'tgi',
      baseUrl: `${server.url}/`,
      apiKey: 'hf_test',
      dispatcher,
      promptTemplate: 'mistral',
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
      { role: 'user', content: 'What is deep learning?' },
    ],
    maxTokens: 50,
    temperature: 0.2,
    topP: 0.95,
    stop: ['\n\n'],
    seed: 7,
  };
  const prompt = '<s>[INST] You are terse.\n\nWhat is deep learning? [/INST]';

  const failure = (promise: Promise<unknown>) =>
    promise.then(() => undefined).catch((error: unknown) => error);

  it('posts the rendered prompt and parameters to /generate with Bearer auth', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('tgi-generate.json') });
    await model.generate(request, call);
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/generate');
    expect(sent?.headers.authorization).toBe('Bearer hf_test');
    expect(sent?.body).toEqual({
      inputs: prompt,
      parameters: {
        max_new_tokens: 50,
        temperature: 0.2,
        top_p: 0.95,
        stop: ['\n\n'],
        seed: 7,
        details: true,
        return_full_text: false,
        do_sample: true,
      },
    });
  });

  it('normalizes an answer, estimating input tokens when TGI sent no prefill', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('tgi-generate.json') });
    const result = await model.generate(request, call);
    expect(result).toEqual({
      model: 'mistralai/Mistral-7B-Instruct-v0.3',
      text: 'Deep learning is machine learning with many-layered neural networks.',
      toolCalls: [],
      finishReason: 'stop',
      // 56 prompt characters / 4 = 14 estimated input tokens.
      usage: { inputTokens: Math.ceil(prompt.length / 4), outputTokens: 14, totalTokens: 28 },
    });
    expect(prompt.length).toBe(56);
  });

  it('counts input tokens from prefill when present and maps length to length', async () => {
    server.enqueue({ kind: 'json', body: jsonFixture('tgi-generate-with-prefill.json') });
    const result = await model.generate(request, call);
    expect(result.finishReason).toBe('length');
    expect(result.usage).toEqual({ inputTokens: 13, outputTokens: 10, totalTokens: 23 });
  });

  it('takes the list the serverless Inference API answers with', async () => {
    server.enqueue({ kind: 'json', body: [jsonFixture('tgi-generate.json')] });
    const result = await model.generate(request, call);
    expect(result.text).toBe('Deep learning is machine learning with many-layered neural networks.');
  });

  it('streams from /generate_stream, skipping special tokens, ending with finish and usage', async () => {
    server.enqueue({ kind: 'sse', text: fixture('tgi-generate-stream.sse') });
    const parts = await collect(await model.stream(request, call));
    expect(server.requests[0]?.url).toBe('/generate_stream');
    expect(server.requests[0]?.headers.authorization).toBe('Bearer hf_test');
    expect(server.requests[0]?.body).toEqual({
      inputs: prompt,
      parameters: {
        max_new_tokens: 50,
        temperature: 0.2,
        top_p: 0.95,
        stop: ['\n\n'],
        seed: 7,
        details: true,
        return_full_text: false,
        do_sample: true,
      },
    });
    expect(parts).toEqual<StreamPart[]>([
      { type: 'text-delta', text: 'Deep' },
      { type: 'text-delta', text: ' learning' },
      { type: 'text-delta', text: ' is' },
      { type: 'text-delta', text: ' machine' },
      { type: 'text-delta', text: ' learning' },
      { type: 'text-delta', text: '.' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 19, outputTokens: 7, totalTokens: 26 } },
    ]);
  });

  it('throws stream-interrupted when the connection is cut before the details event', async () => {
    server.enqueue({ kind: 'sse', text: fixture('tgi-generate-stream.sse'), cutAfterEvents: 3 });
    const parts: StreamPart[] = [];
    const stream = await model.stream(request, call);
    const error = await failure(
      (async () => {
        for await (const part of stream) parts.push(part);
      })(),
    );
    expect(parts).toContainEqual({ type: 'text-delta', text: 'Deep' });
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
  });

  it('throws stream-interrupted when the stream ends cleanly without the details event', async () => {
    const withoutDetails = fixture('tgi-generate-stream.sse')
      .split('\n\n')
      .filter((event) => !event.includes('"details":{'))
      .join('\n\n');
    server.enqueue({ kind: 'sse', text: withoutDetails });
    const error = await failure(collect(await model.stream(request, call)));
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
    expect((error as KeelError).message).toContain('details');
  });

  it('turns an error event mid-stream into stream-interrupted with its message', async () => {
    server.enqueue({ kind: 'sse', text: fixture('tgi-generate-stream-error.sse') });
    const error = await failure(collect(await model.stream(request, call)));
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED', retryable: true });
    expect((error as KeelError).message).toContain('CUDA out of memory');
  });

  it('maps 503 model loading to a retryable overloaded error', async () => {
    server.enqueue({ kind: 'json', status: 503, body: jsonFixture('tgi-error-model-loading.json') });
    const error = await failure(model.generate(request, call));
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_OVERLOADED',
      status: 503,
      retryable: true,
      failover: true,
      upstreamStatus: 503,
    });
    expect((error as KeelError).message).toContain('Model is currently loading');
  });

  it('maps 503 model loading on a stream call to a retryable error too', async () => {
    server.enqueue({ kind: 'json', status: 503, body: jsonFixture('tgi-error-model-loading.json') });
    const error = await failure(model.stream(request, call));
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_OVERLOADED', retryable: true });
  });

  it('maps 422 validation to a non-retryable bad request', async () => {
    server.enqueue({ kind: 'json', status: 422, body: jsonFixture('tgi-error-validation.json') });
    const error = await failure(model.generate(request, call));
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_BAD_REQUEST', status: 400, retryable: false });
    expect((error as KeelError).message).toContain('Input validation error');
  });

  it('maps 424 generation error to a retryable server error, not a bad request', async () => {
    server.enqueue({ kind: 'json', status: 424, body: jsonFixture('tgi-error-generation.json') });
    const error = await failure(model.generate(request, call));
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_SERVER_ERROR',
      status: 502,
      retryable: true,
      countsAsFailure: true,
      upstreamStatus: 424,
    });
    expect((error as KeelError).message).toContain('CUDA out of memory');
  });

  it('maps 424 on a stream call the same way', async () => {
    server.enqueue({ kind: 'json', status: 424, body: jsonFixture('tgi-error-generation.json') });
    const error = await failure(model.stream(request, call));
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_SERVER_ERROR', retryable: true });
  });

  it('maps 429 overloaded to a retryable error', async () => {
    server.enqueue({ kind: 'json', status: 429, body: jsonFixture('tgi-error-overloaded.json') });
    const error = await failure(model.generate(request, call));
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_RATE_LIMITED', retryable: true });
    expect((error as KeelError).message).toContain('Model is overloaded');
  });

  it('refuses tools before calling the server', async () => {
    const error = await failure(
      model.generate({ ...request, tools: [{ name: 'get_weather', parameters: { type: 'object' } }] }, call),
    );
    expect(error).toMatchObject({ code: 'KEEL_INVALID_REQUEST', param: 'tools', failover: true });
    expect(server.requests).toHaveLength(0);
  });
});
