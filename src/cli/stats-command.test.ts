import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { StatsGroup } from '../store/store.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import { formatHealthLine, formatStatsTable, statsCommand } from './stats-command.js';

const group = (provider: string, overrides: Partial<StatsGroup> = {}): StatsGroup => ({
  key: { provider },
  requests: 5,
  ok: 1,
  errors: 4,
  errorRate: 0.8,
  successRate: 0.2,
  inputTokens: 1000,
  outputTokens: 750,
  totalTokens: 1750,
  cachedInputTokens: 0,
  reasoningTokens: 0,
  costUsd: 0.0026,
  cacheHits: 0,
  latency: { p50: 1200, p95: 1500, p99: 1700, avg: 1300, min: 900, max: 1800 },
  upstream: { p50: 1190, p95: 1490, p99: 1690 },
  overhead: { p50: 0.2, p95: 0.5, p99: 0.9 },
  ttft: { p50: null, p95: null, p99: null },
  failovers: 0,
  failoverRate: 0,
  quality: { avg: null, scored: 0 },
  ...overrides,
});

describe('keel stats table', () => {
  it("prints seed 001's layout per provider, with breaker states", () => {
    const text = formatStatsTable({
      window: '1h',
      stats: {
        fromMs: 0,
        toMs: 1,
        groups: [
          group('openai'),
          group('anthropic', {
            requests: 4,
            ok: 4,
            errors: 0,
            successRate: 1,
            totalTokens: 1400,
            costUsd: 0.0016,
          }),
        ],
      },
      breakers: [
        {
          target: 'openai/gpt-4',
          status: 'open',
          reason: '5 consecutive failures',
          consecutiveFailures: 0,
          windowCalls: 5,
          windowFailures: 4,
          openedAt: undefined,
        },
      ],
    });
    expect(text).toContain('Total Requests: 9\nTotal Cost: $0.0042');
    expect(text).toContain(
      '  OPENAI:\n    Requests: 5\n    Success Rate: 20.0%\n    Total Tokens: 1,750\n    Total Cost: $0.0026\n    Latency - P50: 1200ms, P95: 1500ms, P99: 1700ms',
    );
    expect(text).toContain('  ANTHROPIC:\n    Requests: 4\n    Success Rate: 100.0%');
    expect(text).toContain('  openai/gpt-4: 🔴 open (Failures: 4, Error Rate: 80.0%)');
  });

  it('reads a store file when Keel is not running', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-stats-')), 'keel.db');
    const store = new SqliteStore({ path });
    const now = Date.now();
    const record = (id: string, outcome: 'ok' | 'error'): RequestRecord => ({
      timeMs: now - 60_000,
      requestId: id,
      traceId: undefined,
      environment: 'default',
      application: 'default',
      route: undefined,
      requestedModel: 'chat',
      provider: 'primary',
      providerType: 'openai',
      servedModel: 'gpt-4o-mini',
      stream: false,
      status: outcome === 'ok' ? 200 : 502,
      outcome,
      errorCode: outcome === 'ok' ? undefined : 'KEEL_ALL_TARGETS_FAILED',
      errorType: outcome === 'ok' ? undefined : 'server_error',
      totalMs: 300,
      upstreamMs: 299,
      overheadMs: 1,
      ttftMs: undefined,
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 30,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: 0.001,
      cacheHit: false,
      attempts: 1,
      failoverPath: ['primary/gpt-4o-mini:ok'],
      breakerState: 'closed',
      featureVersion: undefined,
      promptVersion: undefined,
      experimentId: undefined,
      variantId: undefined,
      promptChars: 2,
      responseChars: 40,
      promptPreview: undefined,
      responsePreview: undefined,
    });
    await store.insert([record('a', 'ok'), record('b', 'ok'), record('c', 'error')]);
    await store.close();
    const text = await statsCommand({ store: path, window: '1h' });
    expect(text).toContain('Total Requests: 3');
    expect(text).toContain(
      '  PRIMARY:\n    Requests: 3\n    Success Rate: 66.7%\n    Total Tokens: 90\n    Total Cost: $0.0030',
    );
    expect(text).toContain('only available from a running Keel');
    // One error in three requests: reliability suffers, the overall score is below 100.
    expect(text).toMatch(/Health Score: \d+(\.\d)?\/100 \(performance \d+, reliability \d+/);
    expect(text).not.toContain('Health Score: 100/100');
  });

  it('prints the health score line with the components that had data', () => {
    expect(
      formatHealthLine({
        score: 86.5,
        subScores: {
          performance: { score: 92, weight: 0.25, parts: {} },
          reliability: { score: 80.4, weight: 0.3, parts: {} },
          quality: { score: null, weight: 0.15, parts: {} },
        },
      }),
    ).toBe('Health Score: 86.5/100 (performance 92, reliability 80)');
    expect(formatHealthLine({ score: null, subScores: {} })).toBe('Health Score: no data');
  });

  it('refuses a malformed window', async () => {
    await expect(statsCommand({ window: 'soon' })).rejects.toThrow('--window must look like 15m, 1h or 7d');
  });
});
