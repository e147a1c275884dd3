// Reads the W3C Trace Context headers (traceparent, tracestate) so every request has a trace id.
import type { IncomingHttpHeaders } from 'node:http';
import type { TraceContext } from '../telemetry/events.js';
import { invalidTraceId } from '../telemetry/random-trace-ids.js';

/** The caller's span, as a valid `traceparent` header names it. */
export interface Traceparent {
  traceId: string;
  parentSpanId: string;
  sampled: boolean;
}

const versionPattern = /^[0-9a-f]{2}$/;
const traceIdPattern = /^[0-9a-f]{32}$/;
const spanIdPattern = /^[0-9a-f]{16}$/;
const flagsPattern = /^[0-9a-f]{2}$/;
const invalidSpanId = '0'.repeat(16);
/** "00-" + 32 + "-" + 16 + "-" + 2: the length of a version 00 traceparent. */
const traceparentLength = 55;
/** W3C Trace Context: a vendor may drop a tracestate longer than 512 characters. */
const maxTraceStateChars = 512;

/**
 * Parses a `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header), or
 * returns undefined when it is absent or invalid: version ff, all-zero ids, uppercase hex, a
 * version 00 header of the wrong length. A later version is read by its first four fields.
 * @example parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
 */
export function parseTraceparent(value: string | undefined): Traceparent | undefined {
  if (value === undefined || value.length < traceparentLength) return undefined;
  const version = value.slice(0, 2);
  if (!versionPattern.test(version) || version === 'ff') return undefined;
  if (
    version === '00'
      ? value.length !== traceparentLength
      : value.length > traceparentLength && value[traceparentLength] !== '-'
  )
    return undefined;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined;
  const traceId = value.slice(3, 35);
  const parentSpanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!traceIdPattern.test(traceId) || traceId === invalidTraceId) return undefined;
  if (!spanIdPattern.test(parentSpanId) || parentSpanId === invalidSpanId) return undefined;
  if (!flagsPattern.test(flags)) return undefined;
  return { traceId, parentSpanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

function single(value: string | string[] | undefined): string | undefined {
  // Two traceparent headers make the context ambiguous: W3C says to ignore both.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

/**
 * The request's trace context: the caller's when its `traceparent` is valid, else a fresh trace
 * id from `newTraceId` with no parent.
 */
export function readTraceContext(headers: IncomingHttpHeaders, newTraceId: () => string): TraceContext {
  const parent = parseTraceparent(single(headers.traceparent)?.trim());
  if (parent === undefined) return { traceId: newTraceId(), sampled: true };
  const traceState = single(headers.tracestate);
  return {
    ...parent,
    traceState:
      traceState === undefined || traceState === '' || traceState.length > maxTraceStateChars
        ? undefined
        : traceState,
  };
}
