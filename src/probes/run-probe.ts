// One probe call: a small chat completion to an OpenAI-compatible endpoint, timed end to end and checked.
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { PROBE_APPLICATION } from '../config/probes-schema.js';
import type { ProbeMeasurement } from './probe-store.js';

/** Stable codes of a failed probe, stored with the measurement (docs/errors.md#probe-measurement-codes). */
export const ProbeErrorCodes = {
  timeout: 'KEEL_PROBE_TIMEOUT',
  unreachable: 'KEEL_PROBE_UNREACHABLE',
  httpError: 'KEEL_PROBE_HTTP_ERROR',
  badResponse: 'KEEL_PROBE_BAD_RESPONSE',
  streamCut: 'KEEL_PROBE_STREAM_CUT',
  emptyAnswer: 'KEEL_PROBE_EMPTY_ANSWER',
  unexpectedAnswer: 'KEEL_PROBE_UNEXPECTED_ANSWER',
} as const;

/** What one probe call sends and to where. */
export interface ProbeCall {
  /** The endpoint's base URL, without /v1. */
  baseUrl: string;
  environment: string;
  model: string;
  prompt: string;
  maxTokens: number;
  timeoutMs: number;
  apiKey?: string | undefined;
  /** Tests the answer text; undefined: any non-empty answer passes. */
  expect?: ((answer: string) => boolean) | undefined;
  /** Aborts the call early (Keel stopping); it then ends as a timeout. */
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
}

/** What the call measured, before cost and storage. */
export type ProbeOutcome = Omit<ProbeMeasurement, 'id' | 'atMs' | 'costUsd'>;

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; message?: { content?: string | null } }[];
  usage?: Usage | null;
  error?: { code?: string | number | null; message?: string };
}

/** Longest streamed answer kept from a probe call (characters). */
const MAX_TEXT = 20_000;
/**
 * Largest body read, streamed or whole (bytes). A whole body (a JSON completion or an error) is
 * parsed, so it is read entire up to this; past it the probe fails as a bad response.
 */
const MAX_BODY = 1024 * 1024;

function parse(text: string): Chunk | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

function errorOf(chunk: Chunk | undefined): { code: string | null; message: string } | undefined {
  if (chunk?.error === undefined) return undefined;
  const code = chunk.error.code;
  return {
    code: typeof code === 'string' && code !== '' ? code : null,
    message: (chunk.error.message ?? 'error').slice(0, 500),
  };
}

/**
 * Sends one streamed chat completion (with `stream_options.include_usage`) labelled with the
 * environment and `x-keel-application: keel-probe`, and measures it. Never throws: every failure is
 * an outcome with a stable code.
 */
