// StatsD metrics end to end: mixed traffic through the OpenAI SDK, lines read by a real UDP receiver after close.
import { APIError, type OpenAI } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';
import { scriptedFailoverConfig } from './support/scripted-failover-config.js';
import { closedUdpPort, UdpReceiver, type StatsdLine } from './support/udp-receiver.js';

/** The scripted failover setup (see scriptedFailoverConfig) with StatsD on and no store. */
function configFor(statsd: NonNullable<KeelConfigInput['telemetry']>['statsd']): KeelConfigInput {
  return { ...scriptedFailoverConfig(), telemetry: { store: { enabled: false }, statsd } };
}

/** The status the client saw: 200, or the API error's. */
async function statusOf(client: OpenAI, model = 'chat-default'): Promise<number | undefined> {
  try {
    await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say something.' }] });
    return 200;
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    return (error as APIError).status;
  }
}

const tagsOf = (line: StatsdLine, keys: string[]): string =>
  line.tags.filter((tag) => keys.some((key) => tag.startsWith(`${key}:`))).join(',');

describe('DogStatsD metrics from a running Keel', () => {
  let receiver: UdpReceiver;
  let harness: KeelHarness;
  const statuses: (number | undefined)[] = [];
  const clientTokens = { input: 0, output: 0 };

  beforeAll(async () => {
    receiver = await UdpReceiver.start();
    harness = await startKeel(
      configFor({
        enabled: true,
        host: '127.0.0.1',
        port: receiver.port,
        globalTags: { env: 'test', service: 'keel' },
        // Nothing goes out before close unless the buffer fills: close must flush it.
        flushIntervalMs: 60_000,
      }),
    );
    const { client } = harness;
    // 1. primary ok. 2. primary 500, backup ok. 3. primary 429, backup 500: 502. 4. an unknown model: 404.
    statuses.push(await statusOf(client), await statusOf(client), await statusOf(client));
    statuses.push(await statusOf(client, 'no-such-model'));
    // 5. a stream served by primary, with usage in its last chunk. 6. primary ok again.
    const stream = await client.chat.completions.create({
      model: 'chat-default',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Stream something.' }],
    });
    for await (const chunk of stream) {
      if (chunk.usage) {
        clientTokens.input += chunk.usage.prompt_tokens;
        clientTokens.output += chunk.usage.completion_tokens;
      }
    }
    statuses.push(200, await statusOf(client));
    await harness.close();
    await vi.waitFor(() => expect(receiver.named('keel.request.duration')).toHaveLength(6));
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('answered every request as scripted', () => {
    expect(statuses).toEqual([200, 200, 502, 404, 200, 200]);
    expect(harness.ended).toHaveLength(6);
  });

  it('counts each request once, split by provider, model, status class and outcome', () => {
    const requests = receiver.named('keel.requests');
    expect(requests).toHaveLength(6);
    const split: Record<string, number> = {};
    for (const line of requests) {
      expect(line).toMatchObject({ value: 1, type: 'c', sampleRate: undefined });
      expect(line.tags.slice(0, 2)).toEqual(['env:test', 'service:keel']);
      const key = tagsOf(line, ['provider', 'model', 'status_class', 'outcome']);
      split[key] = (split[key] ?? 0) + 1;
    }
    expect(split).toEqual({
      'provider:primary,model:chat-default,status_class:2xx,outcome:ok': 3,
      'provider:backup,model:chat-default,status_class:2xx,outcome:ok': 1,
      'provider:backup,model:chat-default,status_class:5xx,outcome:error': 1,
      'provider:none,model:unknown,status_class:4xx,outcome:error': 1,
    });
    const errors = receiver.named('keel.request.errors').map((line) => tagsOf(line, ['provider', 'code']));
    expect(errors.sort()).toEqual([
      'provider:backup,code:KEEL_ALL_TARGETS_FAILED',
      'provider:none,code:KEEL_UNKNOWN_MODEL',
    ]);
    // Requests 2 and 3 went to two targets.
    expect(receiver.named('keel.failovers')).toHaveLength(2);
    expect(receiver.lines.map((line) => line.raw).join('\n')).not.toContain('no-such-model');
  });

  it("sends one duration of each kind per request, equal to the request's own timings", () => {
    const valuesOf = (name: string) => receiver.named(name).map((line) => line.value);
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    for (const name of ['keel.request.duration', 'keel.request.upstream_duration', 'keel.request.overhead']) {
      for (const line of receiver.named(name)) expect(line.type).toBe('d');
    }
    expect(sorted(valuesOf('keel.request.duration'))).toEqual(
      sorted(harness.ended.map((event) => event.totalMs)),
    );
    expect(sorted(valuesOf('keel.request.upstream_duration'))).toEqual(
      sorted(harness.ended.map((event) => event.upstreamMs)),
    );
    expect(sorted(valuesOf('keel.request.overhead'))).toEqual(
      sorted(harness.ended.map((event) => event.overheadMs)),
    );
    // Only the stream has a time to first token.
    expect(valuesOf('keel.request.ttft')).toEqual(harness.ended.flatMap((event) => event.ttftMs ?? []));
    expect(valuesOf('keel.request.ttft')).toHaveLength(1);
    // One attempt per call that reached a provider: 1 + 2 + 2 + 0 + 1 + 1.
    expect(receiver.named('keel.attempts')).toHaveLength(7);
    expect(receiver.named('keel.attempt.duration')).toHaveLength(7);
  });

  it('sums tokens as the stream client saw them, plus the non-streamed answers', () => {
    const tokenSum = (type: string) =>
      receiver
        .named('keel.tokens')
        .filter((line) => line.tags.includes(`token_type:${type}`))
        .reduce((sum, line) => sum + line.value, 0);
    const ended = harness.ended.filter((event) => event.usage !== undefined);
    expect(ended).toHaveLength(4);
    expect(tokenSum('input')).toBe(ended.reduce((sum, event) => sum + (event.usage?.inputTokens ?? 0), 0));
    expect(tokenSum('output')).toBe(ended.reduce((sum, event) => sum + (event.usage?.outputTokens ?? 0), 0));
    const streamed = harness.ended.find((event) => event.stream);
    expect(streamed?.usage).toMatchObject({
      inputTokens: clientTokens.input,
      outputTokens: clientTokens.output,
    });
    expect(receiver.named('keel.cost_usd')).toHaveLength(4);
  });
});

describe('StatsD without a listener', () => {
  let harness: KeelHarness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it('answers every request when nothing listens on the StatsD port, and closes', async () => {
    const port = await closedUdpPort();
    // Unbuffered-like: a tiny buffer sends a datagram for nearly every metric.
    harness = await startKeel(configFor({ enabled: true, host: '127.0.0.1', port, maxBufferBytes: 64 }));
    const statuses = [];
    for (let index = 0; index < 5; index++) statuses.push(await statusOf(harness.client));
    expect(statuses).toEqual([200, 200, 502, 200, 200]);
    await harness.close();
    expect(harness.ended).toHaveLength(5);
    harness = undefined;
  });

  it('is off by default', async () => {
    harness = await startKeel(configFor(undefined));
    expect(harness.keel.config.telemetry.statsd.enabled).toBe(false);
    expect(harness.keel.statsd).toBeUndefined();
  });
});
