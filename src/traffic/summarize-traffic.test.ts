// The closing summary: counts, percentiles by Keel's rank rule, tokens and errors by code.
import { describe, expect, it } from 'vitest';
import {
  formatProgressLine,
  formatTrafficSummary,
  summarizeTraffic,
  type TrafficResult,
} from './summarize-traffic.js';

function result(overrides: Partial<TrafficResult>): TrafficResult {
  return {
    kind: 'chat',
    stream: false,
    status: 200,
    latencyMs: 10,
    ok: true,
    inputTokens: 0,
    outputTokens: 0,
    ...overrides,
  };
}

describe('summarizeTraffic', () => {
  it('counts requests, status codes, errors by code, tokens and percentiles', () => {
    const results = [
      ...Array.from({ length: 8 }, (_, index) =>
        result({ latencyMs: (index + 1) * 10, inputTokens: 5, outputTokens: 7, stream: index % 2 === 0 }),
      ),
      result({ kind: 'invalid-json', status: 400, ok: false, errorCode: 'KEEL_INVALID_JSON', latencyMs: 1 }),
      result({ status: 0, ok: false, errorCode: 'ECONNREFUSED', latencyMs: 2 }),
    ];
    const summary = summarizeTraffic({ results, durationMs: 2000 });
    expect(summary).toEqual({
      requests: 10,
      ok: 8,
      errors: 2,
      refusedBeforeRouting: 1,
      durationMs: 2000,
      achievedRps: 5,
      statusCodes: { '200': 8, '400': 1, 'no answer': 1 },
      errorsByCode: { KEEL_INVALID_JSON: 1, ECONNREFUSED: 1 },
      kinds: { chat: 9, 'invalid-json': 1 },
      streamed: 4,
      // Sorted: 1, 2, 10, 20, ..., 80; rank floor(q * 9).
      latencyMs: { p50: 30, p95: 70, p99: 70, max: 80 },
      tokens: { input: 40, output: 56, total: 96 },
    });
    const text = formatTrafficSummary(summary);
    expect(text).toContain('Requests:     10 in 2.0s (5.0 rps), 4 streamed');
    expect(text).toContain('Latency:      p50 30ms, p95 70ms, p99 70ms, max 80ms');
    expect(text).toContain('Errors:       ECONNREFUSED: 1, KEEL_INVALID_JSON: 1');
  });

  it('names a failed request without a code by its status, and has no percentiles without results', () => {
    expect(
      summarizeTraffic({ results: [result({ status: 502, ok: false })], durationMs: 1 }).errorsByCode,
    ).toEqual({
      'HTTP 502': 1,
    });
    expect(summarizeTraffic({ results: [], durationMs: 0 }).latencyMs).toEqual({
      p50: null,
      p95: null,
      p99: null,
      max: null,
    });
  });

  it('draws a progress bar with the live counters', () => {
    expect(
      formatProgressLine({
        elapsedMs: 30_000,
        durationMs: 60_000,
        sent: 300,
        inFlight: 4,
        ok: 290,
        errors: 6,
      }),
    ).toBe('[##########..........] 30/60s sent 300 in flight 4 ok 290 errors 6');
  });
});
