// Trace ids at the edge, tracing off: every answer, stream and refusal carries one, and so does its record.
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestsPage } from '../src/store/store.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const incomingTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const incomingSpanId = '00f067aa0ba902b7';
const traceparent = `00-${incomingTraceId}-${incomingSpanId}-01`;

describe('trace context at the edge', () => {
  let harness: KeelHarness;

  beforeAll(async () => {
    harness = await startKeel({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 3 }],
      models: [{ name: 'chat-default', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  const messages = [{ role: 'user' as const, content: 'Hi' }];

  async function storedTraceId(requestId: string | null): Promise<string | undefined> {
    const response = await fetch(`${harness.url}/api/requests?limit=100`);
    const page = (await response.json()) as RequestsPage;
    const record = page.items.find((item) => item.requestId === requestId);
    if (record === undefined) throw new Error(`no record of request ${String(requestId)}`);
    return record.traceId;
  }

  it('honours a valid traceparent: the response header, the event and the record carry its trace id', async () => {
    const { response } = await harness.client.chat.completions
      .create({ model: 'chat-default', messages }, { headers: { traceparent, tracestate: 'vendor=1' } })
      .withResponse();
    expect(response.headers.get('x-keel-trace-id')).toBe(incomingTraceId);
    expect(harness.ended.at(-1)?.trace).toEqual({
      traceId: incomingTraceId,
      parentSpanId: incomingSpanId,
      sampled: true,
      traceState: 'vendor=1',
    });
    expect(await storedTraceId(response.headers.get('x-keel-request-id'))).toBe(incomingTraceId);
  });

  it('gives a request without traceparent a fresh trace id of its own', async () => {
    const first = await harness.client.chat.completions
      .create({ model: 'chat-default', messages })
      .withResponse();
    const second = await harness.client.chat.completions
      .create({ model: 'chat-default', messages }, { headers: { traceparent: 'not-a-traceparent' } })
      .withResponse();
    const firstId = first.response.headers.get('x-keel-trace-id');
    const secondId = second.response.headers.get('x-keel-trace-id');
    expect(firstId).toMatch(/^[0-9a-f]{32}$/);
    expect(secondId).toMatch(/^[0-9a-f]{32}$/);
    expect(firstId).not.toBe(secondId);
    expect(await storedTraceId(first.response.headers.get('x-keel-request-id'))).toBe(firstId);
    expect(harness.ended.at(-1)?.trace.parentSpanId).toBeUndefined();
  });

  it('names the trace id on a stream', async () => {
    const { data, response } = await harness.client.chat.completions
      .create({ model: 'chat-default', messages, stream: true }, { headers: { traceparent } })
      .withResponse();
    for await (const _chunk of data) {
      // Read to the end.
    }
    expect(response.headers.get('x-keel-trace-id')).toBe(incomingTraceId);
  });

  it('gives a request refused before routing (unknown model) a trace id, in the error reply and the record', async () => {
    const error = await harness.client.chat.completions
      .create({ model: 'no-such-model', messages }, { headers: { traceparent } })
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(APIError);
    const headers = (error as APIError).headers;
    expect((error as APIError).status).toBe(404);
    expect(headers?.get('x-keel-trace-id')).toBe(incomingTraceId);
    expect(harness.ended.at(-1)?.trace.traceId).toBe(incomingTraceId);
    expect(await storedTraceId(headers?.get('x-keel-request-id') ?? null)).toBe(incomingTraceId);
  });
});
