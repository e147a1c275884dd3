// `keel demo --short --exit` end to end: the whole story runs unattended, narrated in order, and its incidents open and resolve.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommand } from '../src/cli/demo-command.js';
import { runDemo } from '../src/demo/run-demo.js';
import type { Incident } from '../src/incidents/incident.js';

/** Index of the first line matching `pattern` at or after `from`; -1 when none. */
function lineIndex(lines: readonly string[], pattern: RegExp, from = 0): number {
  const index = lines.slice(from).findIndex((line) => pattern.test(line));
  return index < 0 ? -1 : from + index;
}

describe('keel demo', () => {
  it('runs the short story to the end: failover, breaker, alerts, incidents opened and resolved', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keel-demo-test-'));
    let text = '';
    const fromApi: { incidents: Incident[] } = { incidents: [] };
    let dashboard = '';
    const { exitCode, result } = await demoCommand(
      ['--short', '--exit', '--port', '0', '--data-dir', dataDir],
      {
        output: { write: (chunk: string) => (text += chunk) },
        // While Keel still serves: what the control API and the dashboard say about the incidents.
        onStoryEnd: async ({ url }) => {
          const response = await fetch(`${url}/api/incidents`);
          fromApi.incidents = ((await response.json()) as { incidents: Incident[] }).incidents;
          const first = fromApi.incidents[0];
          if (first !== undefined) dashboard = await (await fetch(`${url}/ui/incidents/${first.id}`)).text();
        },
      },
    );
    const lines = text.split('\n');

    expect(exitCode, text).toBe(0);
    expect(result.ok, text).toBe(true);
    expect(result.dataDir).toBe(dataDir);
    expect(result.missed, text).toEqual([]);

    // The milestones, in the order the story makes them happen.
    const order = [
      /^\[\d\d:\d\d\] ▶ 1\/4 baseline/,
      /^\[\d\d:\d\d\] ▶ 2\/4 latency spike/,
      /⚠ monitor alert: "sim-openai p95 latency/,
      /✗ incident INC-\d+ opened .*→ http:\/\/127\.0\.0\.1:\d+\/ui\/incidents\/INC-\d+$/,
      /^\[\d\d:\d\d\] ▶ 3\/4 outage/,
      /✗ breaker open: sim-openai\//,
      /⚠ monitor alert: "sim-openai circuit breaker open"/,
      /✓ failover: \d+ requests? answered by sim-anthropic after sim-openai failed/,
      /^\[\d\d:\d\d\] ▶ 4\/4 recovery/,
      /✓ recovery: breaker sim-openai\/\S+ half-open → closed/,
      /✓ incident INC-\d+ resolved/,
      /✓ every incident the demo opened is resolved/,
      /── summary ──/,
    ];
    let at = 0;
    for (const pattern of order) {
      const found = lineIndex(lines, pattern, at);
      expect(found, `${String(pattern)} after line ${at} in:\n${text}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
    // Each milestone is told once.
    for (const once of [/✗ breaker open:/, /✓ recovery:/, /⚠ latency: sim-openai p95/]) {
      expect(
        lines.filter((line) => once.test(line)),
        text,
      ).toHaveLength(1);
    }
    expect(result.counts.failovers).toBeGreaterThan(0);
    expect(result.incidents.length).toBeGreaterThanOrEqual(1);
    expect(result.incidents.every((incident) => incident.status === 'resolved')).toBe(true);
    // The control API agrees: the incidents the demo caused exist, came from its monitors, and are resolved.
    expect(fromApi.incidents.map((incident) => incident.id).sort()).toEqual(
      result.incidents.map((incident) => incident.id).sort(),
    );
    expect(fromApi.incidents.every((incident) => incident.status === 'resolved')).toBe(true);
    expect(fromApi.incidents.map((incident) => incident.monitor?.id).sort()).toEqual([
      'primary-breaker',
      'primary-latency',
    ]);
    // The link the narration prints is a dashboard page.
    expect(dashboard).toContain('<html');
  }, 150_000);

  it('stops where it is on Ctrl-C: the chaos is cleared, the summary says so, Keel closes', async () => {
    const controller = new AbortController();
    let text = '';
    let url = '';
    const result = await runDemo({
      short: true,
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'keel-demo-stop-')),
      signal: controller.signal,
      output: {
        write: (chunk: string) => {
          text += chunk;
          // Stop as soon as the story begins (the first act's line).
          if (chunk.includes('▶ 1/4 baseline')) controller.abort();
        },
      },
      onStoryEnd: (story) => {
        url = story.url;
        expect(story.keel.chaos.list()).toEqual([]);
      },
    });
    expect(result.ok).toBe(false);
    expect(text).toContain('■ stopped: chaos cleared, Keel closing');
    expect(text.trimEnd().split('\n').at(-1)).toBe('■ stopped before the story ended');
    expect(text).not.toContain('▶ 2/4');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }, 60_000);
});
