import { describe, expect, it } from 'vitest';
import { rateLimitsSchema, type RateLimitsConfig } from '../config/rate-limits-schema.js';
import type { FailureMode } from '../config/state-schema.js';
import { ErrorCodes, KeelError, type ChatRequest } from '../spec/index.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';
import { RateLimitPolicy } from './rate-limit-policy.js';
import type { CallerKey, PolicyCall } from './request-policy.js';
import { StateFailureReporter } from './state-failure-reporter.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** 4 characters: 1 token, + 4 for the message + 3 of priming = 8 prompt tokens. */
const request: ChatRequest = { messages: [{ role: 'user', content: 'Hi!!' }], maxTokens: 92 };
const promptTokens = 8;

class Clock {
  nowMs = T0;
  now(): number {
    return this.nowMs;
  }
}

function setup(
  config: Partial<RateLimitsConfig>,
  options: { state?: SharedState; failureMode?: FailureMode } = {},
): { policy: RateLimitPolicy; clock: Clock; warnings: string[]; failures: StateFailureReporter } {
  const clock = new Clock();
  const warnings: string[] = [];
  const failures = new StateFailureReporter({
    logger: { warn: (_details, message) => warnings.push(message) },
    clock,
  });
  const policy = new RateLimitPolicy({
    config: rateLimitsSchema.parse(config),
    state: options.state ?? new MemoryState({ now: () => clock.now() }),
    failureMode: options.failureMode ?? 'open',
    failures,
    clock,
  });
  return { policy, clock, warnings, failures };
}

function call(overrides: Partial<PolicyCall> = {}): PolicyCall {
  return {
    requestId: 'request-1',
    model: 'chat',
    request,
    metadata: {},
    key: undefined,
    stream: false,
    targets: [],
    nowMs: T0,
    ...overrides,
  };
}

function key(id: string, rateLimits?: CallerKey['rateLimits']): CallerKey {
  return { id, name: `${id}-name`, rateLimits };
}

async function refusal(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof KeelError)) throw new Error(`expected a KeelError, got ${String(error)}`);
  return error;
}

/** A SharedState whose every call rejects, as Redis does while down. */
const unreachable: SharedState = {
  kind: 'redis',
  takeRate: () => Promise.reject(new Error('Redis at redis://127.0.0.1:6379 is unreachable')),
  reserve: () => Promise.reject(new Error('down')),
  add: () => Promise.reject(new Error('down')),
  get: () => Promise.reject(new Error('down')),
  setOnce: () => Promise.reject(new Error('down')),
  cacheGet: () => Promise.reject(new Error('down')),
  cacheSet: () => Promise.reject(new Error('down')),
  publishBreaker: () => Promise.reject(new Error('down')),
  readBreakers: () => Promise.reject(new Error('down')),
  close: () => Promise.resolve(),
};

