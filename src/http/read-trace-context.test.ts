// Unit tests of traceparent parsing: the W3C Trace Context rules for valid and invalid headers.
import { describe, expect, it } from 'vitest';
import { parseTraceparent, readTraceContext } from './read-trace-context.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const spanId = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it.each([
    ['sampled', `00-${traceId}-${spanId}-01`, true],
    ['not sampled', `00-${traceId}-${spanId}-00`, false],
    ['other flags beside sampled', `00-${traceId}-${spanId}-03`, true],
    ['other flags without sampled', `00-${traceId}-${spanId}-02`, false],
    ['a later version, read by its first four fields', `01-${traceId}-${spanId}-01-what-comes-next`, true],
    ['a later version of exactly 55 characters', `cc-${traceId}-${spanId}-00`, false],
  ])('reads a valid header: %s', (_name, header, sampled) => {
    expect(parseTraceparent(header)).toEqual({ traceId, parentSpanId: spanId, sampled });
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${spanId}-01`],
    ['all-zero parent span id', `00-${traceId}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${traceId}-${spanId}-01`],
    ['version not hex', `0g-${traceId}-${spanId}-01`],
    ['version 00 with a fifth field', `00-${traceId}-${spanId}-01-extra`],
    ['a later version whose fifth field is not dash-separated', `01-${traceId}-${spanId}-01extra`],
    ['trace id too short', `00-${traceId.slice(1)}-${spanId}-01`],
    ['parent span id too long', `00-${traceId}-${spanId}0-01`],
    ['uppercase hex', `00-${traceId.toUpperCase()}-${spanId}-01`],
    ['flags not hex', `00-${traceId}-${spanId}-0x`],
    ['wrong separators', `00_${traceId}_${spanId}_01`],
    ['two headers joined', `00-${traceId}-${spanId}-01, 00-${traceId}-${spanId}-01`],
  ])('rejects an invalid header: %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});

describe('readTraceContext', () => {
  const fresh = 'a'.repeat(32);

  it('takes the caller trace id, parent span, sampled flag and tracestate', () => {
    expect(
      readTraceContext({ traceparent: `00-${traceId}-${spanId}-00`, tracestate: 'vendor=abc' }, () => fresh),
    ).toEqual({ traceId, parentSpanId: spanId, sampled: false, traceState: 'vendor=abc' });
  });

  it('starts a fresh trace, sampled and without a parent, when traceparent is absent or invalid', () => {
    expect(readTraceContext({}, () => fresh)).toEqual({ traceId: fresh, sampled: true });
    expect(
      readTraceContext({ traceparent: `00-${'0'.repeat(32)}-${spanId}-01`, tracestate: 'a=b' }, () => fresh),
    ).toEqual({ traceId: fresh, sampled: true });
  });

  it('drops a tracestate longer than W3C lets a vendor keep', () => {
    const context = readTraceContext(
      { traceparent: `00-${traceId}-${spanId}-01`, tracestate: `a=${'b'.repeat(600)}` },
      () => fresh,
    );
    expect(context.traceState).toBeUndefined();
    expect(context.parentSpanId).toBe(spanId);
  });
});
