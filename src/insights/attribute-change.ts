// Splits a metric's change between two periods into each dimension value's contribution (delta share, or mix + rate).

/**
 * How a metric adds up over groups. `sum`: the total is the sum of the groups' values (requests,
 * cost, tokens). `mean`: the total is the request-weighted mean of the groups' values (error rate;
 * p95 latency is treated this way too, an approximation since quantiles do not add).
 */
export type AttributionKind = 'sum' | 'mean';

/** One dimension value's figures in one period. */
export interface AttributionGroup {
  value: string;
  /** Requests in the period: the weight of a `mean` metric. */
  requests: number;
  /** The group's sum (kind sum) or its rate (kind mean; null without requests). */
  metricValue: number | null;
}

export interface AttributionInput {
  kind: AttributionKind;
  baseline: readonly AttributionGroup[];
  current: readonly AttributionGroup[];
}

/** One value's part in the change; contributions add up to `change` exactly. */
export interface Contribution {
  value: string;
  baseline: { requests: number; metricValue: number | null };
  current: { requests: number; metricValue: number | null };
  /** This value's part of the change, in the metric's unit. */
  contribution: number;
  /** contribution / change; null when the total did not change. */
  share: number | null;
  /** Kind mean only: the part due to the value's traffic share moving. */
  mixEffect?: number;
  /** Kind mean only: the part due to the value's own rate moving. */
  rateEffect?: number;
}

export interface AttributionResult {
  /** The metric over all groups: the sum, or the request-weighted mean (null without requests). */
  baselineTotal: number | null;
  currentTotal: number | null;
  /** currentTotal − baselineTotal (missing totals count as 0). */
  change: number;
  /** Largest |contribution| first. */
  contributions: Contribution[];
}

interface Side {
  requests: number;
  metricValue: number | null;
}

const none: Side = { requests: 0, metricValue: null };

function weightedMean(groups: readonly AttributionGroup[]): number | null {
  let requests = 0;
  let weighted = 0;
  for (const group of groups) {
    if (group.metricValue === null || group.requests === 0) continue;
    requests += group.requests;
    weighted += group.requests * group.metricValue;
  }
  return requests === 0 ? null : weighted / requests;
}

/**
 * Attributes the change of a metric between a baseline and a current period to dimension values.
 *
 * Sums: each value contributes its own delta, v₁ − v₀; the shares add up to 1.
 *
 * Means (R = Σ wᵢ·rᵢ with wᵢ the value's share of requests): the symmetric mix/rate split
 *   mixᵢ  = (w₁ᵢ − w₀ᵢ)·(r₀ᵢ + r₁ᵢ)/2     (traffic moved towards or away from the value)
 *   rateᵢ = (r₁ᵢ − r₀ᵢ)·(w₀ᵢ + w₁ᵢ)/2     (the value itself got better or worse)
 * whose sum over values is exactly R₁ − R₀. A value absent from one period takes the other
 * period's rate there, so its whole contribution is mix (it appeared or vanished).
 * @example attributeChange({ kind: 'sum', baseline: [{ value: 'a', requests: 1, metricValue: 2 }], current: [{ value: 'a', requests: 1, metricValue: 5 }] }).change // 3
 */
export function attributeChange(input: AttributionInput): AttributionResult {
  const baseline = new Map(input.baseline.map((group) => [group.value, group]));
  const current = new Map(input.current.map((group) => [group.value, group]));
  const values = [...new Set([...baseline.keys(), ...current.keys()])];
  const contributions: Contribution[] = [];
  let baselineTotal: number | null;
  let currentTotal: number | null;

  if (input.kind === 'sum') {
    baselineTotal = input.baseline.reduce((sum, group) => sum + (group.metricValue ?? 0), 0);
    currentTotal = input.current.reduce((sum, group) => sum + (group.metricValue ?? 0), 0);
    for (const value of values) {
      const before = baseline.get(value) ?? none;
      const after = current.get(value) ?? none;
      contributions.push({
        value,
        baseline: { requests: before.requests, metricValue: before.metricValue },
        current: { requests: after.requests, metricValue: after.metricValue },
        contribution: (after.metricValue ?? 0) - (before.metricValue ?? 0),
        share: null,
      });
    }
  } else {
    baselineTotal = weightedMean(input.baseline);
    currentTotal = weightedMean(input.current);
    const requestsOf = (groups: readonly AttributionGroup[]) =>
      groups.reduce((sum, group) => sum + (group.metricValue === null ? 0 : group.requests), 0);
    const baselineRequests = requestsOf(input.baseline);
    const currentRequests = requestsOf(input.current);
    for (const value of values) {
      const before = baseline.get(value) ?? none;
      const after = current.get(value) ?? none;
      const weightBefore =
        before.metricValue === null || baselineRequests === 0 ? 0 : before.requests / baselineRequests;
      const weightAfter =
        after.metricValue === null || currentRequests === 0 ? 0 : after.requests / currentRequests;
      const rateBefore = before.metricValue ?? after.metricValue ?? 0;
      const rateAfter = after.metricValue ?? before.metricValue ?? 0;
      const mixEffect = ((weightAfter - weightBefore) * (rateBefore + rateAfter)) / 2;
      const rateEffect = ((rateAfter - rateBefore) * (weightBefore + weightAfter)) / 2;
      contributions.push({
        value,
        baseline: { requests: before.requests, metricValue: before.metricValue },
        current: { requests: after.requests, metricValue: after.metricValue },
        contribution: mixEffect + rateEffect,
        share: null,
        mixEffect,
        rateEffect,
      });
    }
  }
  const change = (currentTotal ?? 0) - (baselineTotal ?? 0);
  for (const entry of contributions) {
    entry.share = change === 0 ? null : entry.contribution / change;
  }
  contributions.sort(
    (left, right) =>
      Math.abs(right.contribution) - Math.abs(left.contribution) || left.value.localeCompare(right.value),
  );
  return { baselineTotal, currentTotal, change, contributions };
}
