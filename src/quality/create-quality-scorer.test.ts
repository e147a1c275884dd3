// Tests of scoring request:end events: errors unscored, JSON mode from the request, the length baseline per route.
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../spec/index.js';
import { buildRequestRecord } from '../telemetry/build-request-record.js';
import type { RequestEndEvent } from '../telemetry/events.js';
import { createQualityScorer, lengthRouteOf } from './create-quality-scorer.js';
import { ResponseLengthBaseline } from './response-length-baseline.js';

/** A successful answer of `text` to model `smart`, with the overrides applied. */
function answer(text: string, overrides: Partial<RequestEndEvent> = {}): RequestEndEvent {
  return {
    requestId: 'r1',
    receivedAtMs: 1_767_225_600_000,
    requestedModel: 'smart',
    stream: false,
    metadata: {},
    trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: true },
    status: 200,
    outcome: 'ok',
    finishReason: 'stop',
    totalMs: 5,
    upstreamMs: 4,
    overheadMs: 1,
    attempts: [],
    promptChars: 10,
    responseChars: text.length,
    request: { messages: [{ role: 'user', content: 'hello' }] },
    responseText: text,
    ...overrides,
  };
}

const USUAL = 'x'.repeat(400);

describe('createQualityScorer', () => {
  it('gives failed requests no score, a broken stream included', () => {
    const score = createQualityScorer();
    expect(score(answer('', { outcome: 'error', status: 502 }))).toBeUndefined();
    expect(score(answer('partial text', { outcome: 'error', status: 200, stream: true }))).toBeUndefined();
  });

  it('scores a clean answer 1 and an empty one 0', () => {
    const score = createQualityScorer();
    expect(score(answer('Paris.'))).toEqual({ score: 1, flags: [] });
    expect(score(answer(''))).toEqual({ score: 0, flags: ['empty'] });
  });

  it('checks JSON when the request asked for it', () => {
    const score = createQualityScorer();
    const jsonRequest: ChatRequest = { messages: [], responseFormat: { type: 'json_object' } };
    expect(score(answer('{"ok": true}', { request: jsonRequest }))?.flags).toEqual([]);
    expect(score(answer('Here you go: {"ok": true}', { request: jsonRequest }))?.flags).toEqual([
      'invalid_json',
    ]);
  });

  it("flags an answer far shorter than its route's usual ones, per route", () => {
    const baseline = new ResponseLengthBaseline({ minSamples: 20 });
    const score = createQualityScorer({ baseline });
    for (let index = 0; index < 50; index++) score(answer(USUAL));
    for (let index = 0; index < 50; index++) score(answer('ok', { requestedModel: 'terse' }));
    expect(score(answer('ok'))?.flags).toEqual(['too_short']);
    expect(score(answer('ok', { requestedModel: 'terse' }))?.flags).toEqual([]);
    expect(score(answer(USUAL, { requestedModel: 'terse' }))?.flags).toEqual(['too_long']);
  });

  it('does not teach the baseline from cache hits, empty or tool-call answers', () => {
    const baseline = new ResponseLengthBaseline({ minSamples: 1 });
    const score = createQualityScorer({ baseline });
    score(answer('', { cacheHit: true }));
    score(answer('x', { cacheHit: true }));
    score(answer(''));
    score(answer('', { finishReason: 'tool_calls' }));
    expect(baseline.size).toBe(0);
    score(answer(USUAL));
    expect(baseline.size).toBe(1);
  });

  it('keys the baseline by requested model and prompt route', () => {
    expect(lengthRouteOf({ requestedModel: 'smart', metadata: {} })).toBe('smart');
    expect(lengthRouteOf({ requestedModel: 'smart', metadata: { route: 'summarise' } })).not.toBe(
      lengthRouteOf({ requestedModel: 'smart', metadata: { route: 'translate' } }),
    );
  });

  it('puts its result on the request record', () => {
    const record = buildRequestRecord(answer("I'm sorry, but I can't do that."), {
      costUsd: () => undefined,
      preview: () => undefined,
      quality: createQualityScorer(),
    });
    expect(record.quality).toEqual({ score: 0.4, flags: ['refusal'] });
  });
});
