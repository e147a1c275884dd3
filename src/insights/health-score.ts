// The 0–100 health score: five sub-scores (performance, reliability, cost, quality, security) and their weighted composite.

/** A component of the health score. */
export type HealthComponent = 'performance' | 'reliability' | 'cost' | 'quality' | 'security';

export const HEALTH_COMPONENTS: readonly HealthComponent[] = [
  'performance',
  'reliability',
  'cost',
  'quality',
  'security',
];

/** Weights of the composite; components without data are left out and the rest renormalised. */
export const HEALTH_WEIGHTS: Readonly<Record<HealthComponent, number>> = {
  performance: 0.25,
  reliability: 0.3,
  cost: 0.2,
  quality: 0.15,
  security: 0.1,
};

/** Targets the sub-scores are measured against; every field has a default. */
export interface HealthTargets {
  /** p95 total latency at or under this scores 100. Default 2,000 ms. */
  latencyP95TargetMs: number;
  /** p95 Keel overhead at or under this scores 100. Default 50 ms. */
  overheadP95TargetMs: number;
  /** Server error (5xx) rate that scores 0. Default 0.10 (10 %). */
  errorRateCeiling: number;
  /** Failover rate (requests that went to a second target) that scores 0. Default 0.5. */
  failoverRateCeiling: number;
  /** Security refusal share that scores 0. Default 0.2. */
  refusalRateCeiling: number;
  /** Spend up to this many times the baseline still scores 100. Default 1.2. */
  costTolerance: number;
  /** Spend this many times the baseline scores 0. Default 3. */
  costCeiling: number;
}

export const DEFAULT_HEALTH_TARGETS: Readonly<HealthTargets> = {
  latencyP95TargetMs: 2_000,
  overheadP95TargetMs: 50,
  errorRateCeiling: 0.1,
  failoverRateCeiling: 0.5,
  refusalRateCeiling: 0.2,
  costTolerance: 1.2,
  costCeiling: 3,
};

/** What the score is computed from, for one environment or overall, over one window. */
export interface HealthInputs {
  requests: number;
  /** p95 of total latency, ms; null without requests. */
  latencyP95Ms: number | null;
  /** p95 of Keel's own overhead, ms. */
  overheadP95Ms: number | null;
  /** 5xx answers / requests. Client errors (4xx) are not a reliability failure. */
  serverErrorRate: number;
  /** Requests that went to more than one target / requests; undefined when unknown. */
  failoverRate?: number | undefined;
  /** Breakers open (or half-open) and known; absent when no breaker registry is wired. */
  breakers?: { open: number; total: number } | undefined;
  /**
   * Spend in the window / mean spend in the same window on the previous days that had traffic
   * (up to 7); undefined without baseline spend.
   */
  costRatio?: number | undefined;
  /**
   * Budget pace: (spent / limit) / (elapsed share of the period), worst budget; 1 = on track to
   * end the period exactly at the limit. Undefined without budgets.
   */
  budgetPace?: number | undefined;
  /** Average quality score in [0, 1]; undefined or null when no request was scored. */
  qualityAvg?: number | null | undefined;
  /** Requests refused for an invalid key, a model not allowed or a rate limit / requests. */
  refusalRate: number;
}

/** One sub-score with the figures it came from; null when there was nothing to judge. */
export interface HealthSubScore {
  score: number | null;
  weight: number;
  /** The parts that made the score, each 0–100 (e.g. latency and overhead for performance). */
  parts: Record<string, number>;
}

export interface HealthScore {
  /** 0–100, rounded to one decimal; null when no component had data (no traffic). */
  score: number | null;
  subScores: Record<HealthComponent, HealthSubScore>;
}

const clamp = (value: number) => Math.min(100, Math.max(0, value));
const round = (value: number) => Math.round(value * 10) / 10;

/** 100 at or under the target, then target/value: twice the target scores 50. */
function underTarget(value: number, target: number): number {
  if (value <= target) return 100;
  return clamp((100 * target) / value);
}

/** 100 at 0, falling linearly to 0 at the ceiling. */
function linearToCeiling(value: number, ceiling: number): number {
  return clamp(100 * (1 - value / ceiling));
}

/** Weighted mean of the parts present, with their weights renormalised. */
function blend(parts: { name: string; score: number | undefined; weight: number }[]): HealthSubScore {
  const present = parts.filter((part): part is { name: string; score: number; weight: number } => {
    return part.score !== undefined;
  });
  const weightSum = present.reduce((sum, part) => sum + part.weight, 0);
  const named: Record<string, number> = {};
  for (const part of present) named[part.name] = round(part.score);
  if (weightSum === 0) return { score: null, weight: 0, parts: named };
  const score = present.reduce((sum, part) => sum + part.score * part.weight, 0) / weightSum;
  return { score: round(score), weight: 0, parts: named };
}

function performance(inputs: HealthInputs, targets: HealthTargets): HealthSubScore {
  return blend([
    {
      name: 'latency',
      score:
        inputs.latencyP95Ms === null
          ? undefined
          : underTarget(inputs.latencyP95Ms, targets.latencyP95TargetMs),
      weight: 0.8,
    },
    {
      name: 'overhead',
      score:
        inputs.overheadP95Ms === null
          ? undefined
          : underTarget(inputs.overheadP95Ms, targets.overheadP95TargetMs),
      weight: 0.2,
    },
  ]);
}

