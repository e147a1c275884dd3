// Builders of telemetry events for subscriber unit tests: a plausible finished request, fields overridable.
import type { AttemptRecord, RequestEndEvent } from '../../src/telemetry/events.js';

/** One successful call to `providerId/modelId` taking 100 ms. */
export function makeAttempt(
  fields: Partial<AttemptRecord> & Pick<AttemptRecord, 'providerId' | 'modelId'>,
): AttemptRecord {
  return {
    index: 1,
    target: `${fields.providerId}/${fields.modelId}`,
    outcome: 'ok',
    startedAtMs: 0,
    durationMs: 100,
    ...fields,
  };
}

/** A non-streaming request for alias `smart` that `primary/gpt-4o` answered in 1.5 s. */
export function makeRequestEnd(fields: Partial<RequestEndEvent> = {}): RequestEndEvent {
  return {
    requestId: 'r1',
    receivedAtMs: 0,
    requestedModel: 'smart',
    stream: false,
    metadata: {},
    trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: true },
    status: 200,
    outcome: 'ok',
    providerId: 'primary',
    providerType: 'openai',
    servedModel: 'gpt-4o-2024-08-06',
    usage: { inputTokens: 12, outputTokens: 30, totalTokens: 42 },
    totalMs: 1500,
    upstreamMs: 1490,
    overheadMs: 2,
    attempts: [makeAttempt({ providerId: 'primary', modelId: 'gpt-4o' })],
    promptChars: 2,
    responseChars: 100,
    request: { messages: [{ role: 'user', content: 'Hi' }] },
    responseText: undefined,
    ...fields,
  };
}