describe('RateLimitPolicy', () => {
  it('admits up to a model limit with OpenAI headers, then refuses with 429, Retry-After and headers', async () => {
    const { policy } = setup({ models: [{ model: 'chat', requestsPerMinute: 2, tokensPerMinute: 1_000 }] });
    const first = await policy.admit(call());
    expect(first?.headers).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '30s',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': String(1_000 - promptTokens - 92),
      'x-ratelimit-reset-tokens': '6s',
    });
    const second = await policy.admit(call());
    expect(second?.headers?.['x-ratelimit-remaining-requests']).toBe('0');
    expect(second?.headers?.['x-ratelimit-reset-requests']).toBe('1m0s');
    const error = await refusal(policy.admit(call({ nowMs: T0 + 10_000 })));
    expect(error).toMatchObject({ status: 429, code: ErrorCodes.rateLimited, retryAfterMs: 20_000 });
    expect(error.message).toBe(
      'Rate limit reached for model "chat" on requests per minute: limit 2, requested 1; try again in 20s',
    );
    expect(error.headers).toMatchObject({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '50s',
      'x-ratelimit-limit-tokens': '1000',
    });
    // One interval later, one more.
    expect(await policy.admit(call({ nowMs: T0 + 30_000 }))).toBeDefined();
  });

  it('limits each key by its own limits, else the configured default; keys and models are separate buckets', async () => {
    const { policy } = setup({ keys: { requestsPerMinute: 1 } });
    expect(await policy.admit(call())).toBeUndefined(); // no key, no model limit: nothing to say
    await policy.admit(call({ key: key('a') }));
    expect((await refusal(policy.admit(call({ key: key('a') })))).message).toContain('key "a-name"');
    // Another key has its own bucket; a key's own limit wins over the default.
    await policy.admit(call({ key: key('b') }));
    const generous = key('c', { requestsPerMinute: 3 });
    for (let index = 0; index < 3; index++) await policy.admit(call({ key: generous }));
    await expect(policy.admit(call({ key: generous }))).rejects.toThrow(/limit 3/);
  });

  it('headers show the tightest bucket per unit; a refusal by one bucket takes nothing from the others', async () => {
    const { policy } = setup({
      keys: { requestsPerMinute: 10, tokensPerMinute: 250 },
      models: [{ model: 'chat', requestsPerMinute: 2, tokensPerMinute: 10_000 }],
    });
    const caller = key('a');
    const ticket = await policy.admit(call({ key: caller }));
    // Requests: the model's bucket (1 left of 2) is tighter than the key's (9 of 10); tokens: the key's.
    expect(ticket?.headers).toMatchObject({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-limit-tokens': '250',
      'x-ratelimit-remaining-tokens': String(250 - 100),
    });
    // 100 more tokens fit the key's bucket; 200 do not: refused, and the model's request is given back.
    const big = { ...request, maxTokens: 192 };
    const error = await refusal(policy.admit(call({ key: caller, request: big })));
    expect(error.message).toContain('key "a-name" on tokens per minute: limit 250, requested 200');
    const after = await policy.admit(call({ key: caller }));
    expect(after?.headers).toMatchObject({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-remaining-tokens': '50',
    });
  });

  it('the longest wait decides a refusal by several buckets', async () => {
    const { policy } = setup({
      keys: { requestsPerMinute: 1 },
      models: [{ model: 'chat', requestsPerMinute: 3 }],
    });
    await policy.admit(call({ key: key('a') }));
    await policy.admit(call({ key: key('b') }));
    await policy.admit(call({ key: key('c') }));
    // The key's bucket frees in 60 s, the model's in 20 s: wait 60 s.
    const error = await refusal(policy.admit(call({ key: key('a') })));
    expect(error.retryAfterMs).toBe(60_000);
  });

  it('reserves max_tokens or the default output, refuses a request larger than the limit outright', async () => {
    const { policy } = setup({
      models: [{ model: 'chat', tokensPerMinute: 1_000 }],
      defaultOutputTokens: 500,
    });
    const ticket = await policy.admit(call({ request: { messages: request.messages } }));
    expect(ticket?.headers?.['x-ratelimit-remaining-tokens']).toBe(String(1_000 - promptTokens - 500));
    expect(ticket?.headers?.['x-ratelimit-limit-requests']).toBeUndefined();
    const error = await refusal(policy.admit(call({ request: { ...request, maxTokens: 5_000 } })));
    expect(error.message).toMatch(
      /^Request too large for model "chat" on tokens per minute: limit 1000, requested 5008/,
    );
    expect(error.retryAfterMs).toBe(60_000);
  });

  it('settles tokens to the real usage: unused max_tokens come back, cached answers and failures cost none', async () => {
    const { policy, clock } = setup({ models: [{ model: 'chat', tokensPerMinute: 1_000 }] });
    const remaining = async (): Promise<string | undefined> => {
      const ticket = await policy.admit(call({ nowMs: clock.now(), request: { ...request, maxTokens: 0 } }));
      return ticket?.headers?.['x-ratelimit-remaining-tokens'];
    };
    const ticket = await policy.admit(call());
    ticket?.settle?.({ usage: { inputTokens: 8, outputTokens: 12, totalTokens: 20 } });
    await Promise.resolve();
    // 20 spent, then 8 for this probe.
    expect(await remaining()).toBe(String(1_000 - 20 - 8));
    const cached = await policy.admit(call());
    cached?.settle?.({ cached: true });
    const failed = await policy.admit(call());
    failed?.settle?.({ error: new Error('upstream down') });
    await Promise.resolve();
    expect(await remaining()).toBe(String(1_000 - 20 - 8 - 8));
  });

  it('fails open while the state is unreachable: admitted, marked degraded, counted, warned once a minute', async () => {
    const { policy, clock, warnings, failures } = setup(
      { models: [{ model: 'chat', requestsPerMinute: 1 }] },
      { state: unreachable, failureMode: 'open' },
    );
    for (let index = 0; index < 3; index++) {
      const ticket = await policy.admit(call());
      expect(ticket?.headers).toEqual({ 'x-keel-policy-degraded': 'rate-limit' });
    }
    expect(failures.counts()).toEqual([{ policy: 'rate-limit', mode: 'open', count: 3 }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rate-limit fails open/);
    clock.nowMs += 60_000;
    await policy.admit(call());
    expect(warnings).toHaveLength(2);
  });

  it('fails closed when configured: 503 KEEL_STATE_UNAVAILABLE', async () => {
    const { policy, failures } = setup(
      { keys: { requestsPerMinute: 1 } },
      { state: unreachable, failureMode: 'closed' },
    );
    const error = await refusal(policy.admit(call({ key: key('a') })));
    expect(error).toMatchObject({ status: 503, code: ErrorCodes.stateUnavailable, retryAfterMs: 1_000 });
    expect(error.message).toMatch(/^Rate limits cannot be checked right now/);
    expect(failures.counts()).toEqual([{ policy: 'rate-limit', mode: 'closed', count: 1 }]);
  });

  it('gives back what it took when one bucket fails and the call is let through unchecked', async () => {
    const memory = new MemoryState();
    // Model buckets work, key buckets fail: a half-broken state.
    const flaky: SharedState = {
      ...unreachable,
      takeRate: (stateKey, limit, cost, nowMs) =>
        stateKey.startsWith('rate:key:')
          ? Promise.reject(new Error('timeout'))
          : memory.takeRate(stateKey, limit, cost, nowMs),
    };
    const { policy } = setup(
      { keys: { requestsPerMinute: 5 }, models: [{ model: 'chat', requestsPerMinute: 1 }] },
      { state: flaky },
    );
    expect((await policy.admit(call({ key: key('a') })))?.headers).toEqual({
      'x-keel-policy-degraded': 'rate-limit',
    });
    expect(
      (await memory.takeRate('rate:model:chat:requests', { limit: 1, windowMs: 60_000 }, 1, T0)).allowed,
    ).toBe(true);
  });
});
