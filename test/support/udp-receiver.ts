// A StatsD server for tests: a UDP socket on a free loopback port that keeps every line it receives, parsed.
import { createSocket, type Socket } from 'node:dgram';

/** One metric line, `name:value|type|@rate|#tag,tag`. */
export interface StatsdLine {
  /** The line as received. */
  raw: string;
  name: string;
  value: number;
  /** `c`, `g`, `ms`, `h`, `d`, `s`. */
  type: string;
  /** The `@rate` field, when the line has one. */
  sampleRate: number | undefined;
  /** The `#` tags in order, as `key:value` strings. */
  tags: string[];
}

/** Parses one StatsD/DogStatsD line; throws on anything that is not one. */
export function parseStatsdLine(raw: string): StatsdLine {
  const [metric = '', type = '', ...fields] = raw.split('|');
  const colon = metric.lastIndexOf(':');
  if (colon <= 0 || type === '') throw new Error(`not a StatsD line: ${JSON.stringify(raw)}`);
  const value = Number(metric.slice(colon + 1));
  if (!Number.isFinite(value)) throw new Error(`not a number in ${JSON.stringify(raw)}`);
  let sampleRate: number | undefined;
  let tags: string[] = [];
  for (const field of fields) {
    if (field.startsWith('@')) sampleRate = Number(field.slice(1));
    else if (field.startsWith('#')) tags = field.slice(1).split(',');
    else throw new Error(`unknown field ${JSON.stringify(field)} in ${JSON.stringify(raw)}`);
  }
  return { raw, name: metric.slice(0, colon), value, type, sampleRate, tags };
}

export class UdpReceiver {
  readonly lines: StatsdLine[] = [];
  /** Datagrams received (several lines each when the client buffers). */
  datagrams = 0;
  readonly #socket: Socket;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (message) => {
      this.datagrams++;
      for (const raw of message.toString('utf8').split('\n')) {
        if (raw !== '') this.lines.push(parseStatsdLine(raw));
      }
    });
  }

  /** Binds a receiver to 127.0.0.1 on a free port. */
  static async start(): Promise<UdpReceiver> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpReceiver(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Lines whose name is `name`. */
  named(name: string): StatsdLine[] {
    return this.lines.filter((line) => line.name === name);
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.lines.length = 0;
    this.datagrams = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** Binds a UDP port, then frees it: an address where nothing listens. */
export async function closedUdpPort(): Promise<number> {
  const receiver = await UdpReceiver.start();
  const { port } = receiver;
  await receiver.close();
  return port;
}
