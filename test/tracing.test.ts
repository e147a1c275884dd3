// OpenTelemetry traces end to end: Keel exports OTLP/HTTP JSON to a real local receiver.
import { APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import type { RequestsPage } from '../src/store/store.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';
import {
  spanKind,
  startOtlpReceiver,
  statusCode,
  type OtlpReceiver,
  type ReceivedSpan,
} from './support/otlp-receiver.js';
import { closedPort } from './support/closed-port.js';

const incomingTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const incomingSpanId = '00f067aa0ba902b7';

/** Breakers that never open, so every scripted outcome reaches the provider it was written for. */
const neverOpen = { consecutiveFailures: 1_000, minimumRequests: 1_000 };

function config(tracing: NonNullable<KeelConfigInput['telemetry']>['tracing']): KeelConfigInput {
  return {
    providers: [
      // alpha: two answers, then a 500 that makes the third request fail over to beta.
      { id: 'alpha', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 1, script: ['ok', 'ok', '500'] },
      { id: 'beta', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 2 },
    ],
    models: [
      {
        name: 'chat-default',
        strategy: 'fallback',
        targets: [
          { provider: 'alpha', model: 'alpha-1' },
          { provider: 'beta', model: 'beta-1' },
        ],
      },
    ],
    reliability: { retry: { maxAttempts: 1 }, circuitBreaker: neverOpen },
    telemetry: { tracing },
  };
}

const messages = [{ role: 'user' as const, content: 'Tell me about gateways.' }];

describe('OpenTelemetry traces over OTLP/HTTP', () => {
  let receiver: OtlpReceiver | undefined;
  let harness: KeelHarness | undefined;

  afterEach(async () => {
    await harness?.close();
    await receiver?.close();
    harness = undefined;
    receiver = undefined;
  });

  it('exports a server span per request and a client span per attempt, with GenAI attributes', async () => {
    receiver = await startOtlpReceiver();
    harness = await startKeel(
      config({
        enabled: true,
        endpoint: receiver.endpoint,
        headers: { 'x-collector-key': 'secret-key' },
        serviceName: 'keel-under-test',
      }),
    );
    const keel = harness;

    // 1. With a traceparent: Keel's span is a child of the caller's span, in the caller's trace.
    const withParent = await keel.client.chat.completions
      .create(
        { model: 'chat-default', messages, max_tokens: 50, temperature: 0.5 },
        {
          headers: {
            traceparent: `00-${incomingTraceId}-${incomingSpanId}-01`,
            'x-keel-environment': 'prod',
            'x-keel-application': 'search',
          },
        },
      )
      .withResponse();
    // 2. Without one: a root span in a trace of its own.
    const root = await keel.client.chat.completions
      .create({ model: 'chat-default', messages })
      .withResponse();
    // 3. The primary fails, the secondary answers.
    const failover = await keel.client.chat.completions
      .create({ model: 'chat-default', messages })
      .withResponse();
    // 4. Refused before routing.
    const refused = await keel.client.chat.completions.create({ model: 'no-such-model', messages }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(APIError);

    const traceIds = [withParent, root, failover].map(({ response }) =>
      response.headers.get('x-keel-trace-id'),
    );
    const refusedTraceId = (refused as APIError).headers?.get('x-keel-trace-id');
    expect(traceIds[0]).toBe(incomingTraceId);
    for (const traceId of [...traceIds, refusedTraceId]) expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([...traceIds, refusedTraceId]).size).toBe(4);

    const page = (await (await fetch(`${keel.url}/api/requests?limit=10`)).json()) as RequestsPage;
    const ended = [...keel.ended];
    expect(ended).toHaveLength(4);
    for (const [index, { response }] of [withParent, root, failover].entries()) {
      const record = page.items.find((item) => item.requestId === response.headers.get('x-keel-request-id'));
      expect(record?.traceId).toBe(traceIds[index]);
    }

    await keel.close();
    harness = undefined;

    const spans = receiver.spans;
    const inTrace = (traceId: string | null | undefined): ReceivedSpan[] =>
      spans.filter((span) => span.traceId === traceId);
    const serverSpan = (traceId: string | null | undefined): ReceivedSpan => {
      const found = inTrace(traceId).filter((span) => span.kind === spanKind.server);
      expect(found, `server spans of trace ${String(traceId)}`).toHaveLength(1);
      return found[0] as ReceivedSpan;
    };
    const childrenOf = (span: ReceivedSpan): ReceivedSpan[] =>
      spans.filter((other) => other.parentSpanId === span.spanId);
    // Per request: one server span, one client span per call made.
    expect(spans).toHaveLength(4 + 1 + 1 + 2);
    expect(receiver.exports[0]?.contentType).toMatch(/application\/json/);
    expect(receiver.exports[0]?.headers['x-collector-key']).toBe('secret-key');
    expect(spans[0]?.resource['service.name']).toBe('keel-under-test');

    // 1. The caller's trace and span honoured.
    const first = serverSpan(incomingTraceId);
    const firstEvent = ended[0];
    expect(first.parentSpanId).toBe(incomingSpanId);
    expect(first.name).toBe('chat chat-default');
    expect(first.statusCode).toBe(statusCode.unset);
    expect(first.startMs).toBeCloseTo(firstEvent?.receivedAtMs ?? Number.NaN, 3);
    expect(first.endMs - first.startMs).toBeCloseTo(firstEvent?.totalMs ?? Number.NaN, 3);
    expect(first.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock',
      'gen_ai.system': 'mock',
      'gen_ai.request.model': 'chat-default',
      'gen_ai.response.model': withParent.response.headers.get('x-keel-model'),
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.usage.input_tokens': withParent.data.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': withParent.data.usage?.completion_tokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'keel.request_id': withParent.response.headers.get('x-keel-request-id'),
      'keel.attempts': 1,
      'keel.failover': false,
      'keel.environment': 'prod',
      'keel.application': 'search',
      'http.response.status_code': 200,
    });
    expect(first.attributes['keel.overhead_ms']).toBeCloseTo(firstEvent?.overheadMs ?? Number.NaN, 6);
    expect(first.attributes['keel.upstream_ms']).toBeCloseTo(firstEvent?.upstreamMs ?? Number.NaN, 6);
    expect(first.attributes['error.type']).toBeUndefined();
    const [firstAttempt, ...moreAttempts] = childrenOf(first);
    expect(moreAttempts).toHaveLength(0);
    expect(firstAttempt).toMatchObject({
      traceId: incomingTraceId,
      kind: spanKind.client,
      name: 'chat alpha-1',
    });
    expect(firstAttempt?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mock',
      'gen_ai.request.model': 'alpha-1',
      'gen_ai.response.model': withParent.response.headers.get('x-keel-model'),
      'gen_ai.usage.output_tokens': withParent.data.usage?.completion_tokens,
      'keel.target': 'alpha/alpha-1',
      'keel.outcome': 'ok',
    });
    expect(firstAttempt?.startMs).toBeCloseTo(firstEvent?.attempts[0]?.startedAtMs ?? Number.NaN, 3);

    // 2. A root span with the trace id Keel chose at the edge, not one the SDK made up.
    const second = serverSpan(traceIds[1]);
    expect(second.parentSpanId).toBeUndefined();
    expect(childrenOf(second).map((span) => span.name)).toEqual(['chat alpha-1']);
    expect(second.attributes['keel.environment']).toBe('default');
    expect(second.attributes['gen_ai.request.max_tokens']).toBeUndefined();

    // 3. Failover: the failed call is an error span, the request itself succeeded.
    const third = serverSpan(traceIds[2]);
    expect(third.parentSpanId).toBeUndefined();
    expect(third.statusCode).toBe(statusCode.unset);
    expect(third.attributes).toMatchObject({ 'keel.attempts': 2, 'keel.failover': true });
    const attempts = childrenOf(third).sort(
      (a, b) => Number(a.attributes['keel.attempt_index']) - Number(b.attributes['keel.attempt_index']),
    );
    expect(attempts.map((span) => [span.name, span.statusCode, span.attributes['error.type']])).toEqual([
      ['chat alpha-1', statusCode.error, 'KEEL_UPSTREAM_SERVER_ERROR'],
      ['chat beta-1', statusCode.unset, undefined],
    ]);
    expect(attempts[0]?.attributes['gen_ai.response.model']).toBeUndefined();
    expect(attempts[1]?.attributes['gen_ai.response.model']).toBe(
      failover.response.headers.get('x-keel-model'),
    );
    for (const attempt of attempts) expect(attempt.parentSpanId).toBe(third.spanId);

    // 4. Refused: an error span, and no attempt.
    const fourth = serverSpan(refusedTraceId);
    expect(fourth.statusCode).toBe(statusCode.error);
    expect(fourth.attributes).toMatchObject({
      'error.type': 'KEEL_UNKNOWN_MODEL',
      'gen_ai.request.model': 'no-such-model',
      'http.response.status_code': 404,
      'keel.attempts': 0,
    });
    expect(childrenOf(fourth)).toHaveLength(0);
  });

  it('keeps answering when the collector is unreachable, and closes without throwing', async () => {
    const port = await closedPort();
    harness = await startKeel(
      config({ enabled: true, endpoint: `http://127.0.0.1:${port}/v1/traces`, exportTimeoutMs: 500 }),
    );
    for (let index = 0; index < 3; index++) {
      const { response } = await harness.client.chat.completions
        .create({ model: 'chat-default', messages })
        .withResponse();
      expect(response.status).toBe(200);
    }
    expect(harness.keel.tracing).toBeDefined();
    await harness.keel.tracing?.flush();
    await expect(harness.close()).resolves.toBeUndefined();
    harness = undefined;
  });

  it('exports nothing when the caller says its trace is not sampled', async () => {
    receiver = await startOtlpReceiver();
    harness = await startKeel(config({ enabled: true, endpoint: receiver.endpoint }));
    const { response } = await harness.client.chat.completions
      .create(
        { model: 'chat-default', messages },
        { headers: { traceparent: `00-${incomingTraceId}-${incomingSpanId}-00` } },
      )
      .withResponse();
    expect(response.headers.get('x-keel-trace-id')).toBe(incomingTraceId);
    await harness.client.chat.completions.create({ model: 'chat-default', messages });
    await harness.close();
    harness = undefined;
    expect(receiver.spans.filter((span) => span.traceId === incomingTraceId)).toHaveLength(0);
    // The request without a traceparent is still traced (sampleRatio 1).
    expect(receiver.spans.filter((span) => span.kind === spanKind.server)).toHaveLength(1);
  });
});
