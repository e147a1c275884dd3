// The breaker end to end, on an injected clock: opens, keeps the upstream uncalled, half-opens, closes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';

const completion = () =>
  readJsonFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion.json');
const serverError = { kind: 'json', status: 500, body: { error: { message: 'down' } } } as const;

describe('circuit breaker per target', () => {
  let primary: FixtureServer;
  let backup: FixtureServer;
  let harness: KeelHarness;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    [primary, backup] = await Promise.all([startFixtureServer(), startFixtureServer()]);
    backup.fallback = { kind: 'json', body: completion() };
    harness = await startKeel(
      {
        providers: [
          { id: 'primary', type: 'openai', baseUrl: `${primary.url}/v1` },
          { id: 'backup', type: 'openai', baseUrl: `${backup.url}/v1` },
        ],
        models: [
          {
            name: 'chat-default',
            targets: [
              { provider: 'primary', model: 'gpt-4o-mini' },
              { provider: 'backup', model: 'gpt-4o-mini' },
            ],
          },
        ],
        reliability: {
          retry: { maxAttempts: 1 },
          circuitBreaker: {
            consecutiveFailures: 3,
            minimumRequests: 100,
            cooldownMs: 30_000,
            halfOpenProbes: 1,
          },
        },
      },
      { clock },
    );
  });
  afterEach(async () => {
    await harness.close();
    await Promise.all([primary.close(), backup.close()]);
  });

  const ask = () =>
    harness.client.chat.completions
      .create({ model: 'chat-default', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
  const health = async () =>
    (await (await fetch(`${harness.url}/health`)).json()) as {
      status: string;
      targets: { target: string; status: string }[];
    };
  const primaryStatus = async () =>
    (await health()).targets.find((target) => target.target === 'primary/gpt-4o-mini')?.status;

  const openTheBreaker = async () => {
    primary.enqueue(serverError, serverError, serverError);
    for (let call = 0; call < 3; call++) await ask();
    expect(primary.requests).toHaveLength(3);
  };

  it('opens after N consecutive failures and stops calling the upstream', async () => {
    await openTheBreaker();
    expect(await primaryStatus()).toBe('open');
    expect((await health()).status).toBe('degraded');
    const transition = harness.ended.at(-1)?.breakerStatus;
    expect(transition).toBe('closed'); // the backup served, and its breaker is closed

    const { response } = await ask();
    expect(primary.requests).toHaveLength(3); // not called while open
    expect(response.headers.get('x-keel-provider')).toBe('backup');
    expect(harness.ended.at(-1)?.attempts[0]).toMatchObject({
      outcome: 'skipped',
      errorCode: 'KEEL_CIRCUIT_OPEN',
    });
  });

  it('stays open until the cooldown has passed', async () => {
    await openTheBreaker();
    clock.advance(29_999);
    await ask();
    expect(primary.requests).toHaveLength(3);
    expect(await primaryStatus()).toBe('open');
  });

  it('half-opens after the cooldown and closes when the probe succeeds', async () => {
    await openTheBreaker();
    clock.advance(30_000);
    primary.enqueue({ kind: 'json', body: completion() });
    const { response } = await ask();
    expect(primary.requests).toHaveLength(4); // the probe
    expect(response.headers.get('x-keel-provider')).toBe('primary');
    expect(await primaryStatus()).toBe('closed');

    primary.enqueue({ kind: 'json', body: completion() });
    await ask();
    expect(primary.requests).toHaveLength(5);
  });

  it('re-opens when the half-open probe fails', async () => {
    await openTheBreaker();
    clock.advance(30_000);
    primary.enqueue(serverError);
    const { response } = await ask();
    expect(primary.requests).toHaveLength(4);
    expect(response.headers.get('x-keel-provider')).toBe('backup');
    expect(await primaryStatus()).toBe('open');
    clock.advance(10_000);
    await ask();
    expect(primary.requests).toHaveLength(4);
  });

  it('emits each transition as an event', async () => {
    const transitions: string[] = [];
    harness.keel.events.on('breaker:transition', (event) =>
      transitions.push(`${event.target}:${event.from}->${event.to}`),
    );
    await openTheBreaker();
    clock.advance(30_000);
    primary.enqueue({ kind: 'json', body: completion() });
    await ask();
    expect(transitions).toEqual([
      'primary/gpt-4o-mini:closed->open',
      'primary/gpt-4o-mini:open->half-open',
      'primary/gpt-4o-mini:half-open->closed',
    ]);
  });

  it('answers 503 KEEL_CIRCUIT_OPEN when every target is open', async () => {
    harness.keel.breakers.trip('primary/gpt-4o-mini');
    harness.keel.breakers.trip('backup/gpt-4o-mini');
    const error = (await ask().catch((caught: unknown) => caught)) as { status: number; code: string };
    expect(error.status).toBe(503);
    expect(error.code).toBe('KEEL_CIRCUIT_OPEN');
    expect(primary.requests).toHaveLength(0);
    expect(backup.requests).toHaveLength(0);
  });
});
