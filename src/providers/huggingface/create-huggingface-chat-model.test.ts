import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  collect,
  readFixture,
  readJsonFixture,
  startFixtureServer,
  type FixtureServer,
} from '../../../test/support/fixture-server.js';
import { KeelError, type ChatRequest, type StreamPart } from '../../spec/index.js';
import {
  createHuggingFaceChatModel,
  type HuggingFaceChatModelSettings,
} from './create-huggingface-chat-model.js';

const fixture = (name: string) => readFixture(import.meta.url, `./fixtures/${name}`);
const jsonFixture = (name: string) => readJsonFixture(import.meta.url, `./fixtures/${name}`);

describe('createHuggingFaceChatModel', () => {
  let server: FixtureServer;
  const agent = new Agent({ keepAliveTimeout: 1000 });
  /** Origins the adapter dialled; every call is then sent to the local fixture server instead. */
  const dialled: string[] = [];
  let redirecting: Dispatcher;
  const signal = () => new AbortController().signal;
  const modelId = 'meta-llama/Llama-3.1-8B-Instruct';

  beforeAll(async () => {
    server = await startFixtureServer();
    redirecting = agent.compose((dispatch) => (options, handler) => {
      dialled.push(`${String(options.origin)}${options.path}`);
      return dispatch({ ...options, origin: server.url }, handler);
    });
  });
  afterAll(async () => {
    await server.close();
    await agent.close();
  });
  beforeEach(() => {
    server.requests.length = 0;
    dialled.length = 0;
  });

  const request: ChatRequest = {
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is deep learning?' },
    ],
    maxTokens: 50,
  };

  describe("api: 'chat' (default)", () => {
    const settings = (): HuggingFaceChatModelSettings => ({
      providerId: 'hf',
      apiKey: 'hf_test',
      dispatcher: redirecting,
    });

    it('calls the HF router by default with the OpenAI body and Bearer auth', async () => {
      server.enqueue({ kind: 'json', body: jsonFixture('router-chat-completion.json') });
      const model = createHuggingFaceChatModel(settings());
      expect(model.providerType).toBe('huggingface');
      expect(model.providerId).toBe('hf');
      await model.generate(request, { modelId, signal: signal() });
      expect(dialled).toEqual(['https://router.huggingface.co/v1/chat/completions']);
      const sent = server.requests[0];
      expect(sent?.url).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe('Bearer hf_test');
      expect(sent?.body).toEqual({
        model: modelId,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'What is deep learning?' },
        ],
        max_tokens: 50,
      });
    });

    it('normalizes the router answer', async () => {
      server.enqueue({ kind: 'json', body: jsonFixture('router-chat-completion.json') });
      const result = await createHuggingFaceChatModel(settings()).generate(request, {
        modelId,
        signal: signal(),
      });
      expect(result).toEqual({
        providerResponseId: 'chatcmpl-7f6d8b2a3c4e4f1a9b0c2d3e4f5a6b7c',
        model: modelId,
        text: 'Deep learning is machine learning with many-layered neural networks.',
        toolCalls: [],
        finishReason: 'stop',
        usage: { inputTokens: 46, outputTokens: 14, totalTokens: 60 },
      });
    });

    it("streams a TGI Messages API server's chunks from a configured base URL", async () => {
      server.enqueue({ kind: 'sse', text: fixture('router-chat-completion-stream.sse') });
      const model = createHuggingFaceChatModel({ ...settings(), baseUrl: 'http://tgi.internal:8080/v1' });
      const parts = await collect(await model.stream(request, { modelId, signal: signal() }));
      expect(dialled).toEqual(['http://tgi.internal:8080/v1/chat/completions']);
      expect(server.requests[0]?.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(parts[0]).toMatchObject({ type: 'response-metadata', model: modelId });
      expect(parts.slice(1)).toEqual<StreamPart[]>([
        { type: 'text-delta', text: 'Deep' },
        { type: 'text-delta', text: ' learning' },
        { type: 'text-delta', text: ' is machine learning.' },
        { type: 'finish', finishReason: 'stop' },
        { type: 'usage', usage: { inputTokens: 46, outputTokens: 7, totalTokens: 53 } },
      ]);
    });

    it('maps a 503 from the router to a retryable error', async () => {
      server.enqueue({ kind: 'json', status: 503, body: jsonFixture('tgi-error-model-loading.json') });
      const error = await createHuggingFaceChatModel(settings())
        .generate(request, { modelId, signal: signal() })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_OVERLOADED', retryable: true });
    });
  });

  describe("api: 'generate'", () => {
    it('renders the configured template and posts to {baseUrl}/generate with Bearer auth', async () => {
      server.enqueue({ kind: 'json', body: jsonFixture('tgi-generate.json') });
      const model = createHuggingFaceChatModel({
        providerId: 'tgi',
        baseUrl: 'https://xyz.us-east-1.aws.endpoints.huggingface.cloud',
        apiKey: 'hf_test',
        dispatcher: redirecting,
        api: 'generate',
        promptTemplate: 'llama3',
      });
      expect(model.providerType).toBe('huggingface');
      const result = await model.generate(request, { modelId, signal: signal() });
      expect(dialled).toEqual(['https://xyz.us-east-1.aws.endpoints.huggingface.cloud/generate']);
      expect(server.requests[0]?.headers.authorization).toBe('Bearer hf_test');
      expect(server.requests[0]?.body).toEqual({
        inputs:
          '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>' +
          '<|start_header_id|>user<|end_header_id|>\n\nWhat is deep learning?<|eot_id|>' +
          '<|start_header_id|>assistant<|end_header_id|>\n\n',
        parameters: { max_new_tokens: 50, details: true, return_full_text: false, do_sample: false },
      });
      expect(result.finishReason).toBe('stop');
    });

    it('defaults to the mistral template, like the config file', async () => {
      server.enqueue({ kind: 'json', body: jsonFixture('tgi-generate.json') });
      const model = createHuggingFaceChatModel({
        providerId: 'tgi',
        baseUrl: server.url,
        dispatcher: agent,
        api: 'generate',
      });
      await model.generate(request, { modelId, signal: signal() });
      expect(server.requests[0]?.headers.authorization).toBeUndefined();
      expect(server.requests[0]?.body).toMatchObject({
        inputs: '<s>[INST] You are terse.\n\nWhat is deep learning? [/INST]',
      });
    });

    it('refuses a missing baseUrl with a config error naming the option', () => {
      const create = () =>
        createHuggingFaceChatModel({ providerId: 'tgi', dispatcher: agent, api: 'generate' });
      expect(create).toThrow(KeelError);
      expect(create).toThrow(/providers\.tgi\.baseUrl: required with api "generate"/);
    });

    it('refuses an unknown template or api with a config error listing the choices', () => {
      const badTemplate = () =>
        createHuggingFaceChatModel({
          providerId: 'tgi',
          baseUrl: server.url,
          dispatcher: agent,
          api: 'generate',
          promptTemplate: 'alpaca' as unknown as 'plain',
        });
      expect(badTemplate).toThrow(
        /promptTemplate: got "alpaca"; write one of "mistral", "chatml", "llama3", "plain"/,
      );
      const badApi = () =>
        createHuggingFaceChatModel({
          providerId: 'tgi',
          dispatcher: agent,
          api: 'completions' as unknown as 'chat',
        });
      expect(badApi).toThrow(/api: got "completions"; write "chat" or "generate"/);
      for (const create of [badTemplate, badApi]) {
        try {
          create();
        } catch (error) {
          expect(error).toMatchObject({ code: 'KEEL_CONFIG_INVALID' });
        }
      }
    });
  });
});
