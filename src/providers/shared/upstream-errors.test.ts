import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, KeelError } from '../../spec/index.js';
import {
  badResponse,
  extractErrorMessage,
  mapHttpError,
  mapNetworkError,
  parseRetryAfterMs,
  streamInterrupted,
  type HeaderBag,
} from './upstream-errors.js';

const fixture = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

const nowMs = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

describe('parseRetryAfterMs', () => {
  it.each<[string, HeaderBag, number | undefined]>([
    ['retry-after-ms (OpenAI)', { 'retry-after-ms': '1500' }, 1_500],
    ['fractional retry-after-ms', { 'retry-after-ms': '12.5' }, 12.5],
    ['retry-after-ms over retry-after', { 'retry-after-ms': '250', 'retry-after': '30' }, 250],
    ['retry-after in seconds', { 'retry-after': '2' }, 2_000],
    ['retry-after of 0 seconds', { 'retry-after': '0' }, 0],
    ['an HTTP date 60 s ahead', { 'retry-after': 'Wed, 21 Oct 2015 07:29:00 GMT' }, 60_000],
    ['an HTTP date in the past', { 'retry-after': 'Wed, 21 Oct 2015 07:00:00 GMT' }, 0],
    ['the first of repeated headers', { 'retry-after': ['3', '9'] }, 3_000],
    [
      'unreadable retry-after-ms, readable retry-after',
      { 'retry-after-ms': 'soon', 'retry-after': '4' },
      4_000,
    ],
    ['negative retry-after-ms, readable retry-after', { 'retry-after-ms': '-5', 'retry-after': '1' }, 1_000],
    ['no header', {}, undefined],
    ['an undefined header', { 'retry-after': undefined }, undefined],
    ['garbage', { 'retry-after': 'soon-ish' }, undefined],
    ['garbage in both', { 'retry-after-ms': 'x', 'retry-after': 'later' }, undefined],
  ])('reads %s', (_name, headers, expected) => {
    expect(parseRetryAfterMs(headers, nowMs)).toBe(expected);
  });

  // RFC 9110 section 10.2.3: Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT.
  // These values are neither; the function documents "undefined when absent or unreadable".
  it.each<[string, HeaderBag]>([
    ['an empty retry-after', { 'retry-after': '' }],
    ['a blank retry-after', { 'retry-after': '   ' }],
    ['a negative retry-after', { 'retry-after': '-1' }],
    ['an empty retry-after-ms', { 'retry-after-ms': '' }],
  ])('treats %s as unreadable', (_name, headers) => {
    expect(parseRetryAfterMs(headers, nowMs)).toBeUndefined();
  });

  it('measures an HTTP date against the injected now', () => {
    const headers = { 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' };
    expect(parseRetryAfterMs(headers, nowMs)).toBe(10_000);
    expect(parseRetryAfterMs(headers, nowMs + 4_000)).toBe(6_000);
  });
});

describe('extractErrorMessage', () => {
  it('reads an OpenAI error body', () => {
    expect(extractErrorMessage(fixture('openai/fixtures/error-rate-limit.json'))).toBe(
      'Rate limit reached for gpt-4o-mini in organization org-xyz on requests per min (RPM): ' +
        'Limit 500, Used 500, Requested 1. Please try again in 120ms.',
    );
  });

  it('reads an Anthropic error body', () => {
    expect(extractErrorMessage(fixture('anthropic/fixtures/error-overloaded.json'))).toBe('Overloaded');
  });

  it('reads a Gemini error body', () => {
    expect(extractErrorMessage(fixture('gemini/fixtures/error-rate-limit.json'))).toMatch(
      /^You exceeded your current quota, please check your plan and billing details\./,
    );
  });

  it('reads a Gemini error body wrapped in an array (streaming endpoint)', () => {
    expect(
      extractErrorMessage(
        JSON.stringify([
          { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
        ]),
      ),
    ).toBe('The model is overloaded.');
  });

  it('reads a TGI error body, whose error is a string', () => {
    expect(extractErrorMessage(fixture('huggingface/fixtures/tgi-error-generation.json'))).toBe(
      'Request failed during generation: Server error: CUDA out of memory',
    );
  });

  it('reads a FastAPI-style detail', () => {
    expect(extractErrorMessage('{"detail":"Not Found"}')).toBe('Not Found');
  });

  it.each([
    ['', ''],
    ['   \n', ''],
    ['upstream connect error', 'upstream connect error'],
    ['  <html>Bad Gateway</html>\n', '<html>Bad Gateway</html>'],
    ['{"status":"bad"}', '{"status":"bad"}'],
    ['[]', '[]'],
    ['null', 'null'],
  ])('falls back to the trimmed raw text for %j', (body, expected) => {
    expect(extractErrorMessage(body)).toBe(expected);
  });

  it('shortens a long unreadable body to 300 characters', () => {
    const body = 'x'.repeat(1_000);
    expect(extractErrorMessage(body)).toBe(`${'x'.repeat(300)}...`);
    expect(extractErrorMessage('y'.repeat(300))).toBe('y'.repeat(300));
  });
});

describe('mapHttpError', () => {
  const body = JSON.stringify({ error: { message: 'nope' } });
  const map = (status: number, headers: HeaderBag = {}) =>
    mapHttpError({ providerId: 'primary', status, headers, bodyText: body, nowMs });

  it.each([
    // upstream status, code, Keel status, retryable, failover, countsAsFailure
    [429, ErrorCodes.upstreamRateLimited, 429, true, true, true],
    [408, ErrorCodes.upstreamTimeout, 504, true, true, true],
    [500, ErrorCodes.upstreamServerError, 502, true, true, true],
    [502, ErrorCodes.upstreamServerError, 502, true, true, true],
    [504, ErrorCodes.upstreamServerError, 502, true, true, true],
    [503, ErrorCodes.upstreamOverloaded, 503, true, true, true],
    [529, ErrorCodes.upstreamOverloaded, 503, true, true, true],
    [401, ErrorCodes.upstreamAuth, 502, false, true, true],
    [403, ErrorCodes.upstreamAuth, 502, false, true, true],
    [404, ErrorCodes.upstreamNotFound, 502, false, true, false],
    [400, ErrorCodes.upstreamBadRequest, 400, false, false, false],
    [413, ErrorCodes.upstreamBadRequest, 400, false, false, false],
    [422, ErrorCodes.upstreamBadRequest, 400, false, false, false],
  ])('HTTP %i -> %s (status %i)', (upstream, code, status, retryable, failover, countsAsFailure) => {
    const error = map(upstream);
    expect(error).toBeInstanceOf(KeelError);
    expect({
      code: error.code,
      status: error.status,
      retryable: error.retryable,
      failover: error.failover,
      countsAsFailure: error.countsAsFailure,
      upstreamStatus: error.upstreamStatus,
    }).toEqual({ code, status, retryable, failover, countsAsFailure, upstreamStatus: upstream });
    expect(error.message).toBe(`primary answered HTTP ${upstream}: nope`);
  });

  it('keeps the Retry-After the upstream sent', () => {
    expect(map(429, { 'retry-after': '7' }).retryAfterMs).toBe(7_000);
    expect(map(503, { 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }).retryAfterMs).toBe(30_000);
    expect(map(429).retryAfterMs).toBeUndefined();
  });

  it('leaves the detail out of the message when the body is empty', () => {
    expect(mapHttpError({ providerId: 'claude', status: 500, headers: {}, bodyText: '' }).message).toBe(
      'claude answered HTTP 500',
    );
  });

  it('uses the provider message from each provider body shape', () => {
    const anthropic = mapHttpError({
      providerId: 'claude',
      status: 529,
      headers: {},
      bodyText: fixture('anthropic/fixtures/error-overloaded.json'),
    });
    expect(anthropic.message).toBe('claude answered HTTP 529: Overloaded');
    expect(anthropic.code).toBe('KEEL_UPSTREAM_OVERLOADED');
  });
});

describe('mapNetworkError and friends', () => {
  it('maps undici timeouts to KEEL_UPSTREAM_TIMEOUT', () => {
    const cause = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    const error = mapNetworkError('primary', cause);
    expect(error).toMatchObject({ code: 'KEEL_UPSTREAM_TIMEOUT', status: 504, retryable: true });
    expect(error.message).toBe('primary timed out: Headers Timeout Error');
    expect(error.cause).toBe(cause);
  });

  it('maps refused and reset connections to KEEL_UPSTREAM_CONNECTION', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(mapNetworkError('primary', cause)).toMatchObject({
      code: 'KEEL_UPSTREAM_CONNECTION',
      status: 502,
      retryable: true,
      message: 'primary connection failed (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:9',
    });
    expect(mapNetworkError('primary', 'boom').message).toBe('primary connection failed: boom');
  });

  it('returns the abort reason when a deadline aborted the call', () => {
    const deadline = new KeelError({ code: ErrorCodes.deadlineExceeded, status: 504, message: 'deadline' });
    const controller = new AbortController();
    controller.abort(deadline);
    expect(mapNetworkError('primary', new Error('aborted'), controller.signal)).toBe(deadline);
  });

  it('passes KeelErrors through', () => {
    const original = streamInterrupted('primary', 'socket closed');
    expect(mapNetworkError('primary', original)).toBe(original);
  });

  it('builds bad-response and stream-interrupted errors', () => {
    expect(badResponse('gemini', 'no candidates')).toMatchObject({
      code: 'KEEL_UPSTREAM_BAD_RESPONSE',
      status: 502,
      retryable: true,
      message: 'gemini sent an unreadable response: no candidates',
    });
    expect(streamInterrupted('gemini', 'socket closed')).toMatchObject({
      code: 'KEEL_STREAM_INTERRUPTED',
      status: 502,
      retryable: true,
      message: 'gemini stream broke: socket closed',
    });
  });
});