function reliability(inputs: HealthInputs, targets: HealthTargets): HealthSubScore {
  const breakers = inputs.breakers;
  return blend([
    {
      name: 'errors',
      score:
        inputs.requests === 0 ? undefined : linearToCeiling(inputs.serverErrorRate, targets.errorRateCeiling),
      weight: 0.6,
    },
    {
      name: 'failovers',
      score:
        inputs.requests === 0 || inputs.failoverRate === undefined
          ? undefined
          : linearToCeiling(inputs.failoverRate, targets.failoverRateCeiling),
      weight: 0.2,
    },
    {
      name: 'breakers',
      score:
        breakers === undefined || breakers.total === 0
          ? undefined
          : clamp(100 * (1 - breakers.open / breakers.total)),
      weight: 0.2,
    },
  ]);
}

/** Over the tolerance, falling linearly to 0 at the ceiling. */
function overspend(ratio: number, tolerance: number, ceiling: number): number {
  if (ratio <= tolerance) return 100;
  return clamp(100 * (1 - (ratio - tolerance) / (ceiling - tolerance)));
}

function cost(inputs: HealthInputs, targets: HealthTargets): HealthSubScore {
  const baseline =
    inputs.costRatio === undefined
      ? undefined
      : overspend(inputs.costRatio, targets.costTolerance, targets.costCeiling);
  // A budget on pace (1) is fine; twice the pace empties it halfway through the period: 0.
  const budget = inputs.budgetPace === undefined ? undefined : overspend(inputs.budgetPace, 1, 2);
  const present = [baseline, budget].filter((part): part is number => part !== undefined);
  const parts: Record<string, number> = {};
  if (baseline !== undefined) parts.baseline = round(baseline);
  if (budget !== undefined) parts.budget = round(budget);
  // The worse of the two: a budget about to run out is not offset by spend being usual.
  return { score: present.length === 0 ? null : round(Math.min(...present)), weight: 0, parts };
}

function quality(inputs: HealthInputs): HealthSubScore {
  const average = inputs.qualityAvg;
  if (average === undefined || average === null) return { score: null, weight: 0, parts: {} };
  const score = round(clamp(100 * average));
  return { score, weight: 0, parts: { average: score } };
}

function security(inputs: HealthInputs, targets: HealthTargets): HealthSubScore {
  if (inputs.requests === 0) return { score: null, weight: 0, parts: {} };
  const score = round(linearToCeiling(inputs.refusalRate, targets.refusalRateCeiling));
  return { score, weight: 0, parts: { refusals: score } };
}

/**
 * The health score of one scope (an environment, or everything) from its window's figures.
 *
 * - performance = 0.8·latency + 0.2·overhead, each 100 at or under its p95 target, then
 *   100·target/p95 (twice the target: 50).
 * - reliability = 0.6·errors + 0.2·failovers + 0.2·breakers; errors = 100·(1 − 5xx rate / 0.10),
 *   failovers = 100·(1 − failover rate / 0.5), breakers = 100·(1 − open / total).
 * - cost = the worse of baseline (100 up to 1.2× the spend of the same window on
 *   earlier days, 0 at 3×) and budget
 *   pace (100 up to pace 1, 0 at pace 2).
 * - quality = 100·average quality score (0–1).
 * - security = 100·(1 − refusal share / 0.2).
 *
 * The composite is Σ weightᵢ·scoreᵢ / Σ weightᵢ over the components that have data (weights
 * 0.25, 0.30, 0.20, 0.15, 0.10); parts inside a component are renormalised the same way.
 * @example computeHealthScore({ inputs: { requests: 100, latencyP95Ms: 900, overheadP95Ms: 2, serverErrorRate: 0, refusalRate: 0 } }).score // 100
 */
export function computeHealthScore(options: {
  inputs: HealthInputs;
  targets?: Partial<HealthTargets> | undefined;
}): HealthScore {
  const targets = { ...DEFAULT_HEALTH_TARGETS, ...options.targets };
  const { inputs } = options;
  const subScores: Record<HealthComponent, HealthSubScore> = {
    performance: performance(inputs, targets),
    reliability: reliability(inputs, targets),
    cost: cost(inputs, targets),
    quality: quality(inputs),
    security: security(inputs, targets),
  };
  let weightSum = 0;
  let total = 0;
  for (const component of HEALTH_COMPONENTS) {
    const sub = subScores[component];
    if (sub.score === null) continue;
    sub.weight = HEALTH_WEIGHTS[component];
    weightSum += sub.weight;
    total += sub.weight * sub.score;
  }
  for (const component of HEALTH_COMPONENTS) {
    const sub = subScores[component];
    // The weight each component actually carried, after renormalisation.
    sub.weight = weightSum === 0 ? 0 : Math.round((sub.weight / weightSum) * 1000) / 1000;
  }
  return { score: weightSum === 0 ? null : round(total / weightSum), subScores };
}
