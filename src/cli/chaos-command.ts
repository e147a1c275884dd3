// `keel chaos`: inject, list and clear runtime fault injections on a running Keel (/api/chaos).
import { controlApiClient } from './control-api-client.js';
import { parseArgs } from 'node:util';
import { parseDuration } from '../http/stats-routes.js';

export const chaosUsage = `  keel chaos inject --target PROVIDER[/MODEL] --for 5m [--error-rate 0.5] [--error-kind 500|503|429|timeout|reset]
                    [--latency-ms 3000] [--outage] [--cut-rate 0.2]
  keel chaos list
  keel chaos clear [--target PROVIDER[/MODEL]]
      Fault injection on a running Keel (--url, default http://127.0.0.1:8080; KEEL_ADMIN_TOKEN is
      sent if set). Injections end by themselves (--for, at most 1h).`;

interface WireInjection {
  id: string;
  target: string;
  latencyMs?: number;
  errorRate?: number;
  errorKind?: string;
  outage?: boolean;
  cutRate?: number;
  expiresAt: string;
}

function numberFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new Error(`${flag}: "${text}" is not a number`);
  return value;
}

/** One line per injection: its target, faults and expiry. */
export function formatInjections(injections: readonly WireInjection[]): string {
  if (injections.length === 0) return 'No chaos injections.\n';
  return injections
    .map((injection) => {
      const faults = [
        injection.outage === true ? `outage(${injection.errorKind ?? '503'})` : undefined,
        injection.errorRate === undefined
          ? undefined
          : `errors=${injection.errorRate}(${injection.errorKind ?? '500'})`,
        injection.latencyMs === undefined ? undefined : `latency=${injection.latencyMs}ms`,
        injection.cutRate === undefined ? undefined : `cut=${injection.cutRate}`,
      ].filter((fault) => fault !== undefined);
      return `${injection.id}  ${injection.target}  ${faults.join(' ')}  until ${injection.expiresAt}\n`;
    })
    .join('');
}

/**
 * Runs `keel chaos <action> ...` and returns what to print.
 * @example process.stdout.write(await chaosCommand(['inject', '--target', 'primary', '--outage', '--for', '5m']))
 */
export async function chaosCommand(args: string[], fetchImpl: typeof fetch = fetch): Promise<string> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      target: { type: 'string' },
      for: { type: 'string' },
      'error-rate': { type: 'string' },
      'error-kind': { type: 'string' },
      'latency-ms': { type: 'string' },
      outage: { type: 'boolean' },
      'cut-rate': { type: 'string' },
    },
    strict: true,
  });
  const call = controlApiClient({ url: values.url ?? 'http://127.0.0.1:8080', fetchImpl });
  switch (action) {
    case 'list':
      return formatInjections((await call<{ injections: WireInjection[] }>('GET', '/api/chaos')).injections);
    case 'clear': {
      const { cleared } = await call<{ cleared: WireInjection[] }>('POST', '/api/chaos/clear', {
        target: values.target,
      });
      return `Cleared ${cleared.length} injection${cleared.length === 1 ? '' : 's'}.\n${cleared.length === 0 ? '' : formatInjections(cleared)}`;
    }
    case 'inject': {
      if (values.target === undefined) throw new Error('keel chaos inject needs --target PROVIDER[/MODEL]');
      if (values.for === undefined)
        throw new Error('keel chaos inject needs --for, e.g. --for 5m (at most 1h)');
      let forMs: number;
      try {
        forMs = parseDuration(values.for, '--for');
      } catch {
        throw new Error(`--for: "${values.for}" is not a duration; use e.g. 30s, 5m or 1h`);
      }
      const injection = await call<WireInjection>('POST', '/api/chaos/inject', {
        target: values.target,
        forMs,
        errorRate: numberFlag(values['error-rate'], '--error-rate'),
        errorKind: values['error-kind'],
        latencyMs: numberFlag(values['latency-ms'], '--latency-ms'),
        outage: values.outage,
        cutRate: numberFlag(values['cut-rate'], '--cut-rate'),
      });
      return `Injected ${formatInjections([injection])}`;
    }
    default:
      throw new Error(`keel chaos needs inject, list or clear; got "${action ?? ''}"`);
  }
}
