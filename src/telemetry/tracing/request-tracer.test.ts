// Unit tests of the request tracer: spans built from synthetic request:end events, read from an in-memory exporter.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { AttemptRecord, RequestEndEvent } from '../events.js';
import { makeAttempt, makeRequestEnd } from '../../../test/support/telemetry-events.js';
import { PresetTraceIdGenerator } from './preset-trace-id-generator.js';
import { RequestTracer, toHrTime } from './request-tracer.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const receivedAtMs = Date.parse('2026-01-01T00:00:00Z');

function attempt(
  fields: Partial<AttemptRecord> & Pick<AttemptRecord, 'index' | 'providerId' | 'modelId'>,
): AttemptRecord {
  return makeAttempt({ startedAtMs: receivedAtMs + 1, ...fields });
}

function requestEnd(fields: Partial<RequestEndEvent> = {}): RequestEndEvent {
  return makeRequestEnd({
    receivedAtMs,
    trace: { traceId, sampled: true },
    finishReason: 'stop',
    totalMs: 150.5,
    upstreamMs: 100,
    overheadMs: 50.5,
    attempts: [attempt({ index: 1, providerId: 'primary', modelId: 'gpt-4o' })],
    ...fields,
  });
}

function setup(
  options: { sampleRatio?: number; costUsd?: (event: RequestEndEvent) => number | undefined } = {},
) {
  const exporter = new InMemorySpanExporter();
  const traceIds = new PresetTraceIdGenerator();
  const provider = new BasicTracerProvider({
    idGenerator: traceIds,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = new RequestTracer({
    tracer: provider.getTracer('test'),
    traceIds,
    costUsd: options.costUsd,
    providers: [
      { id: 'primary', type: 'openai', baseUrl: 'https://api.openai.com/v1' },
      { id: 'claude', type: 'anthropic', baseUrl: 'http://127.0.0.1:8443' },
      { id: 'sim', type: 'mock' },
    ],
  });
  const spans = () => exporter.getFinishedSpans();
  const server = () => spans().filter((span) => span.kind === SpanKind.SERVER);
  const clients = () => spans().filter((span) => span.kind === SpanKind.CLIENT);
  return { tracer, spans, server, clients };
}

function only(spans: ReadableSpan[]): ReadableSpan {
  expect(spans).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

describe('RequestTracer', () => {
  it('times the request span by the event, and names the served model, usage, cost and provider endpoint', () => {
    const { tracer, server, clients } = setup({ costUsd: () => 0.00042 });
    tracer.record(
      requestEnd({ ttftMs: 20, request: { messages: [], maxTokens: 64, temperature: 0, topP: 0.9 } }),
    );
    const span = only(server());
    expect(span.name).toBe('chat smart');
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.startTime).toEqual(toHrTime(receivedAtMs));
    expect(span.endTime).toEqual(toHrTime(receivedAtMs + 150.5));
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 30,
      'keel.cost_usd': 0.00042,
      'keel.ttft_ms': 20,
    });
    const client = only(clients());
    expect(client.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
    expect(client.attributes).toMatchObject({ 'server.address': 'api.openai.com', 'server.port': 443 });
    expect(client.startTime).toEqual(toHrTime(receivedAtMs + 1));
    expect(client.endTime).toEqual(toHrTime(receivedAtMs + 101));
  });

  it('makes a skipped target an event on the request span, not a client span', () => {
    const { tracer, server, clients } = setup();
    tracer.record(
      requestEnd({
        providerId: 'claude',
        providerType: 'anthropic',
        attempts: [
          attempt({
            index: 1,
            providerId: 'primary',
            modelId: 'gpt-4o',
            outcome: 'skipped',
            durationMs: 0,
            errorCode: 'KEEL_CIRCUIT_OPEN',
          }),
          attempt({
            index: 2,
            providerId: 'claude',
            modelId: 'claude-3-5-haiku',
            startedAtMs: receivedAtMs + 2,
          }),
        ],
      }),
    );
    const span = only(server());
    expect(span.attributes).toMatchObject({ 'keel.attempts': 2, 'keel.failover': true });
    expect(span.events.map((event) => [event.name, event.attributes])).toEqual([
      [
        'keel.attempt.skipped',
        { 'keel.target': 'primary/gpt-4o', 'keel.attempt_index': 1, 'error.type': 'KEEL_CIRCUIT_OPEN' },
      ],
    ]);
    const client = only(clients());
    expect(client.name).toBe('chat claude-3-5-haiku');
    expect(client.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'server.address': '127.0.0.1',
      'server.port': 8443,
    });
  });

  it('marks a stream that broke after its first byte: request span ERROR, the serving attempt OK', () => {
    const { tracer, server, clients } = setup();
    tracer.record(
      requestEnd({
        stream: true,
        outcome: 'error',
        errorCode: 'KEEL_STREAM_INTERRUPTED',
        errorMessage: 'The upstream stream broke.',
        usage: undefined,
      }),
    );
    const span = only(server());
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'The upstream stream broke.' });
    expect(span.attributes['error.type']).toBe('KEEL_STREAM_INTERRUPTED');
    const client = only(clients());
    expect(client.status.code).toBe(SpanStatusCode.UNSET);
    expect(client.attributes['gen_ai.response.model']).toBe('gpt-4o-2024-08-06');
  });

  it('samples roots by sampleRatio, but follows a sampled caller', () => {
    const { tracer, spans } = setup({ sampleRatio: 0 });
    tracer.record(requestEnd());
    expect(spans()).toHaveLength(0);
    tracer.record(
      requestEnd({ trace: { traceId, parentSpanId: callerSpanId, sampled: true, traceState: 'v=1' } }),
    );
    const [server, client] = spans().sort((a, b) => a.kind - b.kind);
    expect(server?.parentSpanContext).toMatchObject({ traceId, spanId: callerSpanId, isRemote: true });
    expect(server?.spanContext().traceState?.get('v')).toBe('1');
    expect(client?.spanContext().traceId).toBe(traceId);
  });

  it('gives a root span after a parented one the preset trace id, never a stale one', () => {
    const { tracer, server } = setup();
    const otherTraceId = 'a'.repeat(32);
    tracer.record(requestEnd({ trace: { traceId, parentSpanId: callerSpanId, sampled: true } }));
    tracer.record(requestEnd({ trace: { traceId: otherTraceId, sampled: true } }));
    expect(server().map((span) => span.spanContext().traceId)).toEqual([traceId, otherTraceId]);
  });
});

describe('PresetTraceIdGenerator', () => {
  it('hands out a preset trace id once, then random ones', () => {
    const generator = new PresetTraceIdGenerator();
    generator.preset(traceId);
    expect(generator.generateTraceId()).toBe(traceId);
    const next = generator.generateTraceId();
    expect(next).toMatch(/^[0-9a-f]{32}$/);
    expect(next).not.toBe(traceId);
    expect(generator.generateSpanId()).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('toHrTime', () => {
  it.each([
    [0, [0, 0]],
    [1500.25, [1, 500_250_000]],
    [receivedAtMs, [receivedAtMs / 1000, 0]],
    [999.9999999, [1, 0]],
  ])('turns %s ms into %j', (ms, hrTime) => {
    expect(toHrTime(ms)).toEqual(hrTime);
  });
});
