import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttributionReport } from '../insights/read-attribution.js';
import type { HealthScoreReport } from '../insights/read-health-score.js';
import type { RoiReport } from '../insights/read-roi.js';
import type { CostForecast } from '../insights/forecast-cost.js';
import type { Recommendation } from '../insights/recommend-actions.js';
import { ErrorCodes } from '../spec/index.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { makeSyntheticRecords } from '../store/synthetic-records.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import { fromFrameworkError, sendError } from './edge-errors.js';
import { createInsightsRoutes, type InsightsRoutesOptions } from './insights-routes.js';

const now = Date.parse('2026-11-23T12:30:00Z');
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

let counter = 0;
/** An answered openai request at `timeMs`, with overrides. */
function record(timeMs: number, overrides: Partial<RequestRecord> = {}): RequestRecord {
  counter += 1;
  return {
    timeMs,
    requestId: `r-${String(counter).padStart(7, '0')}`,
    traceId: undefined,
    environment: 'production',
    application: 'chat',
    route: undefined,
    requestedModel: 'smart',
    provider: 'openai',
    providerType: 'openai',
    servedModel: 'gpt-4o',
    stream: false,
    status: 200,
    outcome: 'ok',
    errorCode: undefined,
    errorType: undefined,
    totalMs: 500,
    upstreamMs: 499,
    overheadMs: 1,
    ttftMs: undefined,
    inputTokens: 100,
    outputTokens: 50,
    totalTokens: 150,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.01,
    cacheHit: false,
    attempts: 1,
    failoverPath: ['openai/gpt-4o:ok'],
    breakerState: 'closed',
    featureVersion: 'f1',
    promptVersion: 'p1',
    experimentId: undefined,
    variantId: undefined,
    keyId: 'key-a',
    team: undefined,
    promptChars: 300,
    responseChars: 200,
    promptPreview: undefined,
    responsePreview: undefined,
    ...overrides,
  };
}

/** `count` records spread over [fromMs, fromMs + spanMs). */
function spread(
  count: number,
  fromMs: number,
  spanMs: number,
  overrides: (index: number) => Partial<RequestRecord> = () => ({}),
) {
  return Array.from({ length: count }, (_, index) =>
    record(fromMs + Math.floor((index * spanMs) / count), overrides(index)),
  );
}

const failed = (provider: string, code = ErrorCodes.upstreamServerError): Partial<RequestRecord> => ({
  provider,
  status: 502,
  outcome: 'error',
  errorCode: code,
  servedModel: undefined,
  costUsd: undefined,
  outputTokens: 0,
  failoverPath: [`${provider}/m:error`],
});

