import { describe, expect, it } from 'vitest';
import { MockChatModel } from '../providers/mock/mock-chat-model.js';
import { KeelError, systemClock, type StreamPart } from '../spec/index.js';
import { ChaosRegistry } from './chaos-registry.js';
import { withChaos } from './with-chaos.js';

function setup() {
  const sleeps: number[] = [];
  const clock = {
    nowMs: 0,
    now: () => clock.nowMs,
    sleep: (ms: number, signal?: AbortSignal) => {
      sleeps.push(ms);
      return systemClock.sleep(0, signal);
    },
  };
  const registry = new ChaosRegistry({ clock });
  const inner = new MockChatModel({
    providerId: 'primary',
    latencyMs: { p50: 0, p99: 0 },
    errorRate: 0,
    errorKinds: ['500'],
    retryAfterMs: 1000,
    outputTokens: 20,
    seed: 1,
    // The simulator's own waits are not chaos's: kept out of `sleeps`.
    clock: { now: clock.now, sleep: (_ms: number, signal?: AbortSignal) => systemClock.sleep(0, signal) },
  });
  const model = withChaos({ model: inner, registry, random: () => 0, clock });
  const request = { messages: [{ role: 'user' as const, content: 'Hi' }] };
  const call = { modelId: 'sim-1', signal: new AbortController().signal };
  return { clock, sleeps, registry, inner, model, request, call };
}

describe('withChaos', () => {
  it('passes calls straight through without an injection', async () => {
    const { model, inner, request, call, sleeps } = setup();
    expect((await model.generate(request, call)).text).toEqual(expect.any(String));
    expect(inner.calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('waits the added latency, then fails with the KeelError of the kind, without calling the provider', async () => {
    const { model, inner, registry, request, call, sleeps } = setup();
    registry.inject({ target: 'primary', latencyMs: 3000, errorRate: 1, errorKind: '429', forMs: 1000 });
    const error = await model.generate(request, call).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: 'KEEL_UPSTREAM_RATE_LIMITED',
      retryAfterMs: 1000,
      upstreamStatus: 429,
    });
    expect(sleeps).toEqual([3000]);
    expect(inner.calls).toBe(0);
  });

  it('honours the abort signal while waiting the latency', async () => {
    const { model, registry, request } = setup();
    registry.inject({ target: 'primary', latencyMs: 3000, forMs: 1000 });
    const controller = new AbortController();
    const reason = new KeelError({ code: 'KEEL_CLIENT_CLOSED', status: 499, message: 'gone' });
    controller.abort(reason);
    await expect(model.generate(request, { modelId: 'sim-1', signal: controller.signal })).rejects.toBe(
      reason,
    );
  });

  it('cuts a stream after the chosen number of content parts', async () => {
    const { model, registry, request, call } = setup();
    registry.inject({ target: 'primary/sim-1', cutRate: 1, forMs: 1000 });
    const parts: StreamPart[] = [];
    const error = await (async () => {
      for await (const part of await model.stream(request, call)) parts.push(part);
    })().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'KEEL_STREAM_INTERRUPTED' });
    // random 0: one content part gets through.
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-delta']);
  });

  it('turns a cut of a whole answer into a connection reset', async () => {
    const { model, registry, request, call } = setup();
    registry.inject({ target: 'primary', cutRate: 1, forMs: 1000 });
    await expect(model.generate(request, call)).rejects.toMatchObject({ code: 'KEEL_UPSTREAM_CONNECTION' });
  });
});
