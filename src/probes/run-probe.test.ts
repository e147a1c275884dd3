// runProbe against a real loopback server: what one probe call sends, measures and reports for each way it can end.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../test/support/closed-port.js';
import {
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../test/support/fixture-server.js';
import { parseExpectation } from '../config/probes-schema.js';
import { runProbe, type ProbeCall } from './run-probe.js';

let server: FixtureServer;

beforeAll(async () => {
  server = await startFixtureServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.requests.length = 0;
  server.fallback = undefined;
});

/** SSE text of `data:` events, each a JSON value or a raw string such as [DONE]. */
function sse(...events: unknown[]): string {
  return events
    .map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`)
    .join('');
}

const delta = (content: string) => ({ model: 'gpt-4o-2024', choices: [{ delta: { content } }] });
const usageChunk = {
  model: 'gpt-4o-2024',
  choices: [],
  usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
};
const pongStream = sse(
  { model: 'gpt-4o-2024', choices: [{ delta: { role: 'assistant', content: '' } }] },
  delta('po'),
  delta('ng'),
  usageChunk,
  '[DONE]',
);

function call(overrides: Partial<ProbeCall> = {}): ProbeCall {
  return {
    baseUrl: server.url,
    environment: 'prod',
    model: 'gpt-4o',
    prompt: 'Reply with the single word: pong',
    maxTokens: 16,
    timeoutMs: 5_000,
    ...overrides,
  };
}

describe('runProbe: a streamed answer', () => {
  it('measures a complete stream and reads usage, served model and provider', async () => {
    server.enqueue({ kind: 'sse', text: pongStream, headers: { 'x-keel-provider': 'openai-primary' } });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({
      environment: 'prod',
      model: 'gpt-4o',
      success: true,
      status: 200,
      promptTokens: 12,
      completionTokens: 2,
      totalTokens: 14,
      provider: 'openai-primary',
      servedModel: 'gpt-4o-2024',
      errorCode: null,
      error: null,
    });
    expect(outcome.ttftMs).not.toBeNull();
    expect(outcome.latencyMs).not.toBeNull();
    expect(outcome.ttftMs ?? Infinity).toBeLessThanOrEqual(outcome.latencyMs ?? 0);
  });

  it('sends one labelled streamed chat completion with usage, max_tokens and the bearer key', async () => {
    server.enqueue({ kind: 'sse', text: pongStream });
    await runProbe(call({ baseUrl: `${server.url}//`, apiKey: 'sk-probe', maxTokens: 7, environment: 'qa' }));
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'x-keel-environment': 'qa',
      'x-keel-application': 'keel-probe',
      authorization: 'Bearer sk-probe',
    });
    expect(request?.body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply with the single word: pong' }],
      max_tokens: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends no authorization header without a key, and no provider is read from a non-Keel endpoint', async () => {
    server.enqueue({ kind: 'sse', text: pongStream });
    const outcome = await runProbe(call());
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(outcome.provider).toBeNull();
  });

  it('sums prompt and completion tokens when usage has no total', async () => {
    const usage = { choices: [], usage: { prompt_tokens: 5, completion_tokens: 3 } };
    server.enqueue({ kind: 'sse', text: sse(delta('pong'), usage, '[DONE]') });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: true, promptTokens: 5, completionTokens: 3, totalTokens: 8 });
  });

  it('reads CRLF-separated events and data: without a space', async () => {
    const text = ['data:{"choices":[{"delta":{"content":"pong"}}]}', 'data: [DONE]', ''].join('\r\n\r\n');
    server.enqueue({
      kind: 'handler',
      handle: (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
        response.end(text);
      },
    });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: true, errorCode: null });
  });

  it('decodes a character whose bytes arrive in two chunks', async () => {
    const bytes = Buffer.from(sse(delta('café'), '[DONE]'));
    const split = bytes.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
    server.enqueue({
      kind: 'handler',
      handle: (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(bytes.subarray(0, split));
        setTimeout(() => response.end(bytes.subarray(split)), 20);
      },
    });
    const outcome = await runProbe(call({ expect: parseExpectation('café') }));
    expect(outcome).toMatchObject({ success: true, errorCode: null });
  });
});

describe('runProbe: the answer against probes.expect', () => {
  it.each<[string, string, boolean]>([
    ['a substring, case-insensitive', 'PONG', true],
    ['a substring that is not there', 'ping', false],
    ['a regular expression that matches', '/^po+ng$/', true],
    ['a regular expression with flags', '/^PONG$/i', true],
    ['a regular expression that does not match', '/^ping$/', false],
  ])('%s', async (_name, expectation, success) => {
    server.enqueue({ kind: 'sse', text: pongStream });
    const outcome = await runProbe(call({ expect: parseExpectation(expectation) }));
    expect(outcome.success).toBe(success);
    expect(outcome.status).toBe(200);
    if (success) {
      expect(outcome.errorCode).toBeNull();
    } else {
      expect(outcome.errorCode).toBe('KEEL_PROBE_UNEXPECTED_ANSWER');
      expect(outcome.error).toContain('"pong"');
    }
  });

  it.each<[string, string]>([
    ['no content at all', sse(usageChunk, '[DONE]')],
    ['only empty deltas', sse(delta(''), usageChunk, '[DONE]')],
    ['only whitespace', sse(delta('  '), delta('\n'), '[DONE]')],
  ])('refuses an empty answer: %s', async (_name, text) => {
    server.enqueue({ kind: 'sse', text });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: false, status: 200, errorCode: 'KEEL_PROBE_EMPTY_ANSWER' });
  });

  it('leaves ttftMs null when only empty deltas came', async () => {
    server.enqueue({ kind: 'sse', text: sse(delta(''), '[DONE]') });
    expect((await runProbe(call())).ttftMs).toBeNull();
  });
});