export async function runProbe(call: ProbeCall): Promise<ProbeOutcome> {
  const started = performance.now();
  const base: ProbeOutcome = {
    environment: call.environment,
    model: call.model,
    success: false,
    status: null,
    latencyMs: null,
    ttftMs: null,
    promptTokens: null,
    completionTokens: null,
    totalTokens: null,
    provider: null,
    servedModel: null,
    errorCode: null,
    error: null,
  };
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal === undefined ? timeout : AbortSignal.any([timeout, call.signal]);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${call.baseUrl.replace(/\/+$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-keel-environment': call.environment,
        'x-keel-application': PROBE_APPLICATION,
        ...(call.apiKey === undefined ? {} : { authorization: `Bearer ${call.apiKey}` }),
      },
      body: JSON.stringify({
        model: call.model,
        messages: [{ role: 'user', content: call.prompt }],
        max_tokens: call.maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal,
      dispatcher: call.dispatcher,
    });
  } catch (error) {
    return failed(base, signal.aborted ? ProbeErrorCodes.timeout : ProbeErrorCodes.unreachable, error);
  }
  const provider = response.headers['x-keel-provider'];
  base.status = response.statusCode;
  base.provider = typeof provider === 'string' ? provider : null;
  let text = '';
  let answer = '';
  let done = false;
  let streamError: { code: string | null; message: string } | undefined;
  const ok = response.statusCode >= 200 && response.statusCode <= 299;
  // A server that ignores `stream: true` answers one JSON completion: read it whole.
  const whole = !ok || !String(response.headers['content-type'] ?? '').includes('text/event-stream');
  const handleData = (data: string) => {
    if (data.trim() === '[DONE]') {
      done = true;
      return;
    }
    const chunk = parse(data);
    if (chunk === undefined) return;
    streamError ??= errorOf(chunk);
    readCompletion(base, chunk);
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content !== '') {
      base.ttftMs ??= performance.now() - started;
      if (answer.length < MAX_TEXT) answer += content;
    }
  };
  try {
    const events = createParser({ onEvent: (event) => handleData(event.data) });
    // A character split across two chunks is decoded once both have come.
    const decoder = new TextDecoder();
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      // A probe asks for a few tokens: a body this large is a broken endpoint, not an answer.
      if (bytes > MAX_BODY) {
        response.body.destroy();
        base.latencyMs = performance.now() - started;
        return {
          ...base,
          errorCode: ProbeErrorCodes.badResponse,
          error: `the answer is larger than ${MAX_BODY} bytes`,
        };
      }
      const piece = decoder.decode(chunk, { stream: true });
      if (whole) text += piece;
      else events.feed(piece);
    }
  } catch (error) {
    base.latencyMs = performance.now() - started;
    return failed(base, signal.aborted ? ProbeErrorCodes.timeout : ProbeErrorCodes.streamCut, error);
  }
  base.latencyMs = performance.now() - started;
  if (!ok) {
    const reported = errorOf(parse(text));
    return {
      ...base,
      errorCode: reported?.code ?? ProbeErrorCodes.httpError,
      error: reported?.message ?? `HTTP ${response.statusCode}`,
    };
  }
  if (whole) {
    const completion = parse(text);
    streamError = errorOf(completion);
    const content = completion?.choices?.[0]?.message?.content;
    if (completion === undefined || (streamError === undefined && typeof content !== 'string')) {
      return {
        ...base,
        errorCode: ProbeErrorCodes.badResponse,
        error: 'the answer is not a chat completion',
      };
    }
    readCompletion(base, completion);
    answer = typeof content === 'string' ? content : '';
    done = true;
  }
  if (streamError !== undefined) {
    return { ...base, errorCode: streamError.code ?? ProbeErrorCodes.streamCut, error: streamError.message };
  }
  if (!done)
    return { ...base, errorCode: ProbeErrorCodes.streamCut, error: 'the stream ended before [DONE]' };
  if (answer.trim() === '') return { ...base, errorCode: ProbeErrorCodes.emptyAnswer, error: 'empty answer' };
  if (call.expect !== undefined && !call.expect(answer)) {
    return {
      ...base,
      errorCode: ProbeErrorCodes.unexpectedAnswer,
      error: `answer did not match probes.expect: ${JSON.stringify(answer.slice(0, 200))}`,
    };
  }
  return { ...base, success: true };
}

/** The served model and token usage of a chunk or a whole completion. */
function readCompletion(outcome: ProbeOutcome, chunk: Chunk): void {
  if (typeof chunk.model === 'string') outcome.servedModel = chunk.model;
  if (!chunk.usage) return;
  outcome.promptTokens = chunk.usage.prompt_tokens ?? null;
  outcome.completionTokens = chunk.usage.completion_tokens ?? null;
  outcome.totalTokens =
    chunk.usage.total_tokens ?? (chunk.usage.prompt_tokens ?? 0) + (chunk.usage.completion_tokens ?? 0);
}

function failed(base: ProbeOutcome, code: string, error: unknown): ProbeOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { ...base, errorCode: code, error: message.slice(0, 500) };
}
