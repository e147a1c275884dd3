// The policy hook of the request path: admission, refusal, request changes, headers and settling, over real HTTP.
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { PolicyCall, PolicyOutcome, RequestPolicy } from '../src/policy/request-policy.js';
import { ErrorCodes, KeelError } from '../src/spec/index.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const config: KeelConfigInput = {
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 3 }],
  models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
  telemetry: { store: { enabled: false } },
};

/** A policy that records what it saw and settles, and can refuse or rewrite. */
function recordingPolicy(
  name: string,
  behaviour: { refuse?: boolean; maxTokens?: number } = {},
): RequestPolicy & { calls: PolicyCall[]; outcomes: PolicyOutcome[] } {
  const calls: PolicyCall[] = [];
  const outcomes: PolicyOutcome[] = [];
  return {
    name,
    calls,
    outcomes,
    admit: (call) => {
      calls.push(call);
      if (behaviour.refuse === true) {
        return Promise.reject(
          new KeelError({
            code: ErrorCodes.invalidRequest,
            status: 429,
            message: `${name} says no`,
            retryAfterMs: 2_500,
            headers: { 'x-ratelimit-remaining-requests': '0' },
          }),
        );
      }
      return Promise.resolve({
        headers: { [`x-test-${name}`]: 'admitted' },
        request:
          behaviour.maxTokens === undefined ? undefined : { ...call.request, maxTokens: behaviour.maxTokens },
        settle: (outcome) => outcomes.push(outcome),
      });
    },
  };
}

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('request policies', () => {
  it('run in order after routing, may rewrite the request, add headers, and settle once with the usage', async () => {
    const first = recordingPolicy('first', { maxTokens: 7 });
    const second = recordingPolicy('second');
    harness = await startKeel(config, { policies: [first, second] });
    const { data, response } = await harness.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get('x-test-first')).toBe('admitted');
    expect(response.headers.get('x-test-second')).toBe('admitted');
    expect(first.calls[0]?.targets.map((target) => target.key)).toEqual(['sim/sim-1']);
    expect(first.calls[0]?.request.maxTokens).toBe(100);
    // The second policy sees the first one's change, and so does the provider (usage says so).
    expect(second.calls[0]?.request.maxTokens).toBe(7);
    expect(data.usage?.completion_tokens).toBeLessThanOrEqual(7);
    for (const policy of [first, second]) {
      expect(policy.outcomes).toHaveLength(1);
      expect(policy.outcomes[0]?.error).toBeUndefined();
      expect(policy.outcomes[0]?.usage?.outputTokens).toBe(data.usage?.completion_tokens);
      expect(policy.outcomes[0]?.target?.key).toBe('sim/sim-1');
    }
  });

  it('a refusal reaches the client with its status and headers; earlier tickets are settled with it', async () => {
    const first = recordingPolicy('first');
    const refusing = recordingPolicy('refusing', { refuse: true });
    const never = recordingPolicy('never');
    harness = await startKeel(config, { policies: [first, refusing, never] });
    const error = await harness.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('3');
    expect(apiError.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(never.calls).toHaveLength(0);
    expect(first.outcomes).toHaveLength(1);
    expect((first.outcomes[0]?.error as KeelError).message).toBe('refusing says no');
    // Recorded like any other failure.
    expect(harness.ended.at(-1)).toMatchObject({ status: 429, outcome: 'error' });
  });

  it('settles streams when they end', async () => {
    const policy = recordingPolicy('only');
    harness = await startKeel(config, { policies: [policy] });
    const stream = await harness.client.chat.completions.create({
      model: 'chat',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let outputTokens: number | undefined;
    for await (const chunk of stream) outputTokens = chunk.usage?.completion_tokens ?? outputTokens;
    await expect.poll(() => policy.outcomes.length).toBe(1);
    expect(policy.outcomes[0]?.usage?.outputTokens).toBe(outputTokens);
  });
});
