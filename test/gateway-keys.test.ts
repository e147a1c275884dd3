// Gateway keys end to end, with the OpenAI SDK: open mode, then keys made through /api/keys, refused and revoked.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

interface KeyAnswer {
  id: string;
  name: string;
  prefix: string;
  team?: string;
  secret?: string;
  revokedAt?: string;
}

const providers = [{ id: 'sim', type: 'mock' as const, latencyMs: { p50: 0, p99: 0 }, seed: 1 }];
const models = [
  { name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] },
  { name: 'chat-other', targets: [{ provider: 'sim', model: 'sim-2' }] },
];

/** A pino logger whose lines land in `lines`: what Keel would print. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return { logger, lines };
}

function client(url: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 15_000 });
}

const ask = (openai: OpenAI, model = 'chat') =>
  openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });

async function api<T>(
  url: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('gateway keys', () => {
  let harness: KeelHarness;
  let lines: string[];
  let created: KeyAnswer;
  let secret: string;

  beforeAll(async () => {
    const captured = capturedLogger();
    lines = captured.lines;
    harness = await startKeel(
      {
        providers,
        models,
        routes: [{ path: '/qa', model: 'chat', template: 'Q: {{question}}' }],
        telemetry: { store: { flushIntervalMs: 10 } },
      },
      { logger: captured.logger },
    );
  });
  afterAll(async () => {
    await harness.close();
  });

  it('runs open without keys, and says so once at warn in the start log', async () => {
    const answer = await ask(client(harness.url, 'anything'));
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const open = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((line) => line.msg === 'no gateway keys: Keel is open to any client');
    expect(open).toHaveLength(1);
    expect(open[0]?.level).toBe(40);
    expect(harness.ended.at(-1)?.metadata.keyId).toBeUndefined();
  });

  it('creates a key through POST /api/keys and shows its secret in that answer only', async () => {
    const { status, body } = await api<KeyAnswer>(harness.url, '/api/keys', {
      method: 'POST',
      body: JSON.stringify({
        name: 'checkout-prod',
        team: 'payments',
        application: 'checkout',
        environment: 'production',
        allowedModels: ['chat'],
        rateLimits: { requestsPerMinute: 600 },
        budget: { monthlyUsd: 500 },
      }),
    });
    expect(status).toBe(201);
    expect(body.secret).toMatch(/^keel_sk_[A-Za-z0-9_-]{43}$/);
    expect(body.prefix).toBe(body.secret?.slice(0, 12));
    created = body;
    secret = body.secret ?? '';
    const listed = await api<{ keys: KeyAnswer[] }>(harness.url, '/api/keys');
    expect(listed.body.keys.map((key) => key.id)).toEqual([created.id]);
    expect(listed.body.keys[0]).toMatchObject({
      name: 'checkout-prod',
      team: 'payments',
      prefix: created.prefix,
    });
    const one = await api<KeyAnswer>(harness.url, `/api/keys/${created.id}`);
    expect(one.status).toBe(200);
    for (const text of [JSON.stringify(listed.body), JSON.stringify(one.body)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('secretHash');
    }
  });

  it('refuses a bad POST /api/keys body with KEEL_INVALID_REQUEST naming the field', async () => {
    const { status, body } = await api<{ error: { code: string; param: string } }>(harness.url, '/api/keys', {
      method: 'POST',
      body: JSON.stringify({ name: 'x', rateLimits: { requestsPerMinute: -1 } }),
    });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'KEEL_INVALID_REQUEST', param: 'rateLimits.requestsPerMinute' });
  });

  it('now answers 401 without a key or with a wrong one, on /v1 and prompt routes', async () => {
    const wrong = ask(client(harness.url, 'keel_sk_not-a-real-key'));
    await expect(wrong).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(wrong).rejects.toMatchObject({ status: 401, code: 'KEEL_INVALID_API_KEY' });
    const bare = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="keel"');
    const body = (await bare.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: 'authentication_error', code: 'KEEL_INVALID_API_KEY' });
    expect((await fetch(`${harness.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${harness.url}/qa`, { method: 'POST', body: '{"question":"?"}' })).status).toBe(401);
    // The control API keeps its own guard: a gateway key is not needed there (loopback) and grants nothing.
    expect((await fetch(`${harness.url}/api/keys`)).status).toBe(200);
    expect((await fetch(`${harness.url}/health`)).status).toBe(200);
  });

  it('serves the key, books the call to its application, environment, id and team', async () => {
    const openai = client(harness.url, secret);
    const answer = await openai.chat.completions.create(
      { model: 'chat', messages: [{ role: 'user', content: 'hello' }] },
      { headers: { 'x-keel-application': 'someone-else', 'x-keel-feature-version': 'v7' } },
    );
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'chat',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    const prompt = await fetch(`${harness.url}/qa`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}` },
      body: '{"question":"why?"}',
    });
    expect(prompt.status).toBe(200);
    expect(harness.ended.at(-3)?.metadata).toMatchObject({
      keyId: created.id,
      team: 'payments',
      application: 'checkout',
      environment: 'production',
      featureVersion: 'v7',
    });
  });

  it('refuses a model outside allowedModels with 403, recorded like any failure', async () => {
    const refused = ask(client(harness.url, secret), 'chat-other');
    await expect(refused).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(refused).rejects.toMatchObject({ status: 403, code: 'KEEL_MODEL_NOT_ALLOWED' });
    expect(harness.ended.at(-1)).toMatchObject({
      status: 403,
      outcome: 'error',
      errorCode: 'KEEL_MODEL_NOT_ALLOWED',
      metadata: { keyId: created.id },
      attempts: [],
    });
  });

  it('lists the key id and team on its stored records, filtered by key_id', async () => {
    const { status, body } = await api<{
      items: { keyId?: string; team?: string; application: string; status: number }[];
    }>(harness.url, `/api/requests?key_id=${created.id}`);
    expect(status).toBe(200);
    expect(body.items.map((item) => item.status).sort()).toEqual([200, 200, 200, 403]);
    for (const item of body.items) {
      expect(item).toMatchObject({ keyId: created.id, team: 'payments', application: 'checkout' });
    }
    expect(JSON.stringify(body)).not.toContain(secret);
  });

  it('stops a revoked key at once; revoking again is harmless', async () => {
    const revoked = await api<KeyAnswer>(harness.url, `/api/keys/${created.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const refused = ask(client(harness.url, secret));
    await expect(refused).rejects.toMatchObject({ status: 401, code: 'KEEL_INVALID_API_KEY' });
    await expect(refused).rejects.toThrow(/revoked/);
    const again = await api<KeyAnswer>(harness.url, `/api/keys/${created.id}`, { method: 'DELETE' });
    expect(again).toEqual(revoked);
    const missing = await api<{ error: { code: string } }>(harness.url, '/api/keys/key_nope', {
      method: 'DELETE',
    });
    expect(missing.status).toBe(404);
    // With its only key revoked Keel does not fall back to open.
    await expect(ask(client(harness.url, 'anything'))).rejects.toMatchObject({ status: 401 });
  });

  it('never wrote the secret to a log line or to any file it keeps', async () => {
    await harness.keel.telemetry.flush();
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).toContain(created.id);
    const dir = dirname(harness.keel.config.keys.path);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    expect(files.map((entry) => entry.name)).toContain('keys.db');
    for (const entry of files) {
      const bytes = readFileSync(`${entry.parentPath}/${entry.name}`);
      expect(bytes.includes(Buffer.from(secret.slice(12))), entry.name).toBe(false);
    }
  });
});

describe('gateway keys declared in the config', () => {
  let harness: KeelHarness;
  const secret = 'keel_sk_from-the-environment-0123456789abcdef';

  beforeAll(async () => {
    harness = await startKeel(
      {
        providers,
        models,
        keys: { static: [{ name: 'ci', team: 'platform', secret: '${KEEL_KEY_CI}' }] },
      },
      { env: { KEEL_KEY_CI: secret } },
    );
  });
  afterAll(async () => {
    await harness.close();
  });

  it('accepts the configured secret, lists the key, and will not revoke it over the API', async () => {
    const answer = await ask(client(harness.url, secret));
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(harness.ended.at(-1)?.metadata).toMatchObject({ keyId: 'key_static_ci', team: 'platform' });
    await expect(ask(client(harness.url, 'other'))).rejects.toMatchObject({ status: 401 });
    const listed = await api<{ keys: KeyAnswer[] }>(harness.url, '/api/keys');
    expect(listed.body.keys).toMatchObject([
      { id: 'key_static_ci', source: 'config', prefix: 'keel_sk_from' },
    ]);
    const revoke = await api<{ error: { code: string } }>(harness.url, '/api/keys/key_static_ci', {
      method: 'DELETE',
    });
    expect(revoke.status).toBe(409);
  });
});
