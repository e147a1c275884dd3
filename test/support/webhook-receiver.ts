// A loopback webhook receiver for notification tests: answers from a script and records every POST.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** How the receiver answers one request; `hold` answers only on release() (or never, until close). */
export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'hold';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Answers used in order; once used up, every request gets `fallback`. */
  script: ScriptedAnswer[];
  fallback: ScriptedAnswer;
  /** Answers every held request with 200. */
  release(): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const held: (() => void)[] = [];
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = {
    received: [],
    script: [],
    fallback: { status: 200 },
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receiver.received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = receiver.script.shift() ?? receiver.fallback;
      if (answer === 'hold') {
        held.push(() => response.writeHead(200).end());
        return;
      }
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
