// The official OpenAI SDK against Keel: plain and streamed answers from OpenAI-, Anthropic- and Gemini-wire upstreams.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  readFixture,
  readJsonFixture,
  startFixtureServer,
  type FixtureServer,
} from './support/fixture-server.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const openaiFixture = (name: string) => `../src/providers/openai/fixtures/${name}`;
const anthropicFixture = (name: string) => `../src/providers/anthropic/fixtures/${name}`;
const geminiFixture = (name: string) => `../src/providers/gemini/fixtures/${name}`;

describe('OpenAI SDK through Keel', () => {
  let openaiUpstream: FixtureServer;
  let anthropicUpstream: FixtureServer;
  let geminiUpstream: FixtureServer;
  let harness: KeelHarness;

  beforeAll(async () => {
    [openaiUpstream, anthropicUpstream, geminiUpstream] = await Promise.all([
      startFixtureServer(),
      startFixtureServer(),
      startFixtureServer(),
    ]);
    harness = await startKeel({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: `${openaiUpstream.url}/v1`, apiKey: 'sk-primary' },
        { id: 'claude', type: 'anthropic', baseUrl: anthropicUpstream.url, apiKey: 'sk-ant' },
        { id: 'gemini', type: 'gemini', baseUrl: geminiUpstream.url, apiKey: 'g-key' },
      ],
      models: [
        { name: 'chat-default', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] },
        { name: 'chat-claude', targets: [{ provider: 'claude', model: 'claude-3-5-haiku-latest' }] },
        { name: 'chat-gemini', targets: [{ provider: 'gemini', model: 'gemini-2.0-flash' }] },
      ],
    });
  });
  afterAll(async () => {
    await harness.close();
    await Promise.all([openaiUpstream.close(), anthropicUpstream.close(), geminiUpstream.close()]);
  });
  beforeEach(() => {
    openaiUpstream.requests.length = 0;
    anthropicUpstream.requests.length = 0;
    geminiUpstream.requests.length = 0;
  });

  it('answers a plain completion and names who served it in headers', async () => {
    openaiUpstream.enqueue({
      kind: 'json',
      body: readJsonFixture(import.meta.url, openaiFixture('chat-completion.json')),
    });
    const { data, response } = await harness.client.chat.completions
      .create({ model: 'chat-default', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello! How can I assist you today?');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toMatchObject({ prompt_tokens: 19, completion_tokens: 10, total_tokens: 29 });
    expect(response.headers.get('x-keel-request-id')).toMatch(/^[\w-]+$/);
    expect(response.headers.get('x-keel-provider')).toBe('primary');
    expect(response.headers.get('x-keel-model')).toBe('gpt-4o-mini-2024-07-18');
    expect(response.headers.get('x-keel-attempts')).toBe('1');
    expect(Number(response.headers.get('x-keel-overhead-ms'))).toBeGreaterThanOrEqual(0);
    expect(openaiUpstream.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 20,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(openaiUpstream.requests[0]?.headers.authorization).toBe('Bearer sk-primary');
  });

  it('streams chunks, then usage when include_usage is set', async () => {
    openaiUpstream.enqueue({
      kind: 'sse',
      text: readFixture(import.meta.url, openaiFixture('chat-completion-stream.sse')),
    });
    const stream = await harness.client.chat.completions.create({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finishReason: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello! How can I help?');
    expect(finishReason).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 });
  });

  it('sends no usage chunk unless asked', async () => {
    openaiUpstream.enqueue({
      kind: 'sse',
      text: readFixture(import.meta.url, openaiFixture('chat-completion-stream.sse')),
    });
    const stream = await harness.client.chat.completions.create({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('streams tool calls that the SDK reassembles', async () => {
    openaiUpstream.enqueue({
      kind: 'sse',
      text: readFixture(import.meta.url, openaiFixture('chat-completion-stream-tool-call.sse')),
    });
    const runner = harness.client.chat.completions.stream({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
        },
      ],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
      function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
    });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('serves an Anthropic upstream as OpenAI chat completions', async () => {
    anthropicUpstream.enqueue({
      kind: 'json',
      body: readJsonFixture(import.meta.url, anthropicFixture('message.json')),
    });
    const completion = await harness.client.chat.completions.create({
      model: 'chat-claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
    });
    const sent = anthropicUpstream.requests[0];
    expect(sent?.url).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant');
    expect(sent?.body).toMatchObject({ model: 'claude-3-5-haiku-latest', system: 'Be brief.' });
    expect(completion.choices[0]?.message.content).toEqual(expect.any(String));
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams an Anthropic upstream as OpenAI chunks', async () => {
    anthropicUpstream.enqueue({
      kind: 'sse',
      text: readFixture(import.meta.url, anthropicFixture('messages-stream.sse')),
    });
    const stream = await harness.client.chat.completions.create({
      model: 'chat-claude',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(harness.ended.at(-1)).toMatchObject({
      outcome: 'ok',
      providerId: 'claude',
      providerType: 'anthropic',
      servedModel: 'claude-3-5-sonnet-20241022',
      finishReason: 'stop',
    });
  });

  it('streams a Gemini upstream as OpenAI chunks', async () => {
    geminiUpstream.enqueue({
      kind: 'sse',
      text: readFixture(import.meta.url, geminiFixture('stream-generate-content.sse')),
    });
    const stream = await harness.client.chat.completions.create({
      model: 'chat-gemini',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(geminiUpstream.requests[0]?.url).toBe(
      '/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
    );
    expect(text.length).toBeGreaterThan(0);
  });

  it('routes "provider/model" straight to that provider', async () => {
    openaiUpstream.enqueue({
      kind: 'json',
      body: readJsonFixture(import.meta.url, openaiFixture('chat-completion.json')),
    });
    await harness.client.chat.completions.create({
      model: 'primary/gpt-4.1',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(openaiUpstream.requests[0]?.body).toMatchObject({ model: 'gpt-4.1' });
  });

  it('lists aliases and pass-through models', async () => {
    const models = await harness.client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(
      expect.arrayContaining(['chat-default', 'chat-claude', 'chat-gemini', 'primary/gpt-4o-mini']),
    );
  });

  it('carries request metadata headers into telemetry', async () => {
    openaiUpstream.enqueue({
      kind: 'json',
      body: readJsonFixture(import.meta.url, openaiFixture('chat-completion.json')),
    });
    const completion = await harness.client.chat.completions.create(
      { model: 'chat-default', messages: [{ role: 'user', content: 'Hi' }], user: 'user-42' },
      {
        headers: {
          'x-keel-environment': 'prod',
          'x-keel-application': 'career-advisor',
          'x-keel-feature-version': '1.2.3',
          'x-keel-prompt-version': 'v2.1',
          'x-keel-experiment-id': 'provider_comparison',
          'x-keel-variant-id': 'variant_a',
        },
      },
    );
    const event = harness.ended.find((ended) => completion.id === `chatcmpl-${ended.requestId}`);
    expect(event?.metadata).toEqual({
      environment: 'prod',
      application: 'career-advisor',
      featureVersion: '1.2.3',
      promptVersion: 'v2.1',
      experimentId: 'provider_comparison',
      variantId: 'variant_a',
      user: 'user-42',
    });
    expect(event).toMatchObject({ outcome: 'ok', providerId: 'primary', usage: { inputTokens: 19 } });
    expect(event?.upstreamMs).toBeGreaterThan(0);
    expect(event?.overheadMs).toBeGreaterThanOrEqual(0);
  });
});
