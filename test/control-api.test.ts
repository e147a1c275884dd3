// The control API: breaker state and control, behind the admin guard.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createKeel, type Keel } from '../src/compose/create-keel.js';
import { validateConfig } from '../src/config/index.js';

const config = validateConfig(
  {
    providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 } }],
    models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    telemetry: { store: { enabled: false } },
    keys: { path: ':memory:' },
    ops: { path: ':memory:' },
  },
  { source: 'test', env: {} },
);

describe('control API', () => {
  let keel: Keel | undefined;
  afterEach(async () => {
    await keel?.close(1000);
  });

  const start = async (adminToken?: string) => {
    keel = createKeel({ config, logger: pino({ level: 'silent' }), adminToken });
    return keel.listen({ port: 0, host: '127.0.0.1' });
  };

  it('serves loopback clients when no admin token is set', async () => {
    const url = await start();
    const response = await fetch(`${url}/api/breakers`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ breakers: [{ target: 'sim/sim-1', status: 'closed' }] });
  });

  it('requires the bearer token when one is set', async () => {
    const url = await start('s3cret-token');
    const refused = await fetch(`${url}/api/breakers`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'KEEL_ADMIN_UNAUTHORIZED',
    );
    const wrong = await fetch(`${url}/api/breakers`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const allowed = await fetch(`${url}/api/breakers`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(allowed.status).toBe(200);
  });

  it('trips and resets a breaker', async () => {
    const url = await start();
    const post = (action: string, body: unknown) =>
      fetch(`${url}/api/breakers/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const tripped = await post('trip', { target: 'sim/sim-1', reason: 'maintenance' });
    expect(await tripped.json()).toMatchObject({ status: 'open', reason: 'maintenance' });
    const refused = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(503);
    const reset = await post('reset', { target: 'sim/sim-1' });
    expect(await reset.json()).toMatchObject({ status: 'closed' });
    expect((await post('trip', { target: 'nope/x' })).status).toBe(404);
    expect((await post('explode', { target: 'sim/sim-1' })).status).toBe(400);
  });
});
