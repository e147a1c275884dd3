// The response cache end to end: the official OpenAI SDK through Keel and the mock provider, plain and streamed.
import { APIError } from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { MockOutcome } from '../src/providers/mock/mock-chat-model.js';
import type { RequestsPage } from '../src/store/store.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';

function config(script?: MockOutcome[]): KeelConfigInput {
  return {
    providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 11, script }],
    models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    // One call per request, so a scripted failure reaches the client.
    reliability: { retry: { maxAttempts: 1 } },
    pricing: { overrides: [{ provider: 'sim', match: 'sim-1', input: 1, output: 2 }] },
    cache: { enabled: true },
  };
}

const question: ChatCompletionCreateParamsNonStreaming = {
  model: 'chat',
  messages: [{ role: 'user', content: 'What does a circuit breaker do?' }],
  temperature: 0,
};

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: { script?: MockOutcome[]; clock?: ManualClock } = {}): Promise<KeelHarness> {
  harness = await startKeel(config(options.script), { clock: options.clock });
  return harness;
}

/** Calls that reached the provider so far. */
function providerCalls(keel: KeelHarness): number {
  return keel.ended.reduce((calls, event) => calls + event.attempts.length, 0);
}

/** Waits until `count` requests have ended (and so were settled: a miss is stored by then). */
async function ended(keel: KeelHarness, count: number): Promise<void> {
  await expect.poll(() => keel.ended.length).toBe(count);
}

async function ask(
  keel: KeelHarness,
  body: ChatCompletionCreateParamsNonStreaming = question,
  headers: Record<string, string> = {},
) {
  const before = keel.ended.length;
  const { data, response } = await keel.client.chat.completions.create(body, { headers }).withResponse();
  await ended(keel, before + 1);
  return { text: data.choices[0]?.message.content, data, headers: response.headers };
}

async function askStreaming(keel: KeelHarness, body = question, includeUsage = false) {
  const before = keel.ended.length;
  const { data: stream, response } = await keel.client.chat.completions
    .create({ ...body, stream: true, stream_options: includeUsage ? { include_usage: true } : undefined })
    .withResponse();
  let text = '';
  let chunks = 0;
  let usage: { completion_tokens: number } | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.choices[0]?.delta.content) chunks++;
    usage = chunk.usage ?? usage;
  }
  await ended(keel, before + 1);
  return { text, chunks, usage, headers: response.headers };
}

