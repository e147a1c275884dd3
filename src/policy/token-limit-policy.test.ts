import { describe, expect, it } from 'vitest';
import { tokenLimitsSchema } from '../config/limits-schema.js';
import { KeelError, type ChatRequest } from '../spec/index.js';
import { MemoryState } from '../state/memory-state.js';
import { EventBus } from '../telemetry/event-bus.js';
import type { LimitHitEvent } from '../telemetry/events.js';
import { countPromptTokens, loadTokenizers, createPromptTokenCounter } from './count-prompt-tokens.js';
import type { PolicyCall } from './request-policy.js';
import {
  averageWindow,
  createTokenLimitPolicy,
  decideTokenLimit,
  type TokenRule,
} from './token-limit-policy.js';

// The tokenizers load on first need; counting in these tests needs them now.
await loadTokenizers();

const reject: TokenRule = { maxTotalTokens: 100, mode: 'reject', defaultMaxTokens: undefined };
const clamp: TokenRule = { ...reject, mode: 'clamp' };

describe('decideTokenLimit', () => {
  it.each([
    // [case, rule, promptTokens, maxTokens, expected]
    ['fits', reject, 40, 60, { kind: 'pass' }],
    [
      'no max_tokens: the room left',
      reject,
      40,
      undefined,
      { kind: 'set-max-tokens', maxTokens: 60, clampedBy: undefined },
    ],
    [
      'no max_tokens, smaller default',
      { ...reject, defaultMaxTokens: 20 },
      40,
      undefined,
      { kind: 'set-max-tokens', maxTokens: 20, clampedBy: undefined },
    ],
    [
      'no max_tokens, default over the room',
      { ...reject, defaultMaxTokens: 80 },
      40,
      undefined,
      { kind: 'set-max-tokens', maxTokens: 60, clampedBy: 'tokens:request' },
    ],
    ['over, clamp', clamp, 40, 61, { kind: 'set-max-tokens', maxTokens: 60, clampedBy: 'tokens:request' }],
    ['over, reject', reject, 40, 61, { kind: 'reject', param: 'max_tokens', totalTokens: 101, limit: 100 }],
    [
      'prompt fills it, clamp',
      clamp,
      100,
      5,
      { kind: 'reject', param: 'messages', totalTokens: 100, limit: 100 },
    ],
    [
      'prompt over it, reject',
      reject,
      150,
      undefined,
      { kind: 'reject', param: 'messages', totalTokens: 150, limit: 100 },
    ],
    [
      'no limit, default',
      { maxTotalTokens: undefined, mode: 'reject', defaultMaxTokens: 30 },
      500,
      undefined,
      { kind: 'set-max-tokens', maxTokens: 30, clampedBy: undefined },
    ],
  ] as const)('%s', (_case, rule, promptTokens, maxTokens, expected) => {
    expect(decideTokenLimit({ promptTokens, maxTokens, rule })).toMatchObject(expected);
  });

  it('clamps to the average target minus the prompt, never below the floor, and never refuses for it', () => {
    const averageClamp = { targetTokens: 500, minCompletionTokens: 16 };
    const rule: TokenRule = { maxTotalTokens: undefined, mode: 'reject', defaultMaxTokens: undefined };
    expect(decideTokenLimit({ promptTokens: 100, maxTokens: 1000, rule, averageClamp })).toEqual({
      kind: 'set-max-tokens',
      maxTokens: 400,
      clampedBy: 'tokens:average',
    });
    expect(decideTokenLimit({ promptTokens: 900, maxTokens: undefined, rule, averageClamp })).toMatchObject({
      maxTokens: 16,
    });
    expect(decideTokenLimit({ promptTokens: 100, maxTokens: 300, rule, averageClamp })).toEqual({
      kind: 'pass',
    });
  });
});

