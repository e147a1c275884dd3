import { describe, expect, it } from 'vitest';
import { computeHealthScore, type HealthInputs } from './health-score.js';
import { budgetPace } from './read-health-score.js';

const healthy: HealthInputs = {
  requests: 1_000,
  latencyP95Ms: 900,
  overheadP95Ms: 3,
  serverErrorRate: 0,
  failoverRate: 0,
  breakers: { open: 0, total: 4 },
  costRatio: 1,
  refusalRate: 0,
};

describe('computeHealthScore', () => {
  const cases: {
    name: string;
    inputs: Partial<HealthInputs>;
    score: number | null;
    sub?: Partial<Record<string, number | null>>;
  }[] = [
    { name: 'all within targets', inputs: {}, score: 100 },
    {
      name: 'p95 twice the latency target halves the latency part',
      inputs: { latencyP95Ms: 4_000 },
      // performance = 0.8·50 + 0.2·100 = 60; overall = (0.25·60 + 0.3·100 + 0.2·100 + 0.1·100) / 0.85
      score: 88.2,
      sub: { performance: 60 },
    },
    {
      name: '5 % server errors with one of four breakers open',
      inputs: { serverErrorRate: 0.05, breakers: { open: 1, total: 4 } },
      // reliability = 0.6·50 + 0.2·100 + 0.2·75 = 65
      score: 87.6,
      sub: { reliability: 65 },
    },
    {
      name: 'errors at the ceiling score 0 on that part',
      inputs: { serverErrorRate: 0.2, failoverRate: 0.5, breakers: { open: 4, total: 4 } },
      score: 64.7,
      sub: { reliability: 0 },
    },
    {
      name: 'spend at twice the baseline rate',
      inputs: { costRatio: 2.1 },
      // 100·(1 − (2.1 − 1.2)/1.8) = 50
      score: 88.2,
      sub: { cost: 50 },
    },
    {
      name: 'budget pace worse than baseline wins',
      inputs: { costRatio: 1, budgetPace: 1.5 },
      score: 88.2,
      sub: { cost: 50 },
    },
    {
      name: 'quality joins the composite when present',
      inputs: { qualityAvg: 0.6 },
      // (0.25 + 0.3 + 0.2 + 0.1)·100 + 0.15·60 = 94
      score: 94,
      sub: { quality: 60 },
    },
    {
      name: 'quality null is left out',
      inputs: { qualityAvg: null },
      score: 100,
      sub: { quality: null },
    },
    {
      name: '10 % security refusals',
      inputs: { refusalRate: 0.1 },
      score: 94.1,
      sub: { security: 50 },
    },
    {
      name: 'no traffic and no spend data: no score',
      inputs: {
        requests: 0,
        latencyP95Ms: null,
        overheadP95Ms: null,
        failoverRate: undefined,
        breakers: undefined,
        costRatio: undefined,
      },
      score: null,
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = computeHealthScore({ inputs: { ...healthy, ...testCase.inputs } });
      expect(result.score).toBe(testCase.score);
      for (const [component, expected] of Object.entries(testCase.sub ?? {})) {
        expect(result.subScores[component as keyof typeof result.subScores].score).toBe(expected);
      }
    });
  }

  it('reports the renormalised weights, summing to 1', () => {
    const result = computeHealthScore({ inputs: healthy });
    expect(result.subScores.quality.weight).toBe(0);
    const sum = Object.values(result.subScores).reduce((total, sub) => total + sub.weight, 0);
    expect(sum).toBeCloseTo(1, 2);
    expect(result.subScores.reliability.weight).toBeCloseTo(0.353, 3);
  });

  it('takes custom targets', () => {
    const result = computeHealthScore({
      inputs: { ...healthy, latencyP95Ms: 900 },
      targets: { latencyP95TargetMs: 450 },
    });
    expect(result.subScores.performance.parts.latency).toBe(50);
  });
});

describe('budgetPace', () => {
  const noon = Date.parse('2026-11-23T12:00:00Z');
  const budget = (period: 'day' | 'month', spentUsd: number, limitUsd = 100) => ({
    scope: 'global' as const,
    id: 'global',
    period,
    periodKey: '',
    limitUsd,
    spentUsd,
    reservedUsd: 0,
    remainingUsd: limitUsd - spentUsd,
    resetAtMs: 0,
  });
  const cases: {
    name: string;
    budgets: ReturnType<typeof budget>[];
    nowMs?: number;
    pace: number | undefined;
  }[] = [
    { name: 'no budgets', budgets: [], pace: undefined },
    { name: 'half the day, half the budget', budgets: [budget('day', 50)], pace: 1 },
    { name: 'half the day, all but spent', budgets: [budget('day', 90)], pace: 1.8 },
    {
      name: 'an exhausted budget late in the day',
      budgets: [budget('day', 100)],
      nowMs: noon + 11 * 3_600_000,
      pace: 2,
    },
    {
      name: 'the first minutes of a day do not read as a runaway',
      budgets: [budget('day', 1)],
      nowMs: Date.parse('2026-11-23T00:05:00Z'),
      pace: 0.1,
    },
    { name: 'the worst budget wins', budgets: [budget('day', 10), budget('day', 75)], pace: 1.5 },
    { name: 'a zero limit is skipped', budgets: [budget('day', 5, 0)], pace: undefined },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const pace = budgetPace(testCase.budgets, testCase.nowMs ?? noon);
      if (testCase.pace === undefined) expect(pace).toBeUndefined();
      else expect(pace).toBeCloseTo(testCase.pace, 6);
    });
  }
});
