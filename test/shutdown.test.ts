// Graceful shutdown in-process: in-flight streams finish, new requests are refused, stragglers are cut.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { textReader } from './support/read-body.js';
import { readFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const openaiStream = () =>
  readFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion-stream.sse');

describe('graceful shutdown', () => {
  let upstream: FixtureServer;
  let harness: KeelHarness;

  beforeEach(async () => {
    upstream = await startFixtureServer();
    harness = await startKeel({
      providers: [{ id: 'primary', type: 'openai', baseUrl: `${upstream.url}/v1` }],
      models: [{ name: 'chat-default', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] }],
    });
  });
  afterEach(async () => {
    await harness.close();
    await upstream.close();
  });

  const openStream = () =>
    fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chat-default',
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });

  it('finishes an in-flight stream before stopping', async () => {
    upstream.enqueue({ kind: 'sse', text: openaiStream(), eventDelayMs: 80 });
    const response = await openStream();
    const reader = textReader(response);
    let body = (await reader.next()) ?? '';
    const closing = harness.keel.close(5000);
    body += await reader.rest();
    expect(body).toContain('How can I help?');
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    expect(await closing).toEqual({ drained: true });
  });

  it('refuses new requests once closing', async () => {
    upstream.enqueue({ kind: 'sse', text: openaiStream(), eventDelayMs: 80 });
    const inFlight = await openStream();
    const closing = harness.keel.close(5000);
    // On a kept-alive connection the request reaches Keel and gets its error; otherwise it is refused.
    const late = await openStream().then(
      async (response) =>
        `${response.status} ${((await response.json()) as { error: { code: string } }).error.code}`,
      () => 'refused',
    );
    expect(['503 KEEL_SHUTTING_DOWN', 'refused']).toContain(late);
    await inFlight.text();
    await closing;
  });

  it('cuts streams still running after the grace period with an explicit error', async () => {
    upstream.enqueue({ kind: 'sse', text: openaiStream(), eventDelayMs: 1000 });
    const response = await openStream();
    const reader = textReader(response);
    await reader.next();
    const closing = harness.keel.close(100);
    const body = await reader.rest();
    expect(body).toContain('KEEL_SHUTTING_DOWN');
    expect(body).not.toContain('[DONE]');
    expect(await closing).toEqual({ drained: false });
  });
});
