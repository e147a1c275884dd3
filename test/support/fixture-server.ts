// A real HTTP server on loopback that plays scripted provider answers and records what it received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

/** One scripted answer. */
export type FixtureReply =
  | { kind: 'json'; status?: number; headers?: Record<string, string>; body: unknown }
  | {
      kind: 'sse';
      status?: number;
      headers?: Record<string, string>;
      /** Raw SSE text, exactly as the provider sends it (blank-line separated events). */
      text: string;
      /** Delay between events, to exercise idle and ttft deadlines. */
      eventDelayMs?: number;
      /** Destroy the socket after this many events: a mid-stream cut. */
      cutAfterEvents?: number;
      /** Wait this long before the first byte. */
      firstByteDelayMs?: number;
    }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'handler'; handle: (request: RecordedRequest, response: ServerResponse) => void };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyText: string;
  body: unknown;
}

export interface FixtureServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queue answers; when the queue is empty, `fallback` answers. */
  enqueue(...replies: FixtureReply[]): void;
  fallback: FixtureReply | undefined;
  close(): Promise<void>;
}

/** Reads a fixture file relative to the given module URL. */
export function readFixture(moduleUrl: string, relativePath: string): string {
  return readFileSync(new URL(relativePath, moduleUrl), 'utf8');
}

/** Reads and parses a JSON fixture relative to the given module URL. */
export function readJsonFixture(moduleUrl: string, relativePath: string): unknown {
  return JSON.parse(readFixture(moduleUrl, relativePath)) as unknown;
}

function splitEvents(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\n+/)
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}

async function playSse(
  reply: Extract<FixtureReply, { kind: 'sse' }>,
  response: ServerResponse,
): Promise<void> {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  if (reply.firstByteDelayMs !== undefined) await sleep(reply.firstByteDelayMs);
  response.writeHead(reply.status ?? 200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...reply.headers,
  });
  const events = splitEvents(reply.text);
  for (let index = 0; index < events.length; index++) {
    if (reply.cutAfterEvents !== undefined && index === reply.cutAfterEvents) {
      response.socket?.destroy();
      return;
    }
    if (index > 0 && reply.eventDelayMs !== undefined) await sleep(reply.eventDelayMs);
    if (response.destroyed) return;
    // Wait for each write to flush so a later cut happens after the client got these bytes.
    await new Promise<void>((resolve) => response.write(events[index], () => resolve()));
  }
  response.end();
}

/** Starts a fixture server on 127.0.0.1 with a free port. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const queue: FixtureReply[] = [];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const state: { fallback: FixtureReply | undefined } = { fallback: undefined };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const bodyText = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      try {
        body = bodyText === '' ? undefined : (JSON.parse(bodyText) as unknown);
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        bodyText,
        body,
      };
      requests.push(recorded);
      const reply = queue.shift() ?? state.fallback;
      if (reply === undefined) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'fixture server: no reply queued' } }));
        return;
      }
      switch (reply.kind) {
        case 'json':
          response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          response.end(JSON.stringify(reply.body));
          return;
        case 'sse':
          void playSse(reply, response);
          return;
        case 'reset':
          request.socket.destroy();
          return;
        case 'hang':
          hanging.add(response);
          return;
        case 'handler':
          reply.handle(recorded, response);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    get fallback() {
      return state.fallback;
    },
    set fallback(reply) {
      state.fallback = reply;
    },
    close: async () => {
      for (const response of hanging) response.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
