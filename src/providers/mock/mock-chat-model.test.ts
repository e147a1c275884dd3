import { describe, expect, it } from 'vitest';
import { ErrorCodes, KeelError, type ChatRequest, type Clock, type StreamPart } from '../../spec/index.js';
import { MockChatModel, type MockChatModelSettings, type MockOutcome } from './mock-chat-model.js';
import { createSeededRandom, logNormalMs } from './seeded-random.js';

/** A clock whose sleeps end at once (recording how long they asked for) but still honour aborts. */
function instantClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => 1_700_000_000_000,
    sleep: (ms, signal) => {
      slept.push(ms);
      return signal?.aborted === true ? Promise.reject(signal.reason as Error) : Promise.resolve();
    },
  };
}

function mockModel(
  overrides: Partial<MockChatModelSettings> = {},
  clock: Clock = instantClock(),
): MockChatModel {
  return new MockChatModel({
    providerId: 'sim',
    latencyMs: { p50: 300, p99: 1500 },
    errorRate: 0,
    errorKinds: ['500'],
    retryAfterMs: 1_500,
    seed: 42,
    outputTokens: 12,
    clock,
    ...overrides,
  });
}

const request: ChatRequest = { messages: [{ role: 'user', content: 'Say something about gateways.' }] };
const call = () => ({ modelId: 'gpt-4o-mini', signal: new AbortController().signal });

