// The opaque page cursor of the requests query: the (timeMs, requestId) of the last record sent.
import { invalidRequest } from '../spec/errors.js';

/** Position after which the next page starts, in (timeMs desc, requestId desc) order. */
export interface RequestCursor {
  timeMs: number;
  requestId: string;
}

export function encodeRequestCursor(cursor: RequestCursor): string {
  return Buffer.from(JSON.stringify([cursor.timeMs, cursor.requestId]), 'utf8').toString('base64url');
}

/** Throws KEEL_INVALID_REQUEST (param `cursor`) for anything `encodeRequestCursor` did not make. */
export function decodeRequestCursor(cursor: string): RequestCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'number' &&
    Number.isFinite(parsed[0]) &&
    typeof parsed[1] === 'string'
  ) {
    return { timeMs: parsed[0], requestId: parsed[1] };
  }
  throw invalidRequest(
    'cursor is not one this API returned; pass nextCursor from the previous page',
    'cursor',
  );
}
