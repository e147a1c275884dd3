// Streams that fail: before the first byte they fail over; after it they end with an explicit error event.
import { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';
import type { KeelConfigInput } from '../src/config/index.js';

const openaiStream = () =>
  readFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion-stream.sse');

describe('streaming failures', () => {
  let primary: FixtureServer;
  let backup: FixtureServer;
  let harness: KeelHarness;

  const start = async (reliability: KeelConfigInput['reliability'] = {}) => {
    harness = await startKeel({
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
      reliability: { retry: { maxAttempts: 1 }, ...reliability },
    });
  };

  beforeEach(async () => {
    [primary, backup] = await Promise.all([startFixtureServer(), startFixtureServer()]);
  });
  afterEach(async () => {
    await harness.close();
    await Promise.all([primary.close(), backup.close()]);
  });

  const read = async () => {
    const stream = await harness.client.chat.completions.create({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (error) {
      return { text, error };
    }
    return { text, error: undefined };
  };

  it('surfaces a mid-stream cut as an error event, never a clean end', async () => {
    await start();
    primary.enqueue({ kind: 'sse', text: openaiStream(), cutAfterEvents: 3 });
    const { text, error } = await read();
    expect(text).toBe('Hello!');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('KEEL_STREAM_INTERRUPTED');
    expect(backup.requests).toHaveLength(0); // too late to fail over: bytes reached the client
    expect(harness.ended.at(-1)).toMatchObject({
      outcome: 'error',
      errorCode: 'KEEL_STREAM_INTERRUPTED',
      status: 200,
    });
  });

  it('writes the error event as a data line with no [DONE] after it', async () => {
    await start();
    primary.enqueue({ kind: 'sse', text: openaiStream(), cutAfterEvents: 3 });
    const response = await fetch(`${harness.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chat-default',
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    const body = await response.text();
    const events = body.trim().split('\n\n');
    expect(events.at(-1)).toMatch(
      /^data: \{"error":\{"message":".*","type":"server_error","param":null,"code":"KEEL_STREAM_INTERRUPTED"/,
    );
    expect(body).not.toContain('[DONE]');
  });

  it('fails over when the stream fails before its first byte', async () => {
    await start();
    primary.enqueue({ kind: 'json', status: 503, body: { error: { message: 'overloaded' } } });
    backup.enqueue({ kind: 'sse', text: openaiStream() });
    const { text, error } = await read();
    expect(error).toBeUndefined();
    expect(text).toBe('Hello! How can I help?');
    expect(backup.requests).toHaveLength(1);
  });

  it('fails over when the first token is too slow (TTFT deadline)', async () => {
    await start({ ttftMs: 150 });
    primary.enqueue({ kind: 'sse', text: openaiStream(), firstByteDelayMs: 3000 });
    backup.enqueue({ kind: 'sse', text: openaiStream() });
    const { text, error } = await read();
    expect(error).toBeUndefined();
    expect(text).toBe('Hello! How can I help?');
    expect(harness.ended.at(-1)?.attempts[0]?.errorCode).toBe('KEEL_STREAM_TTFT_TIMEOUT');
  });

  it('fails over when a stream attempt passes its attempt deadline before the first token', async () => {
    await start({ attemptTimeoutMs: 150 });
    primary.enqueue({ kind: 'sse', text: openaiStream(), firstByteDelayMs: 3000 });
    backup.enqueue({ kind: 'sse', text: openaiStream() });
    const { text, error } = await read();
    expect(error).toBeUndefined();
    expect(text).toBe('Hello! How can I help?');
    expect(harness.ended.at(-1)?.attempts[0]?.errorCode).toBe('KEEL_UPSTREAM_TIMEOUT');
  });

  it('ends a stream that goes silent with an idle-timeout error event', async () => {
    await start({ idleMs: 150 });
    primary.enqueue({ kind: 'sse', text: openaiStream(), eventDelayMs: 1000 });
    const { text, error } = await read();
    // The first token is waited for under the TTFT deadline (none here); the silence after it is cut.
    expect(text).toBe('Hello');
    expect((error as APIError).code).toBe('KEEL_STREAM_IDLE_TIMEOUT');
  });

  it('lets a started stream outlive the request deadline while it keeps flowing', async () => {
    await start({ timeoutMs: 300, idleMs: 1000 });
    primary.enqueue({ kind: 'sse', text: openaiStream(), eventDelayMs: 120 });
    const { text, error } = await read();
    expect(error).toBeUndefined();
    expect(text).toBe('Hello! How can I help?');
    expect(harness.ended.at(-1)?.totalMs).toBeGreaterThan(300);
  });

  it('records time to first token for streams', async () => {
    await start();
    primary.enqueue({ kind: 'sse', text: openaiStream() });
    await read();
    const ended = harness.ended.at(-1);
    expect(ended?.ttftMs).toBeGreaterThan(0);
    expect(ended?.ttftMs).toBeLessThanOrEqual(ended?.totalMs ?? 0);
    expect(ended?.usage).toMatchObject({ inputTokens: 9, outputTokens: 6 });
  });
});
