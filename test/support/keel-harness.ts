// Boots a whole Keel in-process on a free loopback port, with the official OpenAI SDK as its client.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { RequestPolicy } from '../../src/policy/request-policy.js';
import { pino, type Logger } from 'pino';
import { createKeel, type Keel } from '../../src/compose/create-keel.js';
import { validateConfig, type KeelConfigInput } from '../../src/config/index.js';
import type { Clock, Scheduler } from '../../src/spec/index.js';
import type { RequestEndEvent } from '../../src/telemetry/events.js';

export interface KeelHarness {
  keel: Keel;
  url: string;
  client: OpenAI;
  /** Every request:end event, in order. */
  ended: RequestEndEvent[];
  close(): Promise<void>;
}

/** A clock tests move by hand. `sleep` records the wait and resolves at once (rejects if aborted). */
export class ManualClock implements Clock {
  nowMs = Date.parse('2026-01-01T00:00:00Z');
  readonly sleeps: number[] = [];
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    return Promise.resolve();
  }
}

/** Points the store, spool, JSONL and key files at a fresh temp dir unless the test set them itself. */
export function withTempStore(config: KeelConfigInput): KeelConfigInput {
  const dir = mkdtempSync(join(tmpdir(), 'keel-test-'));
  return {
    ...config,
    keys: { path: join(dir, 'keys.db'), ...config.keys },
    ops: { path: join(dir, 'ops.db'), ...config.ops },
    telemetry: {
      ...config.telemetry,
      store: { path: join(dir, 'keel.db'), spoolPath: join(dir, 'spool.jsonl'), ...config.telemetry?.store },
      jsonl: { dir: join(dir, 'telemetry'), ...config.telemetry?.jsonl },
    },
  };
}

export async function startKeel(
  config: KeelConfigInput,
  options: {
    clock?: Clock;
    random?: () => number;
    policies?: readonly RequestPolicy[];
    /** Default: silent. */
    logger?: Logger;
    env?: Record<string, string>;
    monitorScheduler?: Scheduler;
    probeScheduler?: Scheduler;
  } = {},
): Promise<KeelHarness> {
  const keel = createKeel({
    config: validateConfig(withTempStore(config), { source: 'test', env: options.env ?? {} }),
    clock: options.clock,
    random: options.random,
    policies: options.policies,
    monitorScheduler: options.monitorScheduler,
    probeScheduler: options.probeScheduler,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  const ended: RequestEndEvent[] = [];
  keel.events.on('request:end', (event) => ended.push(event));
  const url = await keel.listen({ port: 0, host: '127.0.0.1' });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
  return {
    keel,
    url,
    client,
    ended,
    close: async () => {
      await keel.close(2000);
    },
  };
}
