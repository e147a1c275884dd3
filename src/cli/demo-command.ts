// `keel demo`: parse the flags and run the narrated outage story (src/demo/run-demo.ts).
import { parseArgs } from 'node:util';
import { runDemo, type DemoOptions, type DemoOutput, type DemoResult } from '../demo/run-demo.js';

/** The `keel demo` lines of `keel --help`. */
export const demoUsage = `  keel demo [--short] [--exit] [--port 8080] [--host 127.0.0.1] [--data-dir DIR]
      Start Keel on simulated providers, send mixed traffic, inject a latency spike and then an outage
      of the primary, and narrate the failovers, breaker, monitor alerts and incidents until they
      resolve; then leave the dashboard running (Ctrl-C stops it). --short: compressed timings (under a
      minute); --exit: stop when the story ends (exit 1 if its incident did not open and resolve);
      --port 0: any free port; --data-dir: where keel.db and ops.db go (default: a fresh temp dir).`;

/** Bad `keel demo` flags; the message says what to write instead. */
export class DemoOptionError extends Error {
  readonly code = 'KEEL_DEMO_INVALID_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'DemoOptionError';
  }
}

/** The flags as runDemo options. */
export function parseDemoOptions(args: string[]): DemoOptions {
  const { values } = parseArgs({
    args,
    options: {
      short: { type: 'boolean' },
      exit: { type: 'boolean' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  let port: number | undefined;
  if (values.port !== undefined) {
    const text = values.port.trim();
    port = Number(text);
    if (!/^\d+$/.test(text) || port > 65_535) {
      throw new DemoOptionError(`--port: "${values.port}" is not a port; use 0-65535 (0: any free port)`);
    }
  }
  if (values.host?.trim() === '') throw new DemoOptionError('--host: must not be empty; e.g. 127.0.0.1');
  if (values['data-dir']?.trim() === '') throw new DemoOptionError('--data-dir: must not be empty');
  return {
    short: values.short === true,
    exit: values.exit === true,
    port,
    host: values.host,
    dataDir: values['data-dir'],
  };
}

/**
 * Runs `keel demo` and resolves with its exit code: with `--exit`, 0 when the incident the story
 * causes opened and resolved, 1 otherwise; without it, 0 once the user stops it.
 */
export async function demoCommand(
  args: string[],
  io: {
    output: DemoOutput;
    signal?: AbortSignal | undefined;
    onStoryEnd?: DemoOptions['onStoryEnd'];
  },
): Promise<{ exitCode: number; result: DemoResult }> {
  const options = parseDemoOptions(args);
  let result: DemoResult;
  try {
    result = await runDemo({ ...options, output: io.output, signal: io.signal, onStoryEnd: io.onStoryEnd });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new DemoOptionError(
        `port ${options.port ?? 8080} is in use; pass --port with another port, or --port 0 for any free one`,
      );
    }
    throw error;
  }
  return { exitCode: options.exit === true && !result.ok ? 1 : 0, result };
}