function setup(config: Record<string, unknown>) {
  let nowMs = Date.parse('2026-01-01T00:00:00Z');
  const state = new MemoryState({ now: () => nowMs });
  const events = new EventBus();
  const hits: LimitHitEvent[] = [];
  events.on('limit:hit', (hit) => hits.push(hit));
  const policy = createTokenLimitPolicy({
    config: tokenLimitsSchema.parse(config),
    state,
    events,
    counter: createPromptTokenCounter(),
    providerTypes: new Map([['primary', 'openai']]),
    now: () => nowMs,
  });
  const call = (request: ChatRequest, model = 'chat'): PolicyCall => ({
    requestId: 'r1',
    model,
    request,
    metadata: {},
    key: undefined,
    stream: false,
    targets: [{ providerId: 'primary', modelId: 'gpt-4o-mini', weight: 1, key: 'primary/gpt-4o-mini' }],
    nowMs,
  });
  return { policy, hits, call, advance: (ms: number) => (nowMs += ms), now: () => nowMs };
}

const hello: ChatRequest = { messages: [{ role: 'user', content: 'Hello world' }] }; // 9 tokens
const prompt = countPromptTokens(hello, { model: 'gpt-4o-mini', providerType: 'openai' }).tokens;

describe('createTokenLimitPolicy', () => {
  it('refuses an oversized request with 400 KEEL_TOKEN_LIMIT_EXCEEDED and reports the hit', async () => {
    const { policy, hits, call } = setup({ maxTotalTokens: 50 });
    const error = await policy.admit(call({ ...hello, maxTokens: 100 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ status: 400, code: 'KEEL_TOKEN_LIMIT_EXCEEDED', param: 'max_tokens' });
    expect(hits).toMatchObject([
      { limit: 'tokens:request', action: 'rejected', value: prompt + 100, limitValue: 50 },
    ]);
  });

  it('clamps max_tokens per model alias, leaving other aliases to the global rule', async () => {
    const { policy, call } = setup({
      maxTotalTokens: 1000,
      models: { small: { maxTotalTokens: 50, mode: 'clamp' } },
    });
    const ticket = await policy.admit(call({ ...hello, maxTokens: 100 }, 'small'));
    expect(ticket?.request?.maxTokens).toBe(50 - prompt);
    expect(await policy.admit(call({ ...hello, maxTokens: 100 }, 'chat'))).toBeUndefined();
  });

  it('alerts once per window when the running average goes over the target, then clamps, and starts afresh', async () => {
    const { policy, hits, call, advance, now } = setup({
      average: {
        targetTokens: 500,
        windowMs: 60_000,
        minRequests: 3,
        action: 'clamp',
        minCompletionTokens: 16,
      },
    });
    // Window alerts carry no request id; per-request clamps do.
    const windowAlerts = () =>
      hits.filter((hit) => hit.limit === 'tokens:average' && hit.requestId === undefined);
    const answer = async (totalTokens: number) => {
      const ticket = await policy.admit(call({ ...hello, maxTokens: 2000 }));
      ticket?.settle?.({ usage: { inputTokens: 9, outputTokens: totalTokens - 9, totalTokens } });
      await policy.idle();
      return ticket;
    };
    await answer(400);
    await answer(900); // average 650, but only 2 requests
    expect(hits).toHaveLength(0);
    const third = await answer(500); // 600 over 3
    expect(third?.request).toBeUndefined();
    expect(hits).toMatchObject([{ limit: 'tokens:average', action: 'clamped', value: 600, limitValue: 500 }]);
    // Over the target: new requests fit the target (500 - prompt).
    const clamped = await answer(100); // 500 over 4: still over? (400+900+500+100)/4 = 475: no longer over
    expect(clamped?.request?.maxTokens).toBe(500 - prompt);
    expect(hits.at(-1)).toMatchObject({ limit: 'tokens:average', action: 'clamped', requestId: 'r1' });
    await answer(800); // (1900 + 800) / 5 = 540: over again, but the window already alerted
    expect(windowAlerts()).toHaveLength(1);
    // Errors and cached answers do not count.
    const ticket = await policy.admit(call(hello));
    ticket?.settle?.({
      error: new Error('x'),
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 10_000 },
    });
    ticket?.settle?.({ cached: true, usage: { inputTokens: 1, outputTokens: 1, totalTokens: 10_000 } });
    await policy.idle();
    // The next window starts empty: no clamp until it has its own average.
    advance(averageWindow(now(), 60_000).endMs - now());
    expect((await policy.admit(call({ ...hello, maxTokens: 2000 })))?.request).toBeUndefined();
    for (const total of [900, 900, 900]) await answer(total);
    expect(windowAlerts()).toHaveLength(2);
  });
});
