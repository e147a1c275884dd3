// `keel traffic`: parse the flags, send the traffic with live progress, and print the summary.
import { parseArgs } from 'node:util';
import { runTraffic } from '../traffic/run-traffic.js';
import { formatProgressLine, formatTrafficSummary } from '../traffic/summarize-traffic.js';
import { parseTrafficOptions } from '../traffic/traffic-options.js';

/** The `keel traffic` lines of `keel --help`. */
export const trafficUsage = `  keel traffic [--target URL] [--profile normal|oversized|noisy|burst|mixed] [--rps 10]
      [--duration 60s] [--concurrency 16] [--model chat-default] [--stream 0.5] [--allow-host HOST] [--json]
      Send realistic chat traffic to a Keel (default http://127.0.0.1:8080) and summarize it. At most
      1h, 1000 rps, 256 in flight; loopback or configured targets only (--allow-host, repeatable).
      KEEL_API_KEY, if set, is sent as the gateway key.`;

/** Where progress goes: a TTY gets one line rewritten in place, anything else a line every 5 s. */
export interface ProgressOutput {
  write(text: string): void;
  isTTY?: boolean | undefined;
}

/** Runs `keel traffic` and resolves with what to print on stdout (text or, with `--json`, JSON). */
export async function trafficCommand(
  args: string[],
  io: { progress: ProgressOutput; env: Record<string, string | undefined>; signal?: AbortSignal },
): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: 'string' },
      profile: { type: 'string' },
      rps: { type: 'string' },
      duration: { type: 'string', short: 'd' },
      concurrency: { type: 'string', short: 'c' },
      model: { type: 'string', short: 'm' },
      stream: { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const traffic = parseTrafficOptions(values, { apiKey: io.env.KEEL_API_KEY || undefined });
  const tty = io.progress.isTTY === true;
  const { summary } = await runTraffic({
    traffic,
    signal: io.signal,
    progressIntervalMs: tty ? 250 : 5000,
    onProgress: (progress) => {
      const line = formatProgressLine(progress);
      io.progress.write(tty ? `\r\u001b[2K${line}` : `${line}\n`);
    },
  });
  if (tty) io.progress.write('\n');
  return values.json === true ? `${JSON.stringify(summary, null, 2)}\n` : formatTrafficSummary(summary);
}
