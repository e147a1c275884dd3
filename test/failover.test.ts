// Failover and retries end to end: 5xx, timeouts, resets, Retry-After, and one clear error when all fail.
import { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';
import type { KeelConfigInput } from '../src/config/index.js';

const completion = () =>
  readJsonFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion.json');
const anthropicMessage = () =>
  readJsonFixture(import.meta.url, '../src/providers/anthropic/fixtures/message.json');

describe('failover between providers', () => {
  let primary: FixtureServer;
  let secondary: FixtureServer;
  let harness: KeelHarness;
  let clock: ManualClock;

  const start = async (reliability: KeelConfigInput['reliability'] = {}) => {
    harness = await startKeel(
      {
        providers: [
          { id: 'primary', type: 'openai', baseUrl: `${primary.url}/v1` },
          { id: 'claude', type: 'anthropic', baseUrl: secondary.url, apiKey: 'k' },
        ],
        models: [
          {
            name: 'chat-default',
            strategy: 'fallback',
            targets: [
              { provider: 'primary', model: 'gpt-4o-mini' },
              { provider: 'claude', model: 'claude-3-5-haiku-latest' },
            ],
          },
        ],
        reliability: { retry: { maxAttempts: 1 }, ...reliability },
      },
      { clock },
    );
  };
  const ask = () =>
    harness.client.chat.completions
      .create({ model: 'chat-default', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();

  beforeEach(async () => {
    clock = new ManualClock();
    [primary, secondary] = await Promise.all([startFixtureServer(), startFixtureServer()]);
  });
  afterEach(async () => {
    await harness.close();
    await Promise.all([primary.close(), secondary.close()]);
  });

  it('fails over when the primary answers 5xx', async () => {
    await start();
    primary.enqueue({ kind: 'json', status: 500, body: { error: { message: 'boom' } } });
    secondary.enqueue({ kind: 'json', body: anthropicMessage() });
    const { data, response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('claude');
    expect(response.headers.get('x-keel-attempts')).toBe('2');
    expect(data.choices[0]?.message.content).toEqual(expect.any(String));
    expect(primary.requests).toHaveLength(1);
    expect(secondary.requests).toHaveLength(1);
    expect(
      harness.ended.at(-1)?.attempts.map((attempt) => [attempt.target, attempt.outcome, attempt.errorCode]),
    ).toEqual([
      ['primary/gpt-4o-mini', 'error', 'KEEL_UPSTREAM_SERVER_ERROR'],
      ['claude/claude-3-5-haiku-latest', 'ok', undefined],
    ]);
  });

  it('fails over when the primary times out', async () => {
    await start({ attemptTimeoutMs: 200 });
    primary.enqueue({ kind: 'hang' });
    secondary.enqueue({ kind: 'json', body: anthropicMessage() });
    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('claude');
    expect(harness.ended.at(-1)?.attempts[0]?.errorCode).toBe('KEEL_UPSTREAM_TIMEOUT');
  });

  it('fails over when the primary resets the connection', async () => {
    await start();
    primary.enqueue({ kind: 'reset' });
    secondary.enqueue({ kind: 'json', body: anthropicMessage() });
    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('claude');
    expect(harness.ended.at(-1)?.attempts[0]?.errorCode).toBe('KEEL_UPSTREAM_CONNECTION');
  });

  it('retries the same target with backoff before failing over', async () => {
    await start({ retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1000 } });
    primary.enqueue(
      { kind: 'json', status: 503, body: { error: { message: 'busy' } } },
      { kind: 'json', status: 502, body: { error: { message: 'bad gateway' } } },
      { kind: 'json', body: completion() },
    );
    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('primary');
    expect(response.headers.get('x-keel-attempts')).toBe('3');
    expect(secondary.requests).toHaveLength(0);
    // Full jitter: each wait is within [0, min(maxDelay, initial * 2^(retry-1))].
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('honours Retry-After on a 429 before retrying', async () => {
    await start({ retry: { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1000 } });
    primary.enqueue(
      {
        kind: 'json',
        status: 429,
        headers: { 'retry-after': '2' },
        body: { error: { message: 'slow down' } },
      },
      { kind: 'json', body: completion() },
    );
    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('primary');
    expect(clock.sleeps).toEqual([2000]);
  });

  it('honours retry-after-ms over Retry-After', async () => {
    await start({ retry: { maxAttempts: 2 } });
    primary.enqueue(
      {
        kind: 'json',
        status: 429,
        headers: { 'retry-after': '2', 'retry-after-ms': '350' },
        body: { error: { message: 'slow down' } },
      },
      { kind: 'json', body: completion() },
    );
    await ask();
    expect(clock.sleeps).toEqual([350]);
  });

  it('fails over instead of waiting when Retry-After exceeds the cap', async () => {
    await start({ retry: { maxAttempts: 2, maxRetryAfterMs: 5000 } });
    primary.enqueue({
      kind: 'json',
      status: 429,
      headers: { 'retry-after': '60' },
      body: { error: { message: 'wait' } },
    });
    secondary.enqueue({ kind: 'json', body: anthropicMessage() });
    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('claude');
    expect(clock.sleeps).toEqual([]);
  });

  it('does not fail over on a 400 the request caused', async () => {
    await start();
    primary.enqueue({ kind: 'json', status: 400, body: { error: { message: "Invalid 'temperature'" } } });
    const error = await ask().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).code).toBe('KEEL_UPSTREAM_BAD_REQUEST');
    expect(secondary.requests).toHaveLength(0);
  });

  it('returns one clear error listing every attempt when all targets fail', async () => {
    await start();
    primary.enqueue({ kind: 'json', status: 500, body: { error: { message: 'primary is down' } } });
    secondary.enqueue({
      kind: 'json',
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    const error = await ask().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(502);
    expect(apiError.code).toBe('KEEL_ALL_TARGETS_FAILED');
    expect(apiError.message).toContain('1) primary/gpt-4o-mini: KEEL_UPSTREAM_SERVER_ERROR');
    expect(apiError.message).toContain('primary is down');
    expect(apiError.message).toContain('2) claude/claude-3-5-haiku-latest: KEEL_UPSTREAM_OVERLOADED');
    expect(apiError.message).toContain('Overloaded');
  });

  it('answers 504 when the total deadline passes', async () => {
    await start({ timeoutMs: 300 });
    primary.enqueue({ kind: 'hang' });
    const error = await ask().catch((caught: unknown) => caught);
    expect((error as APIError).status).toBe(504);
    expect((error as APIError).code).toBe('KEEL_DEADLINE_EXCEEDED');
    expect(secondary.requests).toHaveLength(0);
  });
});
