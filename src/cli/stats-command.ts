// `keel stats`: seed 001's statistics table, from a running Keel or straight from its store file.
import { existsSync } from 'node:fs';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { StatsGroup, StatsResult } from '../store/store.js';
import { readHealthScore } from '../insights/read-health-score.js';
import type { HealthSubScore } from '../insights/health-score.js';

/** The overall health score of the window, as `/api/health-score` gives it. */
export interface StatsHealth {
  score: number | null;
  subScores: Record<string, HealthSubScore>;
}

/** "Health Score: 86.5/100 (performance 92, reliability 80, ...)"; components without data are left out. */
export function formatHealthLine(health: StatsHealth): string {
  const parts = Object.entries(health.subScores)
    .filter(([, sub]) => sub.score !== null)
    .map(([name, sub]) => `${name} ${Math.round(sub.score ?? 0)}`);
  const score = health.score === null ? 'no data' : `${health.score}/100`;
  return `Health Score: ${score}${parts.length === 0 ? '' : ` (${parts.join(', ')})`}`;
}

const icons: Record<string, string> = { closed: '🟢', 'half-open': '🟡', open: '🔴' };

function milliseconds(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)}ms`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function providerBlock(group: StatsGroup): string[] {
  const name = (group.key.provider ?? '') === '' ? '(NO PROVIDER)' : (group.key.provider ?? '').toUpperCase();
  return [
    `  ${name}:`,
    `    Requests: ${group.requests.toLocaleString('en-US')}`,
    `    Success Rate: ${percent(group.successRate)}`,
    `    Total Tokens: ${group.totalTokens.toLocaleString('en-US')}`,
    `    Total Cost: $${group.costUsd.toFixed(4)}`,
    `    Latency - P50: ${milliseconds(group.latency.p50)}, P95: ${milliseconds(group.latency.p95)}, P99: ${milliseconds(group.latency.p99)}`,
    '',
  ];
}

/** The table, as plain text. `breakers` is undefined when read from a store file (no live state). */
export function formatStatsTable(options: {
  stats: StatsResult;
  breakers: BreakerSnapshot[] | undefined;
  window: string;
  health?: StatsHealth | undefined;
}): string {
  const { stats, breakers } = options;
  const rule = '='.repeat(60);
  let requests = 0;
  let cost = 0;
  for (const group of stats.groups) {
    requests += group.requests;
    cost += group.costUsd;
  }
  const lines = [
    rule,
    `LLM MONITORING STATISTICS (last ${options.window})`,
    rule,
    '',
    `Total Requests: ${requests.toLocaleString('en-US')}`,
    `Total Cost: $${cost.toFixed(4)}`,
    ...(options.health === undefined ? [] : [formatHealthLine(options.health)]),
    '',
    'Provider Statistics:',
    '',
  ];
  for (const group of stats.groups) lines.push(...providerBlock(group));
  if (stats.groups.length === 0) lines.push('  (no requests in this window)', '');
  lines.push('Circuit Breaker States:');
  if (breakers === undefined)
    lines.push('  (live breaker state is only available from a running Keel: use --url)');
  for (const breaker of breakers ?? []) {
    const rate = breaker.windowCalls === 0 ? 0 : breaker.windowFailures / breaker.windowCalls;
    lines.push(
      `  ${breaker.target}: ${icons[breaker.status] ?? ''} ${breaker.status} (Failures: ${breaker.windowFailures}, Error Rate: ${percent(rate)})`,
    );
  }
  lines.push(rule);
  return `${lines.join('\n')}\n`;
}

function parseWindowMs(window: string): number {
  const match = /^(\d+)(m|h|d)$/.exec(window);
  if (match?.[1] === undefined) throw new Error(`--window must look like 15m, 1h or 7d; got "${window}"`);
  return Number(match[1]) * (match[2] === 'm' ? 60_000 : match[2] === 'h' ? 3_600_000 : 86_400_000);
}

/** Reads stats and the health score from a running Keel's /api/stats and /api/health-score. */
async function fromServer(
  url: string,
  window: string,
): Promise<{ stats: StatsResult; breakers: BreakerSnapshot[]; health: StatsHealth | undefined }> {
  const token = process.env.KEEL_ADMIN_TOKEN;
  const base = url.replace(/\/+$/, '');
  const headers: Record<string, string> =
    token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
  const response = await fetch(`${base}/api/stats?window=${window}&group_by=provider`, { headers });
  const body = (await response.json()) as StatsResult & {
    breakers: BreakerSnapshot[];
    error?: { message: string };
  };
  if (!response.ok)
    throw new Error(`${url} answered ${response.status}: ${body.error?.message ?? 'no message'}`);
  // An older Keel has no health score: the table is printed without it.
  const healthResponse = await fetch(`${base}/api/health-score?window=${window}`, { headers });
  const health = healthResponse.ok
    ? ((await healthResponse.json()) as { overall: StatsHealth }).overall
    : undefined;
  return { stats: body, breakers: body.breakers, health };
}

/** Reads stats and the health score straight from a store file (Keel may be stopped). */
async function fromStore(path: string, window: string): Promise<{ stats: StatsResult; health: StatsHealth }> {
  if (!existsSync(path))
    throw new Error(`no store file at ${path}; point --store at Keel's telemetry.store.path`);
  const store = new SqliteStore({ path });
  try {
    const toMs = Date.now();
    const fromMs = toMs - parseWindowMs(window);
    const stats = await store.stats({ fromMs, toMs, groupBy: ['provider'] });
    const { overall } = await readHealthScore({ store, fromMs, toMs });
    return { stats, health: overall };
  } finally {
    await store.close();
  }
}

export async function statsCommand(options: {
  url?: string;
  store?: string;
  window?: string;
}): Promise<string> {
  const window = options.window ?? '1h';
  parseWindowMs(window);
  if (options.store !== undefined) {
    const { stats, health } = await fromStore(options.store, window);
    return formatStatsTable({ stats, breakers: undefined, window, health });
  }
  const { stats, breakers, health } = await fromServer(options.url ?? 'http://127.0.0.1:8080', window);
  return formatStatsTable({ stats, breakers, window, health });
}