describe('response cache', () => {
  it('answers an identical request from the cache: same content, no provider call, no cost', async () => {
    const keel = await start();
    const first = await ask(keel);
    expect(first.headers.get('x-keel-cache')).toBe('miss');
    const second = await ask(keel);
    expect(second.headers.get('x-keel-cache')).toBe('hit');
    expect(second.headers.get('age')).toBe('0');
    expect(second.headers.get('x-keel-attempts')).toBe('0');
    expect(second.headers.get('x-keel-target')).toBe('sim/sim-1');
    expect(second.text).toBe(first.text);
    expect(second.data.usage).toEqual(first.data.usage);
    expect(providerCalls(keel)).toBe(1);
    expect(keel.ended.map((event) => event.cacheHit)).toEqual([false, true]);

    const page = (await (await fetch(`${keel.url}/api/requests?limit=10`)).json()) as RequestsPage;
    const [hit, miss] = page.items;
    expect(miss).toMatchObject({ cacheHit: false, attempts: 1 });
    expect(miss?.costUsd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cacheHit: true, attempts: 0, upstreamMs: 0, costUsd: 0 });
    expect(hit?.outputTokens).toBe(miss?.outputTokens);

    const metrics = await (await fetch(`${keel.url}/metrics`)).text();
    expect(metrics).toContain('keel_cache_hits_total{model="chat"} 1');
    expect(metrics).toContain('keel_cache_misses_total{model="chat"} 1');
  });

  it.each<[string, Partial<ChatCompletionCreateParamsNonStreaming>]>([
    ['temperature', { temperature: 0.7 }],
    ['max_tokens', { max_tokens: 5 }],
    ['seed', { seed: 42 }],
    ['stop', { stop: ['.'] }],
    ['a message', { messages: [{ role: 'user', content: 'What does a retry do?' }] }],
    ['response_format', { response_format: { type: 'json_object' } }],
  ])('misses when %s changes', async (_name, change) => {
    const keel = await start();
    await ask(keel);
    const changed = await ask(keel, { ...question, ...change });
    expect(changed.headers.get('x-keel-cache')).toBe('miss');
    expect(providerCalls(keel)).toBe(2);
  });

  it('replays a streamed answer as a stream, and to a plain request too', async () => {
    const keel = await start();
    const first = await askStreaming(keel);
    expect(first.headers.get('x-keel-cache')).toBe('miss');
    const replayed = await askStreaming(keel, question, true);
    expect(replayed.headers.get('x-keel-cache')).toBe('hit');
    expect(replayed.text).toBe(first.text);
    expect(replayed.chunks).toBeGreaterThan(1);
    expect(replayed.usage?.completion_tokens).toBeGreaterThan(0);
    const plain = await ask(keel);
    expect(plain.headers.get('x-keel-cache')).toBe('hit');
    expect(plain.text).toBe(first.text);
    expect(providerCalls(keel)).toBe(1);
  });

  it('replays a plain answer to a streaming client', async () => {
    const keel = await start();
    const first = await ask(keel);
    const streamed = await askStreaming(keel);
    expect(streamed.headers.get('x-keel-cache')).toBe('hit');
    expect(streamed.text).toBe(first.text);
    expect(providerCalls(keel)).toBe(1);
  });

  it('never caches an error, nor a stream that broke', async () => {
    const keel = await start({ script: ['500', 'cut', 'ok'] });
    const failed = await keel.client.chat.completions.create(question).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(APIError);
    await ended(keel, 1);
    // The stream starts, then the mock cuts it: the SDK raises, and nothing is stored.
    await expect(askStreaming(keel)).rejects.toThrow();
    await ended(keel, 2);
    const answered = await ask(keel);
    expect(answered.headers.get('x-keel-cache')).toBe('miss');
    expect((await ask(keel)).headers.get('x-keel-cache')).toBe('hit');
    expect(providerCalls(keel)).toBe(3);
  });

  it('Cache-Control no-cache fetches and stores anew; no-store neither reads nor writes', async () => {
    const keel = await start();
    await ask(keel);
    const fresh = await ask(keel, question, { 'cache-control': 'no-cache' });
    expect(fresh.headers.get('x-keel-cache')).toBe('bypass');
    expect(providerCalls(keel)).toBe(2);
    // The no-cache answer replaced the first one.
    expect((await ask(keel)).text).toBe(fresh.text);

    const other = { ...question, messages: [{ role: 'user' as const, content: 'Never keep this.' }] };
    const unstored = await ask(keel, other, { 'cache-control': 'no-store' });
    expect(unstored.headers.get('x-keel-cache')).toBe('bypass');
    expect((await ask(keel, other)).headers.get('x-keel-cache')).toBe('miss');
    expect(providerCalls(keel)).toBe(4);
  });

  it('Cache-Control max-age accepts only an answer young enough; the TTL drops old ones', async () => {
    const clock = new ManualClock();
    const keel = await start({ clock });
    await ask(keel);
    clock.advance(90_000);
    const young = await ask(keel, question, { 'cache-control': 'max-age=120' });
    expect(young.headers.get('x-keel-cache')).toBe('hit');
    expect(young.headers.get('age')).toBe('90');
    const tooOld = await ask(keel, question, { 'cache-control': 'max-age=60' });
    expect(tooOld.headers.get('x-keel-cache')).toBe('miss');
    expect(providerCalls(keel)).toBe(2);
    // Past the 1 h TTL of the fresh answer, nothing is served.
    clock.advance(3_600_000);
    expect((await ask(keel)).headers.get('x-keel-cache')).toBe('miss');
    expect(providerCalls(keel)).toBe(3);
  });
});
