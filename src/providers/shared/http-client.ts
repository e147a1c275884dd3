// Thin HTTP calls to providers over an undici dispatcher: JSON in, JSON or SSE out, errors mapped.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { KeelError } from '../../spec/index.js';
import { badResponse, mapHttpError, mapNetworkError, streamInterrupted } from './upstream-errors.js';

/** What every HTTP adapter gets from the composition root. */
export interface HttpProviderSettings {
  /** Config id of this provider, used in errors and labels. */
  providerId: string;
  baseUrl: string;
  apiKey?: string | undefined;
  /** Extra headers sent with every call (e.g. an organization id). */
  headers?: Record<string, string> | undefined;
  /** undici dispatcher (connection pool); injectable for tests. */
  dispatcher: Dispatcher;
}

export interface PostOptions {
  providerId: string;
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
}

type UpstreamResponse = Dispatcher.ResponseData;

async function send(options: PostOptions, accept: string): Promise<UpstreamResponse> {
  let response: UpstreamResponse;
  try {
    response = await request(options.url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers: { 'content-type': 'application/json', accept, ...options.headers },
      body: JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    throw mapNetworkError(options.providerId, error, options.signal);
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  let bodyText = '';
  try {
    bodyText = await response.body.text();
  } catch {
    // The error body is a courtesy; the status already says what happened.
  }
  throw mapHttpError({
    providerId: options.providerId,
    status: response.statusCode,
    headers: response.headers,
    bodyText,
  });
}

/** POSTs JSON and returns the parsed JSON answer; throws KeelError on any failure. */
export async function postJson(options: PostOptions): Promise<unknown> {
  const response = await send(options, 'application/json');
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw mapNetworkError(options.providerId, error, options.signal);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badResponse(options.providerId, 'body is not JSON', error);
  }
}

/**
 * POSTs JSON and, once the upstream accepted the call, returns its server-sent events.
 * The iterable throws a KeelError if the connection breaks mid-stream.
 */
export async function postForEvents(options: PostOptions): Promise<AsyncIterable<EventSourceMessage>> {
  const response = await send(options, 'text/event-stream');
  return readEvents(options.providerId, response.body, options.signal);
}

async function* readEvents(
  providerId: string,
  body: AsyncIterable<Buffer>,
  signal: AbortSignal,
): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      while (pending.length > 0) yield pending.shift() as EventSourceMessage;
    }
  } catch (error) {
    if (signal.aborted && signal.reason instanceof KeelError) throw signal.reason;
    throw streamInterrupted(providerId, error instanceof Error ? error.message : String(error), error);
  }
  parser.feed(decoder.decode());
  while (pending.length > 0) yield pending.shift() as EventSourceMessage;
}

/** Parses one SSE `data:` payload as JSON, or throws a bad-response KeelError. */
export function parseEventJson(providerId: string, data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch (error) {
    throw badResponse(providerId, `stream event is not JSON: ${data.slice(0, 120)}`, error);
  }
}

/** Joins a base URL and a path without doubling or dropping slashes. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * One provider's HTTP side: its id (for errors), connection pool and fixed headers.
 * @example const client = new UpstreamClient({ providerId, dispatcher, headers }); await client.json(url, body, signal)
 */
export class UpstreamClient {
  readonly providerId: string;
  readonly #dispatcher: Dispatcher;
  readonly #headers: Record<string, string>;

  constructor(options: { providerId: string; dispatcher: Dispatcher; headers: Record<string, string> }) {
    this.providerId = options.providerId;
    this.#dispatcher = options.dispatcher;
    this.#headers = options.headers;
  }

  /** POSTs JSON, returns the JSON answer. */
  json(url: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    return postJson({
      providerId: this.providerId,
      dispatcher: this.#dispatcher,
      url,
      headers: this.#headers,
      body,
      signal,
    });
  }

  /** POSTs JSON, returns the server-sent events once the upstream accepted the call. */
  events(url: string, body: unknown, signal: AbortSignal): Promise<AsyncIterable<EventSourceMessage>> {
    return postForEvents({
      providerId: this.providerId,
      dispatcher: this.#dispatcher,
      url,
      headers: this.#headers,
      body,
      signal,
    });
  }

  /** An SSE event's data as a JSON object, or a bad-response KeelError. */
  eventObject(data: string): Record<string, unknown> {
    const parsed = parseEventJson(this.providerId, data);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw badResponse(this.providerId, `stream event is not a JSON object: ${data.slice(0, 120)}`);
    }
    return parsed as Record<string, unknown>;
  }
}
