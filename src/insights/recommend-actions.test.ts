import { describe, expect, it } from 'vitest';
import type { StatsGroup } from '../store/store.js';
import { recommendActions, type RecommendationInput } from './recommend-actions.js';

const WEEK_MS = 7 * 86_400_000;
const noQuantiles = { p50: null, p95: null, p99: null };

function group(
  key: Record<string, string>,
  figures: {
    requests: number;
    errors?: number;
    costUsd?: number;
    cacheHits?: number;
    quality?: number | null;
  },
): StatsGroup {
  const errors = figures.errors ?? 0;
  return {
    key,
    requests: figures.requests,
    ok: figures.requests - errors,
    errors,
    errorRate: errors / figures.requests,
    successRate: 1 - errors / figures.requests,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costUsd: figures.costUsd ?? 0,
    cacheHits: figures.cacheHits ?? 0,
    latency: { ...noQuantiles, avg: null, min: null, max: null },
    upstream: noQuantiles,
    overhead: noQuantiles,
    ttft: noQuantiles,
    failovers: 0,
    failoverRate: 0,
    quality: {
      avg: figures.quality ?? null,
      scored: figures.quality === undefined || figures.quality === null ? 0 : figures.requests,
    },
  };
}

const base: RecommendationInput = {
  windowMs: WEEK_MS,
  applicationModelGroups: [],
  providerGroups: [],
  sample: [],
};

describe('recommendActions', () => {
  const cases: {
    name: string;
    input: Partial<RecommendationInput>;
    ids: string[];
    saving?: number;
  }[] = [
    {
      name: 'a cheaper model with the same quality and error rate',
      input: {
        applicationModelGroups: [
          group({ application: 'chat', model: 'big' }, { requests: 100, costUsd: 10, quality: 0.9 }),
          group({ application: 'chat', model: 'small' }, { requests: 100, costUsd: 1, quality: 0.9 }),
        ],
      },
      ids: ['cheaper-model:chat:big'],
      // 100 requests × ($0.10 − $0.01) a week, × 30/7.
      saving: 38.57,
    },
    {
      name: 'no swap when the cheaper model scores lower',
      input: {
        applicationModelGroups: [
          group({ application: 'chat', model: 'big' }, { requests: 100, costUsd: 10, quality: 0.9 }),
          group({ application: 'chat', model: 'small' }, { requests: 100, costUsd: 1, quality: 0.7 }),
        ],
      },
      ids: [],
    },
    {
      name: 'no swap when the cheaper model fails more',
      input: {
        applicationModelGroups: [
          group({ application: 'chat', model: 'big' }, { requests: 100, costUsd: 10, quality: 0.9 }),
          group(
            { application: 'chat', model: 'small' },
            { requests: 100, errors: 10, costUsd: 1, quality: 0.9 },
          ),
        ],
      },
      ids: [],
    },
    {
      name: 'no swap across applications',
      input: {
        applicationModelGroups: [
          group({ application: 'chat', model: 'big' }, { requests: 100, costUsd: 10, quality: 0.9 }),
          group({ application: 'search', model: 'small' }, { requests: 100, costUsd: 1, quality: 0.9 }),
        ],
      },
      ids: [],
    },
    {
      name: 'a provider failing well above the others',
      input: {
        providerGroups: [
          group({ provider: 'flaky' }, { requests: 100, errors: 20 }),
          group({ provider: 'steady' }, { requests: 300, errors: 3 }),
        ],
      },
      ids: ['demote-provider:flaky'],
    },
    {
      name: 'providers failing alike: nobody demoted',
      input: {
        providerGroups: [
          group({ provider: 'a' }, { requests: 100, errors: 6 }),
          group({ provider: 'b' }, { requests: 100, errors: 4 }),
        ],
      },
      ids: [],
    },
    {
      name: 'too little traffic to judge',
      input: {
        providerGroups: [
          group({ provider: 'flaky' }, { requests: 10, errors: 5 }),
          group({ provider: 'steady' }, { requests: 300, errors: 3 }),
        ],
      },
      ids: [],
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = recommendActions({ ...base, ...testCase.input });
      expect(result.recommendations.map((entry) => entry.id)).toEqual(testCase.ids);
      if (testCase.saving !== undefined) {
        expect(result.recommendations[0]?.estimatedMonthlySavingUsd).toBeCloseTo(testCase.saving, 2);
      }
    });
  }

  it('explains a missing quality signal and missing previews', () => {
    const result = recommendActions({
      ...base,
      applicationModelGroups: [group({ application: 'chat', model: 'big' }, { requests: 100, costUsd: 10 })],
    });
    expect(result.notes.filter((note) => /^(cheaper-model|enable-cache):/.test(note))).toHaveLength(2);
  });
});
