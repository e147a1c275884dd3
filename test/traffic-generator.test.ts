// The traffic generator against a real Keel with mock providers: its summary agrees with /api/stats.
import { afterEach, describe, expect, it } from 'vitest';
import type { StatsResult } from '../src/store/store.js';
import { trafficCommand } from '../src/cli/traffic-command.js';
import type { TrafficSummary } from '../src/traffic/summarize-traffic.js';
import { runTraffic } from '../src/traffic/run-traffic.js';
import { parseTrafficOptions } from '../src/traffic/traffic-options.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';
import { seededRandom } from './support/seeded-random.js';

describe('keel traffic against a running Keel', () => {
  let harness: KeelHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('sends a mixed run whose summary matches /api/stats for the same window', async () => {
    harness = await startKeel({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 5, p99: 30 }, errorRate: 0.1, seed: 11 }],
      models: [{ name: 'chat', strategy: 'fallback', targets: [{ provider: 'sim', model: 'gpt-4o-mini' }] }],
      reliability: {
        retry: { maxAttempts: 1 },
        circuitBreaker: { consecutiveFailures: 1_000, minimumRequests: 1_000 },
      },
    });
    const traffic = parseTrafficOptions({
      target: harness.url,
      profile: 'mixed',
      rps: '20',
      duration: '3s',
      concurrency: '8',
      model: 'chat',
    });
    const progress: number[] = [];
    const { summary, startedAtMs, endedAtMs } = await runTraffic({
      traffic,
      random: seededRandom(42),
      progressIntervalMs: 500,
      onProgress: (counters) => progress.push(counters.sent),
    });
    expect(summary.requests).toBeGreaterThan(40);
    expect(summary.ok).toBeGreaterThan(0);
    expect(summary.errors).toBeGreaterThan(0);
    expect(summary.streamed).toBeGreaterThan(0);
    expect(summary.kinds.oversized ?? 0).toBeGreaterThan(0);
    expect(summary.refusedBeforeRouting).toBeGreaterThan(0);
    expect(summary.tokens.input).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(summary.requests);

    const query = new URLSearchParams({ from: String(startedAtMs - 1), to: String(endedAtMs + 60_000) });
    const response = await fetch(`${harness.url}/api/stats?${query.toString()}`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as StatsResult;
    const group = stats.groups[0];
    expect(group).toBeDefined();
    expect({
      requests: group?.requests,
      ok: group?.ok,
      errors: group?.errors,
      inputTokens: group?.inputTokens,
      outputTokens: group?.outputTokens,
    }).toEqual({
      // Bodies refused before routing (invalid JSON, missing messages) never reach Keel's telemetry.
      requests: summary.requests - summary.refusedBeforeRouting,
      ok: summary.ok,
      errors: summary.errors - summary.refusedBeforeRouting,
      inputTokens: summary.tokens.input,
      outputTokens: summary.tokens.output,
    });
  });

  it('prints the summary as JSON with --json, and rewrites the progress line in place on a TTY', async () => {
    harness = await startKeel({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 2, p99: 10 }, seed: 3 }],
      models: [{ name: 'chat', strategy: 'fallback', targets: [{ provider: 'sim', model: 'gpt-4o-mini' }] }],
    });
    const args = ['--target', harness.url, '--profile', 'normal', '--rps', '10', '--duration', '1s'];
    const written: string[] = [];
    const output = await trafficCommand([...args, '--model', 'chat', '--json'], {
      progress: { write: (text) => written.push(text), isTTY: true },
      env: {},
    });
    const summary = JSON.parse(output) as TrafficSummary;
    expect(summary.requests).toBe(10);
    expect(summary.ok).toBe(10);
    const erase = '\r\u001b[2K';
    expect(written.at(-2)?.startsWith(erase)).toBe(true);
    expect(written.at(-2)?.slice(erase.length)).toMatch(/^\[#+\] .*sent 10 in flight 0 ok 10 errors 0$/);
    expect(written.at(-1)).toBe('\n');

    const plain: string[] = [];
    const text = await trafficCommand([...args, '--model', 'no-such-alias'], {
      progress: { write: (line) => plain.push(line) },
      env: {},
    });
    expect(text).toContain('Errors:       KEEL_UNKNOWN_MODEL: 10');
    expect(plain.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});
