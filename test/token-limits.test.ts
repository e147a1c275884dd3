// Token limits end to end: an oversized request refused with a clear 400, and max_tokens clamped to fit, through the OpenAI SDK.
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { countPromptTokens, loadTokenizers } from '../src/policy/count-prompt-tokens.js';
import type { PolicyCall, RequestPolicy } from '../src/policy/request-policy.js';
import type { LimitHitEvent } from '../src/telemetry/events.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

// The tokenizers load on first need; counting in these tests needs them now.
await loadTokenizers();

const config: KeelConfigInput = {
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 5, outputTokens: 200 }],
  models: [
    { name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] },
    { name: 'chat-clamped', targets: [{ provider: 'sim', model: 'sim-1' }] },
  ],
  telemetry: { store: { enabled: false } },
  limits: {
    tokens: {
      maxTotalTokens: 200,
      mode: 'reject',
      models: { 'chat-clamped': { maxTotalTokens: 60, mode: 'clamp' } },
    },
  },
};

/** Runs after the configured policies: sees the request as the provider will get it. */
function recorder(): RequestPolicy & { calls: PolicyCall[] } {
  const calls: PolicyCall[] = [];
  return {
    name: 'recorder',
    calls,
    admit: (call) => {
      calls.push(call);
      return Promise.resolve(undefined);
    },
  };
}

const messages = [{ role: 'user' as const, content: 'Tell me about budgets.' }];
const promptTokens = countPromptTokens({ messages }, { model: 'sim-1', providerType: 'mock' }).tokens;

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('token limits', () => {
  it('refuses a prompt that does not fit with 400 KEEL_TOKEN_LIMIT_EXCEEDED, before any provider call', async () => {
    const after = recorder();
    harness = await startKeel(config, { policies: [after] });
    const hits: LimitHitEvent[] = [];
    harness.keel.events.on('limit:hit', (hit) => hits.push(hit));
    const error = await harness.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'budget '.repeat(400) }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('KEEL_TOKEN_LIMIT_EXCEEDED');
    expect(apiError.param).toBe('messages');
    expect(apiError.message).toMatch(/allows 200 tokens of prompt and completion/);
    expect(after.calls).toHaveLength(0);
    expect(hits).toMatchObject([
      { limit: 'tokens:request', action: 'rejected', model: 'chat', limitValue: 200 },
    ]);

    const tooLong = await harness.client.chat.completions
      .create({ model: 'chat', messages, max_tokens: 500 })
      .catch((caught: unknown) => caught as APIError);
    expect(tooLong).toMatchObject({ status: 400, code: 'KEEL_TOKEN_LIMIT_EXCEEDED', param: 'max_tokens' });
  });

  it('clamps max_tokens on the clamped alias so prompt + completion fits, and the provider honours it', async () => {
    const after = recorder();
    harness = await startKeel(config, { policies: [after] });
    const completion = await harness.client.chat.completions.create({
      model: 'chat-clamped',
      messages,
      max_tokens: 500,
    });
    expect(after.calls[0]?.request.maxTokens).toBe(60 - promptTokens);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(60 - promptTokens);
    expect(completion.choices[0]?.finish_reason).toBe('length');

    // No max_tokens sent: the room left becomes max_tokens, on the rejecting alias too.
    await harness.client.chat.completions.create({ model: 'chat', messages });
    expect(after.calls[1]?.request.maxTokens).toBe(200 - promptTokens);
  });
});