describe('runProbe: failures', () => {
  const json = (status: number, body: unknown): FixtureReply => ({ kind: 'json', status, body });
  const bare = (status: number): FixtureReply => ({
    kind: 'handler',
    handle: (_request, response: ServerResponse) => {
      response.writeHead(status);
      response.end();
    },
  });

  it.each<[string, FixtureReply, number, string, string]>([
    [
      'an OpenAI error body',
      json(503, { error: { code: 'overloaded', message: 'try later', type: 'server_error' } }),
      503,
      'overloaded',
      'try later',
    ],
    [
      'a Keel error body',
      json(504, { error: { code: 'KEEL_UPSTREAM_TIMEOUT', message: 'no answer in 30000 ms' } }),
      504,
      'KEEL_UPSTREAM_TIMEOUT',
      'no answer in 30000 ms',
    ],
    [
      'an error body with a null code',
      json(500, { error: { code: null, message: 'boom' } }),
      500,
      'KEEL_PROBE_HTTP_ERROR',
      'boom',
    ],
    ['no body', bare(502), 502, 'KEEL_PROBE_HTTP_ERROR', 'HTTP 502'],
    [
      'a body that is not JSON',
      { kind: 'handler', handle: (_r, response) => response.writeHead(500).end('<html>oops</html>') },
      500,
      'KEEL_PROBE_HTTP_ERROR',
      'HTTP 500',
    ],
    [
      'a 4xx',
      json(401, { error: { code: 'KEEL_AUTH_INVALID_KEY', message: 'bad key' } }),
      401,
      'KEEL_AUTH_INVALID_KEY',
      'bad key',
    ],
  ])('an HTTP error with %s', async (_name, reply, status, errorCode, error) => {
    server.enqueue(reply);
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: false, status, errorCode, error });
    expect(outcome.latencyMs).not.toBeNull();
  });

  it('a stream cut before [DONE] is KEEL_PROBE_STREAM_CUT, with what came before it', async () => {
    server.enqueue({ kind: 'sse', text: pongStream, cutAfterEvents: 2 });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: false, status: 200, errorCode: 'KEEL_PROBE_STREAM_CUT' });
    expect(outcome.ttftMs).not.toBeNull();
  });

  it('a stream that ends cleanly without [DONE] is KEEL_PROBE_STREAM_CUT', async () => {
    server.enqueue({ kind: 'sse', text: sse(delta('pong'), usageChunk) });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({
      success: false,
      errorCode: 'KEEL_PROBE_STREAM_CUT',
      error: 'the stream ended before [DONE]',
      promptTokens: 12,
    });
  });

  it.each<[string, unknown, string, string]>([
    [
      'with a code',
      { error: { code: 'KEEL_UPSTREAM_ERROR', message: 'upstream went away' } },
      'KEEL_UPSTREAM_ERROR',
      'upstream went away',
    ],
    ['without a code', { error: { message: 'stream failed' } }, 'KEEL_PROBE_STREAM_CUT', 'stream failed'],
  ])('an error event mid-stream %s ends the probe with it', async (_name, event, errorCode, error) => {
    server.enqueue({ kind: 'sse', text: sse(delta('po'), event, delta('ng'), '[DONE]') });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: false, status: 200, errorCode, error });
  });

  it('a server that answers one JSON completion succeeds, with no ttft', async () => {
    server.enqueue({
      kind: 'json',
      headers: { 'x-keel-provider': 'mock' },
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'gpt-4o-2024',
        choices: [{ index: 0, message: { role: 'assistant', content: 'pong' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
      },
    });
    const outcome = await runProbe(call({ expect: parseExpectation('pong') }));
    expect(outcome).toMatchObject({
      success: true,
      status: 200,
      ttftMs: null,
      promptTokens: 9,
      completionTokens: 1,
      totalTokens: 10,
      provider: 'mock',
      servedModel: 'gpt-4o-2024',
      errorCode: null,
    });
    expect(outcome.latencyMs).not.toBeNull();
  });

  it('a JSON completion of several hundred kilobytes is still read whole', async () => {
    const content = `pong${' and then some'.repeat(20_000)}`;
    server.enqueue({
      kind: 'json',
      body: {
        model: 'gpt-4o-2024',
        choices: [{ message: { role: 'assistant', content } }],
        usage: { total_tokens: 4_000 },
      },
    });
    const outcome = await runProbe(call({ expect: parseExpectation('/^pong/') }));
    expect(outcome).toMatchObject({
      success: true,
      errorCode: null,
      totalTokens: 4_000,
      servedModel: 'gpt-4o-2024',
    });
  });

  it('an HTTP error body of several hundred kilobytes still gives its code', async () => {
    server.enqueue({
      kind: 'json',
      status: 400,
      body: { error: { code: 'KEEL_BAD_REQUEST', message: 'x'.repeat(300_000) } },
    });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({ success: false, status: 400, errorCode: 'KEEL_BAD_REQUEST' });
    expect(outcome.error).toHaveLength(500);
  });

  it('a stream that never ends a line stops at 1 MiB as KEEL_PROBE_BAD_RESPONSE, not at the timeout', async () => {
    server.enqueue({
      kind: 'handler',
      handle: (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const piece = `data: ${'x'.repeat(64 * 1024)}`;
        const write = () => {
          if (!response.destroyed && response.write(piece)) setImmediate(write);
          else if (!response.destroyed) response.once('drain', write);
        };
        response.on('close', () => undefined);
        write();
      },
    });
    const outcome = await runProbe(call({ timeoutMs: 20_000 }));
    expect(outcome).toMatchObject({ success: false, status: 200, errorCode: 'KEEL_PROBE_BAD_RESPONSE' });
    expect(outcome.error).toContain('larger than 1048576 bytes');
  });

  it('a JSON completion with an empty message is KEEL_PROBE_EMPTY_ANSWER', async () => {
    server.enqueue({ kind: 'json', body: { choices: [{ message: { role: 'assistant', content: '' } }] } });
    expect((await runProbe(call())).errorCode).toBe('KEEL_PROBE_EMPTY_ANSWER');
  });

  it('a 200 JSON error body reports its code', async () => {
    server.enqueue({
      kind: 'json',
      body: { error: { code: 'KEEL_BUDGET_EXCEEDED', message: 'over budget' } },
    });
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({
      success: false,
      errorCode: 'KEEL_BUDGET_EXCEEDED',
      error: 'over budget',
    });
  });

  it.each<[string, FixtureReply]>([
    ['JSON that is not a completion', { kind: 'json', body: { hello: 'world' } }],
    ['a JSON array', { kind: 'json', body: [1, 2] }],
    [
      'a completion whose content is null',
      { kind: 'json', body: { choices: [{ message: { content: null } }] } },
    ],
    [
      'text that is not JSON',
      {
        kind: 'handler',
        handle: (_r, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('pong'),
      },
    ],
  ])('%s is KEEL_PROBE_BAD_RESPONSE', async (_name, reply) => {
    server.enqueue(reply);
    const outcome = await runProbe(call());
    expect(outcome).toMatchObject({
      success: false,
      status: 200,
      errorCode: 'KEEL_PROBE_BAD_RESPONSE',
      error: 'the answer is not a chat completion',
    });
  });

  it('a refused connection is KEEL_PROBE_UNREACHABLE, with no status or latency', async () => {
    const port = await closedPort();
    const outcome = await runProbe(call({ baseUrl: `http://127.0.0.1:${port}` }));
    expect(outcome).toMatchObject({
      success: false,
      status: null,
      latencyMs: null,
      ttftMs: null,
      errorCode: 'KEEL_PROBE_UNREACHABLE',
    });
    expect(outcome.error).not.toBe('');
  });

  it('a server that never answers is KEEL_PROBE_TIMEOUT after timeoutMs', async () => {
    server.enqueue({ kind: 'hang' });
    const outcome = await runProbe(call({ timeoutMs: 100 }));
    expect(outcome).toMatchObject({
      success: false,
      status: null,
      latencyMs: null,
      errorCode: 'KEEL_PROBE_TIMEOUT',
    });
  });

  it('a stream that stalls after its headers is KEEL_PROBE_TIMEOUT, with the status and the first token', async () => {
    server.enqueue({
      kind: 'handler',
      handle: (_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(sse(delta('po')));
      },
    });
    const outcome = await runProbe(call({ timeoutMs: 150 }));
    expect(outcome).toMatchObject({ success: false, status: 200, errorCode: 'KEEL_PROBE_TIMEOUT' });
    expect(outcome.ttftMs).not.toBeNull();
    expect(outcome.latencyMs).not.toBeNull();
  });

  it('an already aborted signal ends the call as a timeout without waiting for timeoutMs', async () => {
    server.fallback = { kind: 'hang' };
    const controller = new AbortController();
    controller.abort(new Error('probes stopped'));
    const outcome = await runProbe(call({ timeoutMs: 60_000, signal: controller.signal }));
    expect(outcome).toMatchObject({ success: false, status: null, errorCode: 'KEEL_PROBE_TIMEOUT' });
  });

  it('a signal aborted while the server hangs ends the call as a timeout', async () => {
    server.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    const pending = runProbe(call({ timeoutMs: 60_000, signal: controller.signal }));
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort(new Error('probes stopped'));
    const outcome = await pending;
    expect(outcome).toMatchObject({ success: false, status: null, errorCode: 'KEEL_PROBE_TIMEOUT' });
    expect(outcome.error).toContain('probes stopped');
  });
});
