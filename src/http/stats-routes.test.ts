import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { makeSyntheticRecords } from '../store/synthetic-records.js';
import { fromFrameworkError, sendError } from './edge-errors.js';
import { createStatsRoutes } from './stats-routes.js';

describe('stats routes over a real SQLite store', () => {
  let app: FastifyInstance;
  let store: SqliteStore;
  const now = Date.parse('2026-11-23T12:00:00Z');

  beforeAll(async () => {
    store = new SqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'keel-stats-routes-')), 'keel.db') });
    const records = makeSyntheticRecords({
      count: 300,
      seed: 4,
      startMs: now - 30 * 60_000,
      spanMs: 20 * 60_000,
    });
    await store.insert(records);
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => sendError(reply, fromFrameworkError(error)));
    await app.register(
      createStatsRoutes({ store, beforeRead: () => Promise.resolve(), breakers: () => [], now: () => now }),
    );
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('counts every stored request in /api/stats', async () => {
    const response = await app.inject({ url: '/api/stats?window=1h' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ groups: { requests: number }[]; breakers: unknown[] }>();
    expect(body.groups[0]?.requests).toBe(300);
    expect(body.breakers).toEqual([]);
  });

  it('returns failovers, quality and, when asked, the requests below a latency', async () => {
    const plain = await app.inject({ url: '/api/stats?window=1h' });
    const group = plain.json<{
      groups: { failovers: number; failoverRate: number; quality: { avg: number | null; scored: number } }[];
    }>().groups[0];
    expect(typeof group?.failovers).toBe('number');
    expect(typeof group?.failoverRate).toBe('number');
    expect(group?.quality.scored).toBeGreaterThan(0);
    expect(group?.quality.avg).toBeGreaterThan(0);
    expect(group).not.toHaveProperty('latencyBelow');
    const slo = await app.inject({ url: '/api/stats?window=1h&status_class=2xx&latency_below_ms=1e9' });
    expect(slo.statusCode).toBe(200);
    const good = slo.json<{ groups: { requests: number; ok: number; latencyBelow: number }[] }>().groups[0];
    expect(good?.latencyBelow).toBe(good?.requests);
    expect(good?.latencyBelow).toBe(good?.ok);
    for (const bad of ['-1', 'fast', '']) {
      const response = await app.inject({ url: `/api/stats?window=1h&latency_below_ms=${bad}` });
      expect(response.statusCode, bad).toBe(400);
      expect(response.json<{ error: { param: string } }>().error.param).toBe('latency_below_ms');
    }
  });

  it('refuses record-only filters on rollup queries instead of ignoring them', async () => {
    const response = await app.inject({ url: '/api/stats?window=1h&outcome=error' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { param: string } }>().error.param).toBe('outcome');
    const timeseries = await app.inject({ url: '/api/timeseries?window=1h&error_code=X' });
    expect(timeseries.statusCode).toBe(400);
  });

  it('exports CSV with a header, one line per record and plain failover paths', async () => {
    const response = await app.inject({ url: '/api/requests.csv?window=1h&limit=10' });
    expect(response.headers['content-type']).toContain('text/csv');
    const lines = response.body.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]?.startsWith('timeMs,requestId,')).toBe(true);
    expect(response.body).not.toContain('"""');
  });

  it('names the bad parameter', async () => {
    const response = await app.inject({ url: '/api/timeseries?window=1h&step=90s' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { param: string } }>().error.param).toBe('step');
  });
});
