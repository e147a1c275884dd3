// Bad input gets a 4xx with a stable code and a clear message, never a 500, a crash or a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type KeelHarness } from './support/keel-harness.js';
import { NotFoundError } from 'openai';

describe('bad input at the edge', () => {
  let harness: KeelHarness;

  beforeAll(async () => {
    harness = await startKeel({
      server: { bodyLimitBytes: 4096 },
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7 }],
      models: [{ name: 'chat-default', targets: [{ provider: 'sim', model: 'sim-1' }] }],
      routes: [{ path: '/qa', model: 'chat-default', template: 'Q: {{question}}' }],
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  const post = async (path: string, body: string, contentType = 'application/json') => {
    const response = await fetch(`${harness.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        error: { code: string; message: string; param: string | null; type: string };
      },
    };
  };
  const chat = (body: unknown) => post('/v1/chat/completions', JSON.stringify(body));

  it.each([
    ['invalid JSON', () => post('/v1/chat/completions', '{"model": '), 400, 'KEEL_INVALID_JSON', null],
    ['an empty body', () => post('/v1/chat/completions', ''), 400, 'KEEL_INVALID_JSON', null],
    ['a JSON array', () => chat([1, 2]), 400, 'KEEL_INVALID_REQUEST', null],
    [
      'no model',
      () => chat({ messages: [{ role: 'user', content: 'x' }] }),
      400,
      'KEEL_INVALID_REQUEST',
      'model',
    ],
    [
      'a numeric model',
      () => chat({ model: 5, messages: [{ role: 'user', content: 'x' }] }),
      400,
      'KEEL_INVALID_REQUEST',
      'model',
    ],
    [
      'empty messages',
      () => chat({ model: 'chat-default', messages: [] }),
      400,
      'KEEL_INVALID_REQUEST',
      'messages',
    ],
    [
      'messages as a string',
      () => chat({ model: 'chat-default', messages: 'hi' }),
      400,
      'KEEL_INVALID_REQUEST',
      'messages',
    ],
    [
      'a bad role',
      () => chat({ model: 'chat-default', messages: [{ role: 'wizard', content: 'x' }] }),
      400,
      'KEEL_INVALID_REQUEST',
      'messages[0].role',
    ],
    [
      'a string temperature',
      () => chat({ model: 'chat-default', temperature: 'hot', messages: [{ role: 'user', content: 'x' }] }),
      400,
      'KEEL_INVALID_REQUEST',
      'temperature',
    ],
    [
      'an unknown model',
      () => chat({ model: 'gpt-17', messages: [{ role: 'user', content: 'x' }] }),
      404,
      'KEEL_UNKNOWN_MODEL',
      'model',
    ],
    [
      'an unknown provider prefix',
      () => chat({ model: 'nope/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      404,
      'KEEL_UNKNOWN_MODEL',
      'model',
    ],
    [
      'an oversized body',
      () => chat({ model: 'chat-default', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }),
      413,
      'KEEL_BODY_TOO_LARGE',
      null,
    ],
    ['an unknown route', () => post('/v2/whatever', '{}'), 404, 'KEEL_ROUTE_NOT_FOUND', null],
    [
      'a prompt route missing its variable',
      () => post('/qa', '{"q": "typo"}'),
      400,
      'KEEL_INVALID_REQUEST',
      'question',
    ],
    ['a prompt route given an array', () => post('/qa', '[]'), 400, 'KEEL_INVALID_REQUEST', null],
  ] as const)('answers %s with a clear 4xx', async (_name, send, status, code, param) => {
    const { status: actualStatus, body } = await send();
    expect(actualStatus).toBe(status);
    expect(body.error.code).toBe(code);
    expect(body.error.param).toBe(param);
    expect(body.error.message.length).toBeGreaterThan(10);
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const response = await fetch(`${harness.url}/v1/chat/completions`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe('KEEL_METHOD_NOT_ALLOWED');
  });

  it('still serves after all that bad input', async () => {
    const completion = await harness.client.chat.completions.create({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it('reads a body sent without a JSON content type', async () => {
    const { status } = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'chat-default', messages: [{ role: 'user', content: 'x' }] }),
      'application/x-www-form-urlencoded',
    );
    expect(status).toBe(200);
  });

  it('gives the SDK a NotFoundError for an unknown model', async () => {
    const error = await harness.client.chat.completions
      .create({ model: 'gpt-17', messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toContain('chat-default');
    // Refused before routing, yet recorded like any other request.
    expect(harness.ended.at(-1)).toMatchObject({
      requestedModel: 'gpt-17',
      outcome: 'error',
      status: 404,
      errorCode: 'KEEL_UNKNOWN_MODEL',
      attempts: [],
    });
  });

  it('serves prompt routes from a JSON body of variables', async () => {
    const response = await post('/qa', JSON.stringify({ question: 'Why retry?' }));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ route: '/qa', provider: 'sim', model: 'sim-1' });
  });
});