async function collect(parts: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const collected: StreamPart[] = [];
  for await (const part of parts) collected.push(part);
  return collected;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Lets pending promise callbacks and I/O callbacks run, without waiting on a timer. */
const settleMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('MockChatModel: determinism', () => {
  it('gives the same answers and latencies for the same seed', async () => {
    const firstClock = instantClock();
    const secondClock = instantClock();
    const first = mockModel({ seed: 7 }, firstClock);
    const second = mockModel({ seed: 7 }, secondClock);
    for (let index = 0; index < 5; index++) {
      expect(await first.generate(request, call())).toEqual(await second.generate(request, call()));
    }
    expect(firstClock.slept).toHaveLength(5);
    expect(secondClock.slept).toEqual(firstClock.slept);
    // Latencies are log-normal around p50, not a constant.
    expect(new Set(firstClock.slept).size).toBeGreaterThan(1);
    for (const ms of firstClock.slept) expect(ms).toBeGreaterThan(0);
    expect(first.calls).toBe(5);
  });

  it('draws the first latency from the seeded log-normal distribution', async () => {
    const clock = instantClock();
    await mockModel({ seed: 7 }, clock).generate(request, call());
    // The plan draws the latency first when no failure is scripted (errorRate 0 still draws once).
    const random = createSeededRandom(7);
    random();
    expect(clock.slept[0]).toBeCloseTo(logNormalMs(random, 300, 1500), 9);
  });

  it('gives different answers for different seeds', async () => {
    const first = await mockModel({ seed: 1 }).generate(request, call());
    const second = await mockModel({ seed: 2 }).generate(request, call());
    expect(first.text).not.toBe(second.text);
  });

  it('streams the same text it would answer whole, in order, then finish and usage', async () => {
    const whole = await mockModel({ seed: 9 }).generate(request, call());
    const parts = await collect(await mockModel({ seed: 9 }).stream(request, call()));
    expect(parts[0]).toEqual({
      type: 'response-metadata',
      providerResponseId: 'mock-1',
      model: 'gpt-4o-mini',
    });
    const text = parts.map((part) => (part.type === 'text-delta' ? part.text : '')).join('');
    expect(text).toBe(whole.text);
    expect(parts.slice(-2)).toEqual([
      { type: 'finish', finishReason: whole.finishReason },
      { type: 'usage', usage: whole.usage },
    ]);
  });

  it('answers like a provider: text ending in a full stop, usage from prompt and answer', async () => {
    const result = await mockModel().generate(request, call());
    expect(result).toMatchObject({
      providerResponseId: 'mock-1',
      model: 'gpt-4o-mini',
      toolCalls: [],
      finishReason: 'stop',
    });
    expect(result.text).toMatch(/^[A-Z][a-z]*( [a-z]+)*\.$/);
    const words = (result.text ?? '').split(' ').length;
    expect(result.usage).toEqual({
      // "Say something about gateways." is 29 characters: ceil(29 / 4) tokens.
      inputTokens: 8,
      outputTokens: words,
      totalTokens: 8 + words,
    });
    // outputTokens 12 scaled by 0.5..1.5.
    expect(words).toBeGreaterThanOrEqual(6);
    expect(words).toBeLessThanOrEqual(18);
  });

  it('with latency p50 = p99 = 0 answers without asking to wait', async () => {
    const clock = instantClock();
    const model = mockModel({ latencyMs: { p50: 0, p99: 0 } }, clock);
    const result = await model.generate(request, call());
    expect(result.finishReason).toBe('stop');
    expect(clock.slept).toEqual([0]);
    await collect(await model.stream(request, call()));
    // Streams skip sub-millisecond pauses entirely.
    expect(clock.slept).toEqual([0]);
  });
});

describe('MockChatModel: scripted outcomes', () => {
  const script: MockOutcome[] = ['429', '500', '503', 'reset', 'ok'];

  it('plays the script in order, one outcome per call, then answers', async () => {
    const model = mockModel({ script });
    const errors: unknown[] = [];
    for (let index = 0; index < 4; index++) errors.push(await rejection(model.generate(request, call())));

    expect(errors[0]).toBeInstanceOf(KeelError);
    expect(errors[0]).toMatchObject({
      code: ErrorCodes.upstreamRateLimited,
      status: 429,
      upstreamStatus: 429,
      retryAfterMs: 1_500,
      retryable: true,
    });
    expect((errors[0] as KeelError).message).toBe('sim answered HTTP 429: simulated rate limit');
    expect(errors[1]).toMatchObject({
      code: ErrorCodes.upstreamServerError,
      upstreamStatus: 500,
      retryable: true,
      message: 'sim answered HTTP 500: simulated internal server error',
    });
    expect(errors[2]).toMatchObject({
      code: ErrorCodes.upstreamOverloaded,
      status: 503,
      upstreamStatus: 503,
      retryable: true,
    });
    expect(errors[3]).toMatchObject({ code: 'KEEL_UPSTREAM_CONNECTION', status: 502, retryable: true });
    expect((errors[3] as KeelError).message).toContain('ECONNRESET');

    const answer = await model.generate(request, call());
    expect(answer.finishReason).toBe('stop');
    // After the script runs out, errorRate (0 here) decides.
    expect((await model.generate(request, call())).finishReason).toBe('stop');
    expect(model.calls).toBe(6);
  });

  it('fails a stream before it starts for HTTP-style outcomes', async () => {
    const model = mockModel({ script: ['429', '503'] });
    expect(await rejection(model.stream(request, call()))).toMatchObject({
      code: 'KEEL_UPSTREAM_RATE_LIMITED',
      retryAfterMs: 1_500,
    });
    expect(await rejection(model.stream(request, call()))).toMatchObject({
      code: 'KEEL_UPSTREAM_OVERLOADED',
    });
  });

  it('"timeout" hangs until the signal aborts, then rejects with the abort reason', async () => {
    const model = mockModel({ script: ['timeout'] });
    const controller = new AbortController();
    let settled = false;
    const pending = model.generate(request, { modelId: 'm', signal: controller.signal }).finally(() => {
      settled = true;
    });
    const outcome = rejection(pending);
    await settleMicrotasks();
    await settleMicrotasks();
    expect(settled).toBe(false);

    const reason = new KeelError({
      code: ErrorCodes.upstreamTimeout,
      status: 504,
      message: 'attempt deadline',
    });
    controller.abort(reason);
    expect(await outcome).toBe(reason);
  });

  it('"timeout" on a stream hangs before the stream starts', async () => {
    const model = mockModel({ script: ['timeout'] });
    const controller = new AbortController();
    const outcome = rejection(model.stream(request, { modelId: 'm', signal: controller.signal }));
    await settleMicrotasks();
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
  });

  it('"timeout" with an already aborted signal rejects at once', async () => {
    const model = mockModel({ script: ['timeout'], latencyMs: { p50: 0, p99: 0 } });
    const reason = new Error('already gone');
    expect(
      await rejection(model.generate(request, { modelId: 'm', signal: AbortSignal.abort(reason) })),
    ).toBe(reason);
  });

  it('"cut" streams some text, then throws KEEL_STREAM_INTERRUPTED instead of finishing', async () => {
    const model = mockModel({ script: ['cut'], outputTokens: 20 });
    const stream = await model.stream(request, call());
    const parts: StreamPart[] = [];
    let error: unknown;
    try {
      for await (const part of stream) parts.push(part);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ code: ErrorCodes.streamInterrupted, status: 502, retryable: true });
    const deltas = parts.filter((part) => part.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(parts.some((part) => part.type === 'finish' || part.type === 'usage')).toBe(false);
  });

  it('"cut" still breaks a stream whose answer is a single token', async () => {
    const model = mockModel({ script: ['cut'] });
    const stream = await model.stream({ ...request, maxTokens: 1 }, call());
    expect(await rejection(collect(stream))).toMatchObject({ code: ErrorCodes.streamInterrupted });
  });

  it('"cut" on a whole answer is a connection reset', async () => {
    const model = mockModel({ script: ['cut'] });
    expect(await rejection(model.generate(request, call()))).toMatchObject({
      code: ErrorCodes.upstreamConnection,
    });
  });

  it('a stream aborted mid-way rejects with the abort reason', async () => {
    const model = mockModel({ outputTokens: 20 });
    const controller = new AbortController();
    const stream = await model.stream(request, { modelId: 'm', signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'response-metadata' });
    expect((await iterator.next()).value).toMatchObject({ type: 'text-delta' });
    const reason = new Error('deadline');
    controller.abort(reason);
    expect(await rejection(iterator.next())).toBe(reason);
  });
});

describe('MockChatModel: maxTokens and errorRate', () => {
  it('caps the answer at maxTokens and reports finishReason "length"', async () => {
    const result = await mockModel({ outputTokens: 40 }).generate({ ...request, maxTokens: 3 }, call());
    expect(result.finishReason).toBe('length');
    expect(result.usage?.outputTokens).toBe(3);
    expect(result.text?.split(' ')).toHaveLength(3);
    // A cut-off answer does not end in a full stop.
    expect(result.text).not.toMatch(/\.$/);
  });

  it('streams a capped answer with finishReason "length"', async () => {
    const parts = await collect(
      await mockModel({ outputTokens: 40 }).stream({ ...request, maxTokens: 2 }, call()),
    );
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(2);
    expect(parts).toContainEqual({ type: 'finish', finishReason: 'length' });
  });

  it('finishes with "stop" when maxTokens is more than the answer needs', async () => {
    const result = await mockModel({ outputTokens: 4 }).generate({ ...request, maxTokens: 1_000 }, call());
    expect(result.finishReason).toBe('stop');
    expect(result.usage?.outputTokens).toBeLessThanOrEqual(6);
  });

  it('with errorRate 1 fails every call with one of errorKinds', async () => {
    const model = mockModel({ errorRate: 1, errorKinds: ['500', '503'], latencyMs: { p50: 0, p99: 0 } });
    const codes = new Set<string>();
    for (let index = 0; index < 50; index++) {
      const error = await rejection(model.generate(request, call()));
      expect(error).toBeInstanceOf(KeelError);
      codes.add((error as KeelError).code);
    }
    expect([...codes].sort()).toEqual(['KEEL_UPSTREAM_OVERLOADED', 'KEEL_UPSTREAM_SERVER_ERROR']);
  });

  it('with errorRate 1 and errorKinds ["429"] always rate-limits, streams included', async () => {
    const model = mockModel({ errorRate: 1, errorKinds: ['429'] });
    for (let index = 0; index < 10; index++) {
      expect(await rejection(model.stream(request, call()))).toMatchObject({
        code: 'KEEL_UPSTREAM_RATE_LIMITED',
      });
    }
  });

  it('a script entry wins over errorRate', async () => {
    const model = mockModel({ errorRate: 1, errorKinds: ['500'], script: ['ok'] });
    expect((await model.generate(request, call())).finishReason).toBe('stop');
    expect(await rejection(model.generate(request, call()))).toMatchObject({
      code: 'KEEL_UPSTREAM_SERVER_ERROR',
    });
  });

  it('with errorRate 0 never fails', async () => {
    const model = mockModel({ errorRate: 0, latencyMs: { p50: 0, p99: 0 } });
    for (let index = 0; index < 50; index++) {
      expect((await model.generate(request, call())).finishReason).toBe('stop');
    }
  });
});
