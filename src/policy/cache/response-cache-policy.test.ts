import { describe, expect, it } from 'vitest';
import { cacheSchema } from '../../config/cache-schema.js';
import type { ChatResult, Clock } from '../../spec/index.js';
import { MemoryState } from '../../state/memory-state.js';
import type { SharedState } from '../../state/shared-state.js';
import { EventBus } from '../../telemetry/event-bus.js';
import type { CacheLookupEvent } from '../../telemetry/events.js';
import type { PolicyCall, PolicyOutcome } from '../request-policy.js';
import { cacheKey } from './cache-key.js';
import { isCacheable, ResponseCachePolicy } from './response-cache-policy.js';

class TestClock implements Clock {
  nowMs = Date.parse('2026-01-01T00:00:00Z');
  now(): number {
    return this.nowMs;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

const answer: ChatResult = {
  providerResponseId: 'resp-1',
  model: 'sim-1',
  text: 'A breaker stops calls to a failing target.',
  toolCalls: [],
  finishReason: 'stop',
  usage: { inputTokens: 10, outputTokens: 9, totalTokens: 19 },
};

function setup(options: { config?: Record<string, unknown>; state?: SharedState } = {}) {
  const clock = new TestClock();
  const state = options.state ?? new MemoryState({ now: () => clock.now() });
  const events = new EventBus();
  const lookups: CacheLookupEvent['result'][] = [];
  events.on('cache:lookup', (event) => lookups.push(event.result));
  const stateErrors: string[] = [];
  const policy = new ResponseCachePolicy({
    config: cacheSchema.parse({ enabled: true, ...options.config }),
    state,
    clock,
    events,
    onStateError: (_error, operation) => stateErrors.push(operation),
  });
  const call = (overrides: Partial<PolicyCall> = {}): PolicyCall => ({
    requestId: 'r1',
    model: 'chat',
    request: { messages: [{ role: 'user', content: 'What is a breaker?' }] },
    metadata: {},
    key: undefined,
    stream: false,
    targets: [],
    nowMs: clock.now(),
    ...overrides,
  });
  /** A request that missed and got `outcome`: the policy stores what it may. */
  const answerOnce = async (
    outcome: PolicyOutcome = { result: answer },
    overrides: Partial<PolicyCall> = {},
  ) => {
    const ticket = await policy.admit(call(overrides));
    ticket?.settle?.(outcome);
    await policy.flush();
    return ticket;
  };
  return { clock, state, policy, call, answerOnce, lookups, stateErrors };
}

describe('ResponseCachePolicy', () => {
  it('misses, stores the successful answer, then serves it with its age', async () => {
    const { policy, call, answerOnce, clock, lookups } = setup();
    const first = await answerOnce();
    expect(first?.headers).toEqual({ 'x-keel-cache': 'miss' });
    expect(first?.wantsResult).toBe(true);
    expect(first?.cachedResult).toBeUndefined();
    clock.nowMs += 61_500;
    const second = await policy.admit(call({ nowMs: clock.now() }));
    expect(second?.cachedResult).toEqual(answer);
    expect(second?.headers).toEqual({ 'x-keel-cache': 'hit', age: '61' });
    expect(second !== undefined && 'settle' in second).toBe(false);
    expect(lookups).toEqual(['miss', 'hit']);
  });

  it('forgets an answer once its TTL has passed', async () => {
    const { policy, call, answerOnce, clock } = setup({ config: { ttlMs: 60_000 } });
    await answerOnce();
    clock.nowMs += 59_999;
    expect((await policy.admit(call({ nowMs: clock.now() })))?.cachedResult).toBeDefined();
    clock.nowMs += 1;
    expect((await policy.admit(call({ nowMs: clock.now() })))?.headers).toEqual({ 'x-keel-cache': 'miss' });
  });

  it('serves an entry under max-age only when it is young enough, and stores the fresh one', async () => {
    const { policy, call, answerOnce, clock } = setup();
    await answerOnce();
    clock.nowMs += 30_000;
    const young = await policy.admit(call({ nowMs: clock.now(), cacheControl: 'max-age=30' }));
    expect(young?.headers).toEqual({ 'x-keel-cache': 'hit', age: '30' });
    clock.nowMs += 1;
    const old = await policy.admit(call({ nowMs: clock.now(), cacheControl: 'max-age=30' }));
    expect(old?.headers).toEqual({ 'x-keel-cache': 'miss' });
    old?.settle?.({ result: { ...answer, text: 'Fresher.' } });
    await policy.flush();
    const fresh = await policy.admit(call({ nowMs: clock.now(), cacheControl: 'max-age=30' }));
    expect(fresh?.cachedResult?.text).toBe('Fresher.');
    expect(fresh?.headers).toEqual({ 'x-keel-cache': 'hit', age: '0' });
  });

  it('no-cache skips the lookup but stores; no-store neither reads nor writes', async () => {
    const { policy, call, answerOnce, lookups } = setup();
    await answerOnce();
    const noCache = await policy.admit(call({ cacheControl: 'no-cache' }));
    expect(noCache?.cachedResult).toBeUndefined();
    expect(noCache?.headers).toEqual({ 'x-keel-cache': 'bypass' });
    noCache?.settle?.({ result: { ...answer, text: 'Newer.' } });
    await policy.flush();
    expect((await policy.admit(call()))?.cachedResult?.text).toBe('Newer.');

    const noStore = await policy.admit(call({ cacheControl: 'no-store', request: { messages: [] } }));
    expect(noStore).toEqual({ headers: { 'x-keel-cache': 'bypass' } });
    expect(lookups).toEqual(['miss', 'bypass', 'hit', 'bypass']);
  });

  it.each<[string, PolicyOutcome]>([
    ['an error', { error: new Error('upstream 500'), result: answer }],
    ['an answer cut at max_tokens', { result: { ...answer, finishReason: 'length' } }],
    ['a filtered answer', { result: { ...answer, finishReason: 'content_filter' } }],
    ['an empty answer', { result: { ...answer, text: '' } }],
    ['a stream that broke (no result)', { usage: answer.usage }],
    ['an answer that came from the cache', { result: answer, cached: true }],
  ])('never stores %s', async (_name, outcome) => {
    const { policy, call, answerOnce } = setup();
    expect(isCacheable(outcome)).toBe(false);
    await answerOnce(outcome);
    expect((await policy.admit(call()))?.headers).toEqual({ 'x-keel-cache': 'miss' });
  });

  it('stores tool-call answers', async () => {
    const { policy, call, answerOnce } = setup();
    const toolAnswer: ChatResult = {
      ...answer,
      text: null,
      toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }],
      finishReason: 'tool_calls',
    };
    await answerOnce({ result: toolAnswer });
    expect((await policy.admit(call()))?.cachedResult).toEqual(toolAnswer);
  });

  it('does not store answers longer than maxEntryChars', async () => {
    const { policy, call, answerOnce } = setup({ config: { maxEntryChars: 100 } });
    await answerOnce({ result: { ...answer, text: 'x'.repeat(200) } });
    expect((await policy.admit(call()))?.cachedResult).toBeUndefined();
  });

  it('keeps one cache per gateway key by default, one for all with scope global', async () => {
    const keyA = { id: 'key_a', name: 'a' };
    const keyB = { id: 'key_b', name: 'b' };
    const scoped = setup();
    await scoped.answerOnce({ result: answer }, { key: keyA });
    expect((await scoped.policy.admit(scoped.call({ key: keyA })))?.cachedResult).toBeDefined();
    expect((await scoped.policy.admit(scoped.call({ key: keyB })))?.cachedResult).toBeUndefined();

    const global = setup({ config: { scope: 'global' } });
    await global.answerOnce({ result: answer }, { key: keyA });
    expect((await global.policy.admit(global.call({ key: keyB })))?.cachedResult).toBeDefined();
  });

  it('leaves models outside its allow-list alone', async () => {
    const { policy, call, lookups } = setup({ config: { models: ['chat'] } });
    expect(await policy.admit(call({ model: 'other' }))).toBeUndefined();
    expect(await policy.admit(call({ model: 'chat' }))).toBeDefined();
    expect(lookups).toEqual(['miss']);
  });

  it('fails open: an unreadable or unwritable state is a miss, reported once per failure', async () => {
    const broken: SharedState = Object.assign(new MemoryState(), {
      cacheGet: () => Promise.reject(new Error('redis down')),
      cacheSet: () => Promise.reject(new Error('redis down')),
    });
    const { policy, call, answerOnce, stateErrors } = setup({ state: broken });
    const ticket = await answerOnce();
    expect(ticket?.headers).toEqual({ 'x-keel-cache': 'miss' });
    expect(stateErrors).toEqual(['read', 'write']);
    expect((await policy.admit(call()))?.cachedResult).toBeUndefined();
  });

  it('treats an entry it cannot read (another version, corrupt) as a miss', async () => {
    const { policy, call, state, clock } = setup();
    const ticket = await policy.admit(call());
    ticket?.settle?.({ result: answer });
    await policy.flush();
    const key = cacheKey({ model: 'chat', request: call().request });
    await state.cacheSet(key, '{"createdAtMs":"yesterday"}', clock.now() + 60_000);
    expect((await policy.admit(call()))?.headers).toEqual({ 'x-keel-cache': 'miss' });
  });
});
