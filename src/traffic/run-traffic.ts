// Runs a traffic plan against Keel's `/v1/chat/completions` with undici, a bounded number in flight.
import { Agent, request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../spec/clock.js';
import { planTraffic, type PlannedRequest } from './plan-traffic.js';
import {
  summarizeTraffic,
  type TrafficProgress,
  type TrafficResult,
  type TrafficSummary,
} from './summarize-traffic.js';

export type { TrafficProgress } from './summarize-traffic.js';
import type { TrafficOptions } from './traffic-options.js';

/** A request gets this long for its whole answer before it counts as `KEEL_TRAFFIC_TIMEOUT`. */
const requestTimeoutMs = 60_000; // 60 s

/** How far past its duration a run that fell behind may still send planned requests. */
const lateAllowanceMs = 5_000; // 5 s

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface ChunkOrBody {
  usage?: Usage | null;
  error?: { code?: string };
}

function parseJson(text: string): ChunkOrBody | undefined {
  try {
    return JSON.parse(text) as ChunkOrBody;
  } catch {
    return undefined;
  }
}

/** Reads an SSE body: usage from the usage chunk, an error event if one came, and whether [DONE] did. */
async function readStream(body: Dispatcher.ResponseData['body']): Promise<{
  done: boolean;
  errorCode?: string | undefined;
  usage?: Usage | undefined;
}> {
  let buffer = '';
  let done = false;
  let errorCode: string | undefined;
  let usage: Usage | undefined;
  const handleLine = (line: string) => {
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      return;
    }
    const chunk = parseJson(data);
    if (chunk?.usage) usage = chunk.usage;
    if (chunk?.error !== undefined) errorCode = chunk.error.code ?? 'KEEL_TRAFFIC_STREAM_ERROR';
  };
  // A character split across two chunks is decoded once both have come.
  const decoder = new TextDecoder();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    lines.forEach(handleLine);
  }
  handleLine(buffer);
  return { done, errorCode, usage };
}

async function sendOne(options: {
  planned: PlannedRequest;
  url: URL;
  dispatcher: Dispatcher;
  clock: Clock;
  apiKey?: string | undefined;
}): Promise<TrafficResult> {
  const { planned, clock } = options;
  const startedMs = clock.now();
  const base = { kind: planned.kind, stream: planned.stream, inputTokens: 0, outputTokens: 0 };
  try {
    const response = await request(options.url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers: {
        'content-type': 'application/json',
        'x-keel-application': 'keel-traffic',
        ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
      },
      body: planned.body,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
    });
    const headerCode = response.headers['x-keel-error-code'];
    const isStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (response.statusCode === 200 && isStream) {
      const stream = await readStream(response.body);
      const ok = stream.done && stream.errorCode === undefined;
      return {
        ...base,
        status: response.statusCode,
        latencyMs: clock.now() - startedMs,
        ok,
        errorCode: ok ? undefined : (stream.errorCode ?? 'KEEL_TRAFFIC_STREAM_CUT'),
        inputTokens: stream.usage?.prompt_tokens ?? 0,
        outputTokens: stream.usage?.completion_tokens ?? 0,
      };
    }
    const parsed = parseJson(await response.body.text());
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    return {
      ...base,
      status: response.statusCode,
      latencyMs: clock.now() - startedMs,
      ok,
      errorCode: ok ? undefined : typeof headerCode === 'string' ? headerCode : parsed?.error?.code,
      inputTokens: ok ? (parsed?.usage?.prompt_tokens ?? 0) : 0,
      outputTokens: ok ? (parsed?.usage?.completion_tokens ?? 0) : 0,
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ...base,
      status: 0,
      latencyMs: clock.now() - startedMs,
      ok: false,
      errorCode: typeof code === 'string' ? code : 'KEEL_TRAFFIC_NO_ANSWER',
    };
  }
}

/**
 * Sends the planned traffic and resolves with the summary once every request has ended. New
 * requests stop at `durationMs` (or when `signal` aborts); at most `concurrency` are in flight, so
 * a slow target delays the schedule rather than piling up connections.
 */
export async function runTraffic(options: {
  traffic: TrafficOptions;
  clock?: Clock;
  random?: () => number;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  onProgress?: (progress: TrafficProgress) => void;
  /** How often `onProgress` is called while running. */
  progressIntervalMs?: number;
}): Promise<{ summary: TrafficSummary; results: TrafficResult[]; startedAtMs: number; endedAtMs: number }> {
  const { traffic } = options;
  const clock = options.clock ?? systemClock;
  const ownDispatcher = options.dispatcher === undefined;
  const dispatcher = options.dispatcher ?? new Agent({ connections: traffic.concurrency });
  const url = new URL('/v1/chat/completions', traffic.targetUrl);
  const results: TrafficResult[] = [];
  const inFlight = new Set<Promise<void>>();
  const startedAtMs = clock.now();
  let sent = 0;
  let ok = 0;
  const progress = (): TrafficProgress => ({
    elapsedMs: clock.now() - startedAtMs,
    durationMs: traffic.durationMs,
    sent,
    inFlight: inFlight.size,
    ok,
    errors: results.length - ok,
  });
  const aborted = () => options.signal?.aborted === true;
  // A real timer, so the line keeps moving while a slow target holds every slot.
  const ticker =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs ?? 1000);
  ticker?.unref();
  const plan = planTraffic({ ...traffic, random: options.random ?? Math.random });
  try {
    for (const planned of plan) {
      if (aborted()) break;
      const waitMs = startedAtMs + planned.atMs - clock.now();
      if (waitMs > 0) await clock.sleep(waitMs, options.signal).catch(() => undefined);
      // A planned send that is late (timers lag on a loaded machine) still goes, unless the run is
      // so far behind that it would overrun its duration by more than the allowance.
      if (aborted() || clock.now() - startedAtMs >= traffic.durationMs + lateAllowanceMs) break;
      while (inFlight.size >= traffic.concurrency) await Promise.race(inFlight);
      sent++;
      const call: Promise<void> = sendOne({ planned, url, dispatcher, clock, apiKey: traffic.apiKey }).then(
        (result) => {
          results.push(result);
          if (result.ok) ok++;
          inFlight.delete(call);
        },
      );
      inFlight.add(call);
    }
    // The run lasts its duration: the last planned send is before the end, not at it.
    const restMs = startedAtMs + traffic.durationMs - clock.now();
    if (!aborted() && restMs > 0) await clock.sleep(restMs, options.signal).catch(() => undefined);
    await Promise.all(inFlight);
  } finally {
    clearInterval(ticker);
    if (ownDispatcher) await dispatcher.close();
  }
  const endedAtMs = clock.now();
  options.onProgress?.(progress());
  return {
    summary: summarizeTraffic({ results, durationMs: endedAtMs - startedAtMs }),
    results,
    startedAtMs,
    endedAtMs,
  };
}
