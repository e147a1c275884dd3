// postWebhook against a real loopback receiver: a huge error body is read only as far as its excerpt.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationMessage } from './notification.js';
import { postWebhook } from './post-webhook.js';
import type { OutboxEntry } from './sqlite-outbox.js';

const message: NotificationMessage = {
  kind: 'test',
  title: 'Test notification',
  text: 'hello',
  fields: {},
  dedupeKey: 'test:1',
  atMs: Date.UTC(2026, 11, 1, 9, 30),
};
const entry: OutboxEntry = {
  id: 'delivery-1',
  target: 'hook',
  dedupeKey: message.dedupeKey,
  message,
  status: 'pending',
  attempts: 0,
  nextAttemptAtMs: message.atMs,
  lastStatus: undefined,
  lastError: undefined,
  createdAtMs: message.atMs,
  updatedAtMs: message.atMs,
};

/** What the receiver saw of its own answer once the connection was gone. */
interface Sent {
  bytes: number;
  finished: boolean;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** Answers every POST with a 500 of `totalBytes`, written as fast as the client reads it. */
async function hugeErrorReceiver(totalBytes: number): Promise<{ url: string; sent: Promise<Sent> }> {
  let report: (sent: Sent) => void = () => undefined;
  const sent = new Promise<Sent>((resolve) => (report = resolve));
  server = createServer((request, response) => {
    request.resume();
    response.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(totalBytes) });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    chunk.write('receiver exploded: ');
    let bytes = 0;
    const write = (): void => {
      while (bytes < totalBytes && !response.destroyed) {
        const size = Math.min(chunk.length, totalBytes - bytes);
        bytes += size;
        if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
          response.once('drain', write);
          return;
        }
      }
      if (bytes >= totalBytes) response.end();
    };
    response.on('close', () => report({ bytes, finished: response.writableFinished }));
    write();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, sent };
}

describe('postWebhook', () => {
  it('reads at most a few KB of a multi-MB 5xx body and drops the rest', async () => {
    const totalBytes = 64 * 1024 * 1024;
    const receiver = await hugeErrorReceiver(totalBytes);
    const result = await postWebhook({
      entry,
      webhook: { id: 'hook', url: receiver.url, format: 'json' },
      attempt: 1,
      sentAtMs: message.atMs,
      timeoutMs: 30_000,
      stopSignal: new AbortController().signal,
      now: () => message.atMs,
    });
    expect(result).toMatchObject({ kind: 'response', status: 500 });
    expect(result?.kind === 'response' ? result.bodyText : '').toMatch(/^receiver exploded: x+…?$/);
    const sent = await receiver.sent;
    // The client hung up: the receiver never got to write the whole body.
    expect(sent.finished).toBe(false);
    expect(sent.bytes).toBeLessThan(totalBytes);
  });
});