describe('insights routes over a real SQLite store', () => {
  let app: FastifyInstance | undefined;
  let store: SqliteStore | undefined;

  async function serve(records: RequestRecord[], extra: Partial<InsightsRoutesOptions> = {}) {
    store = new SqliteStore({ path: ':memory:' });
    await store.insert(records);
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => sendError(reply, fromFrameworkError(error)));
    await app.register(
      createInsightsRoutes({ store, beforeRead: () => Promise.resolve(), now: () => now, ...extra }),
    );
    return app;
  }
  afterEach(async () => {
    await app?.close();
    await store?.close();
    app = undefined;
    store = undefined;
  });

  describe('GET /api/health-score', () => {
    it('scores overall and per environment from the window', async () => {
      const windowStart = now - 40 * MINUTE_MS;
      const records = [
        ...spread(80, windowStart, 30 * MINUTE_MS),
        ...spread(10, windowStart, 30 * MINUTE_MS, () => failed('openai')),
        ...spread(10, windowStart, 30 * MINUTE_MS, () => ({
          status: 401,
          outcome: 'error',
          errorCode: ErrorCodes.invalidApiKey,
          provider: undefined,
          failoverPath: [],
          costUsd: undefined,
        })),
        ...spread(50, windowStart, 30 * MINUTE_MS, () => ({ environment: 'staging', totalMs: 8_000 })),
      ];
      const server = await serve(records, {
        breakers: () => [
          {
            target: 'openai/gpt-4o',
            status: 'open',
            reason: 'test',
            consecutiveFailures: 5,
            windowCalls: 10,
            windowFailures: 5,
            openedAt: undefined,
          },
          {
            target: 'anthropic/claude',
            status: 'closed',
            reason: '',
            consecutiveFailures: 0,
            windowCalls: 0,
            windowFailures: 0,
            openedAt: undefined,
          },
        ],
      });
      const response = await server.inject({ url: '/api/health-score?window=1h' });
      expect(response.statusCode).toBe(200);
      const body = response.json<HealthScoreReport>();
      expect(body.overall.inputs.requests).toBe(150);
      expect(body.overall.inputs.serverErrorRate).toBeCloseTo(10 / 150, 6);
      expect(body.overall.inputs.refusalRate).toBeCloseTo(10 / 150, 6);
      expect(body.overall.inputs.breakers).toEqual({ open: 1, total: 2 });
      expect(body.overall.subScores.quality.score).toBeNull();
      expect(body.overall.score).toBeGreaterThan(0);
      expect(body.overall.score).toBeLessThan(100);
      const production = body.environments.find((entry) => entry.environment === 'production');
      const staging = body.environments.find((entry) => entry.environment === 'staging');
      expect(production?.inputs.refusalRate).toBeCloseTo(0.1, 6);
      expect(staging?.inputs.refusalRate).toBe(0);
      // 8 s p95 against a 2 s target: the latency part is 25.
      expect(staging?.subScores.performance.parts.latency).toBeCloseTo(25, 0);
      expect(production?.subScores.performance.parts.latency).toBe(100);

      const filtered = await server.inject({ url: '/api/health-score?window=1h&environment=staging' });
      const only = filtered.json<HealthScoreReport>();
      expect(only.environments.map((entry) => entry.environment)).toEqual(['staging']);
      expect(only.overall.inputs.requests).toBe(50);
    });

    it('compares spend with the same hour on the previous days', async () => {
      // A week at $0.01 an hour, then $0.10 in the last hour: 10× the baseline rate.
      const baseline = spread(24 * 7, now - HOUR_MS - 7 * 24 * HOUR_MS, 7 * 24 * HOUR_MS);
      const current = spread(10, now - 50 * MINUTE_MS, 40 * MINUTE_MS);
      const server = await serve([...baseline, ...current]);
      const body = (await server.inject({ url: '/api/health-score?window=1h' })).json<HealthScoreReport>();
      expect(body.overall.inputs.costRatio).toBeCloseTo(10, 6);
      expect(body.overall.subScores.cost.score).toBe(0);
    });

    it('takes only earlier days that had traffic as the cost baseline', async () => {
      // Keel has run one day: $0.05 in this hour yesterday, $0.10 today.
      const yesterday = spread(5, now - 50 * MINUTE_MS - 86_400_000, 40 * MINUTE_MS);
      const today = spread(10, now - 50 * MINUTE_MS, 40 * MINUTE_MS);
      const server = await serve([...yesterday, ...today]);
      const body = (await server.inject({ url: '/api/health-score?window=1h' })).json<HealthScoreReport>();
      expect(body.overall.inputs.costRatio).toBeCloseTo(2, 6);
      // 100·(1 − (2 − 1.2)/1.8)
      expect(body.overall.subScores.cost.score).toBeCloseTo(55.6, 1);
    });

    it('scores the overall cost by the worst budget pace', async () => {
      const day = {
        scope: 'global' as const,
        id: 'global',
        period: 'day' as const,
        periodKey: '2026-11-23',
        limitUsd: 10,
        // 12:30 is 52 % of the day; 78 % spent is 1.5 times the pace.
        spentUsd: 7.8125,
        reservedUsd: 0,
        remainingUsd: 2.1875,
        resetAtMs: Date.parse('2026-11-24T00:00:00Z'),
      };
      const server = await serve(spread(10, now - 30 * MINUTE_MS, 10 * MINUTE_MS), {
        budgets: () => Promise.resolve([day]),
      });
      const body = (await server.inject({ url: '/api/health-score' })).json<HealthScoreReport>();
      expect(body.overall.inputs.budgetPace).toBeCloseTo(1.5, 6);
      expect(body.overall.subScores.cost.score).toBe(50);
      expect(body.environments[0]?.inputs.budgetPace).toBeUndefined();
    });

    it('scores without budget pace when the budget status cannot be read', async () => {
      const server = await serve(spread(10, now - 30 * MINUTE_MS, 10 * MINUTE_MS), {
        budgets: () => Promise.reject(new Error('redis down')),
      });
      const response = await server.inject({ url: '/api/health-score' });
      expect(response.statusCode).toBe(200);
      const body = response.json<HealthScoreReport>();
      expect(body.overall.inputs.budgetPace).toBeUndefined();
      expect(body.notes.some((note) => note.startsWith('Budget status could not be read'))).toBe(true);
      const roi = await server.inject({ url: '/api/insights/roi' });
      expect(roi.statusCode).toBe(200);
      expect(roi.json<RoiReport>().budgetStatus).toBeUndefined();
    });

    it('names a bad window', async () => {
      const server = await serve([]);
      const response = await server.inject({ url: '/api/health-score?window=soon' });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { param: string; code: string } }>().error).toMatchObject({
        param: 'window',
        code: ErrorCodes.invalidRequest,
      });
    });
  });

  describe('POST /api/insights/attribution', () => {
    const baseline = { fromMs: now - 2 * HOUR_MS, toMs: now - HOUR_MS };
    const current = { fromMs: now - HOUR_MS, toMs: now };

    it('ranks the provider and feature version that made errors rise', async () => {
      const records = [
        ...spread(100, baseline.fromMs, HOUR_MS, (index) => ({
          provider: index % 2 === 0 ? 'openai' : 'anthropic',
        })),
        ...spread(100, current.fromMs, HOUR_MS, (index) =>
          index % 2 === 0
            ? { ...(index % 4 === 0 ? failed('openai') : { provider: 'openai' }), featureVersion: 'f2' }
            : { provider: 'anthropic' },
        ),
      ];
      const server = await serve(records);
      const response = await server.inject({
        method: 'POST',
        url: '/api/insights/attribution',
        payload: { metric: 'error_rate', baseline, current, dimensions: ['provider', 'featureVersion'] },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json<AttributionReport>();
      expect(body.baseline.value).toBe(0);
      expect(body.current.value).toBeCloseTo(0.25, 6);
      const [provider, feature] = body.dimensions;
      expect(provider?.source).toBe('rollups');
      expect(provider?.contributions[0]?.value).toBe('openai');
      expect(provider?.contributions[0]?.contribution).toBeCloseTo(0.25, 6);
      expect(feature?.source).toBe('records');
      expect(feature?.sample).toEqual({ baseline: 100, current: 100, truncated: false });
      expect(feature?.contributions[0]?.value).toBe('f2');
      expect(feature?.contributions[0]?.share).toBeCloseTo(1, 6);
    });

    it('splits a cost increase by model', async () => {
      const records = [
        ...spread(10, baseline.fromMs, HOUR_MS),
        ...spread(10, current.fromMs, HOUR_MS),
        ...spread(10, current.fromMs, HOUR_MS, () => ({ requestedModel: 'big', costUsd: 0.05 })),
      ];
      const server = await serve(records);
      const body = (
        await server.inject({
          method: 'POST',
          url: '/api/insights/attribution',
          payload: { metric: 'cost', baseline, current, dimensions: ['model'] },
        })
      ).json<AttributionReport>();
      expect(body.change).toBeCloseTo(0.5, 6);
      expect(body.dimensions[0]?.contributions[0]).toMatchObject({ value: 'big' });
      expect(body.dimensions[0]?.contributions[0]?.share).toBeCloseTo(1, 6);
    });

    const badBodies: { name: string; payload: unknown; param: string }[] = [
      { name: 'unknown metric', payload: { metric: 'vibes', baseline, current }, param: 'metric' },
      {
        name: 'reversed period',
        payload: { metric: 'cost', baseline: { fromMs: 10, toMs: 5 }, current },
        param: 'baseline',
      },
      {
        name: 'unknown dimension',
        payload: { metric: 'cost', baseline, current, dimensions: ['colour'] },
        param: 'dimensions.0',
      },
      { name: 'missing current', payload: { metric: 'cost', baseline }, param: 'current' },
    ];
    for (const bad of badBodies) {
      it(`refuses ${bad.name} with the field at fault`, async () => {
        const server = await serve([]);
        const response = await server.inject({
          method: 'POST',
          url: '/api/insights/attribution',
          payload: bad.payload as Record<string, unknown>,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json<{ error: { param: string } }>().error.param).toBe(bad.param);
      });
    }
  });

  describe('GET /api/insights/roi', () => {
    it('values cache hits, failover rescues and budget refusals', async () => {
      const start = now - 5 * HOUR_MS;
      const records = [
        // 40 paid answers at $0.01 and 20 cache hits (cost 0) of the same model.
        ...spread(40, start, HOUR_MS),
        ...spread(20, start, HOUR_MS, () => ({ cacheHit: true, costUsd: 0, failoverPath: [] })),
        // 5 answers that failed over from openai to anthropic.
        ...spread(5, start, HOUR_MS, () => ({
          provider: 'anthropic',
          attempts: 2,
          failoverPath: ['openai/gpt-4o:error', 'anthropic/claude:ok'],
        })),
        // 3 budget refusals.
        ...spread(3, start, HOUR_MS, () => ({
          status: 429,
          outcome: 'error',
          errorCode: ErrorCodes.budgetExceeded,
          provider: undefined,
          costUsd: undefined,
          failoverPath: [],
        })),
      ];
      const server = await serve(records, {
        budgets: () =>
          Promise.resolve([
            {
              scope: 'global',
              id: 'global',
              period: 'day',
              periodKey: '2026-11-23',
              limitUsd: 1,
              spentUsd: 0.45,
              reservedUsd: 0,
              remainingUsd: 0.55,
              resetAtMs: Date.parse('2026-11-24T00:00:00Z'),
            },
          ]),
      });
      const response = await server.inject({ url: '/api/insights/roi?window=24h' });
      expect(response.statusCode).toBe(200);
      const body = response.json<RoiReport>();
      // Average paid answer: $0.45 / (65 ok − 20 hits) = $0.01.
      expect(body.cache.hits).toBe(20);
      expect(body.cache.estimatedSavedUsd).toBeCloseTo(0.2, 6);
      expect(body.failover.rescued).toBe(5);
      expect(body.failover.byFirstTarget).toEqual([{ target: 'openai/gpt-4o', rescued: 5 }]);
      expect(body.budgets.refusals).toBe(3);
      expect(body.budgets.estimatedPreventedUsd).toBeCloseTo(0.03, 6);
      expect(body.estimatedTotalUsd).toBeCloseTo(0.23, 6);
      expect(body.budgetStatus?.[0]?.spentUsd).toBe(0.45);
    });
  });

  describe('GET /api/insights', () => {
    it('recommends caching repeated prompts and demoting a flaky provider', async () => {
      const start = now - 2 * HOUR_MS;
      const records = [
        // support asks the same three questions over and over.
        ...spread(90, start, HOUR_MS, (index) => ({
          application: 'support',
          promptPreview: `question ${index % 3}`,
        })),
        // gemini fails one call in three; openai answers.
        ...spread(60, start, HOUR_MS, (index) =>
          index % 3 === 0 ? failed('gemini') : { provider: 'gemini' },
        ),
      ];
      const server = await serve(records);
      const response = await server.inject({ url: '/api/insights?window=7d' });
      expect(response.statusCode).toBe(200);
      const body = response.json<{ recommendations: Recommendation[]; notes: string[] }>();
      const kinds = body.recommendations.map((entry) => entry.id);
      expect(kinds).toContain('enable-cache:support:smart');
      expect(kinds).toContain('demote-provider:gemini');
      expect(kinds).toContain('lower-max-tokens:smart');
      const cache = body.recommendations.find((entry) => entry.kind === 'enable-cache');
      expect(cache?.evidence.duplicateShare).toBeCloseTo(87 / 90, 4);
      // 87/90 of $0.90 over 7 days, scaled to 30 days.
      expect(cache?.estimatedMonthlySavingUsd).toBeCloseTo(((87 / 90) * 0.9 * 30) / 7, 1);
      expect(body.notes.some((note) => note.startsWith('cheaper-model'))).toBe(true);
    });

    it('says why nothing could be judged on an empty window', async () => {
      const server = await serve([]);
      const body = (await server.inject({ url: '/api/insights' })).json<{
        recommendations: Recommendation[];
        notes: string[];
      }>();
      expect(body.recommendations).toEqual([]);
      expect(body.notes.some((note) => note.startsWith('enable-cache'))).toBe(true);
    });
  });

  describe('GET /api/forecast/cost', () => {
    it('forecasts a steady hourly spend and projects the month', async () => {
      // $1 an hour for the last 48 hours (100 requests at $0.01 each hour), and this hour so far.
      const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
      const records = [
        ...spread(100 * 48, hourStart - 48 * HOUR_MS, 48 * HOUR_MS),
        ...spread(50, hourStart, 30 * MINUTE_MS),
      ];
      const server = await serve(records);
      const response = await server.inject({ url: '/api/forecast/cost?horizon=24h&history=2d' });
      expect(response.statusCode).toBe(200);
      const body = response.json<CostForecast>();
      expect(body.model).toMatchObject({ method: 'holt-linear', alpha: 0.3, beta: 0.1 });
      expect(body.model.levelUsdPerHour).toBeCloseTo(1, 6);
      expect(body.forecast.points).toHaveLength(24);
      expect(body.forecast.totalUsd).toBeCloseTo(24, 4);
      // 12 full hours of today at $1 plus $0.50 this hour.
      expect(body.spend.todayUsd).toBeCloseTo(12.5, 6);
      // Month so far (48 h + $0.50) plus half of this hour and the 7 days 11 hours left.
      const hoursLeft = (Date.parse('2026-12-01T00:00:00Z') - hourStart) / HOUR_MS;
      expect(body.spend.projectedMonthEndUsd).toBeCloseTo(48.5 + 0.5 + (hoursLeft - 1), 3);
    });

    const badQueries: [string, string][] = [
      ['horizon=90m', 'horizon'],
      ['history=1h', 'history'],
      ['alpha=0', 'alpha'],
      ['beta=2', 'beta'],
    ];
    for (const [query, param] of badQueries) {
      it(`refuses ${query}`, async () => {
        const server = await serve([]);
        const response = await server.inject({ url: `/api/forecast/cost?${query}` });
        expect(response.statusCode).toBe(400);
        expect(response.json<{ error: { param: string } }>().error.param).toBe(param);
      });
    }
  });

  it('reads synthetic traffic without failing any route', async () => {
    const server = await serve(
      makeSyntheticRecords({ count: 500, startMs: now - HOUR_MS, previewChars: 20 }),
    );
    for (const url of [
      '/api/health-score',
      '/api/insights?window=1h',
      '/api/insights/roi',
      '/api/forecast/cost',
    ]) {
      const response = await server.inject({ url });
      expect(response.statusCode, url).toBe(200);
    }
  });
});
