// One monitor group's decision at one tick: dispatches a definition and its observation to the right evaluator.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import { evaluateAnomaly } from './evaluate-anomaly.js';
import { evaluateThreshold } from './evaluate-threshold.js';
import {
  monitorEvaluation,
  statusForNoData,
  type MonitorEvaluation,
  type MonitorStatus,
} from './monitor-state.js';
import { parseMonitorMetric, type MonitorMetric } from './read-monitor-metric.js';
import {
  errorBudgetRemaining,
  evaluateBurnRate,
  type BurnRateWindow,
  type EventCounts,
} from './slo-burn-rate.js';

/** What the scheduler read from the store for one group, by monitor type. */
export type MonitorObservation =
  | { kind: 'value'; value: number | null; requests: number }
  | { kind: 'anomaly'; value: number | null; requests: number; history: readonly number[] }
  | {
      kind: 'forecast';
      value: number | null;
      requests: number;
      points: number;
      spentUsd?: number | undefined;
    }
  | { kind: 'slo'; windows: Readonly<Record<BurnRateWindow, EventCounts>>; period: EventCounts };

/** The evaluation plus the figures behind it (baseline, burn rates, error budget), stored with the history. */
export interface MonitorDecision {
  evaluation: MonitorEvaluation;
  details: Record<string, unknown>;
}

/**
 * The smallest spread an anomaly baseline may have when the definition sets none, in the metric's
 * unit: without it a flat history (MAD 0) would turn any wobble into an alert.
 */
export function defaultMinSpread(metric: MonitorMetric): number {
  if (metric === 'error_rate' || metric === 'cache_hit_rate' || metric === 'failover_rate') return 0.02;
  if (metric === 'quality.score') return 0.05;
  if (metric === 'requests') return 5;
  if (metric === 'cost.sum') return 0.01;
  if (metric.startsWith('tokens')) return 50;
  if (metric.startsWith('overhead')) return 1;
  return 50; // latencies, ms
}

/**
 * Judges one group. Pure: the same definition, observation and previous status always give the same
 * decision. A definition and an observation of different types is a programming error (RangeError).
 */
export function evaluateMonitor(options: {
  definition: MonitorDefinition;
  observation: MonitorObservation;
  previous: MonitorStatus;
}): MonitorDecision {
  const { definition, observation, previous } = options;
  switch (definition.type) {
    case 'threshold': {
      if (observation.kind !== 'value') throw mismatch(definition.type, observation.kind);
      return {
        evaluation: evaluateThreshold({
          definition: { ...definition, critical: definition.critical ?? Number.POSITIVE_INFINITY },
          sample: observation,
          previous,
        }),
        details: { requests: observation.requests },
      };
    }
    case 'anomaly': {
      if (observation.kind !== 'anomaly') throw mismatch(definition.type, observation.kind);
      if (observation.value !== null && observation.requests < definition.minRequests) {
        return noData(
          definition,
          previous,
          `${observation.requests} requests < minRequests ${definition.minRequests}`,
        );
      }
      const result = evaluateAnomaly({
        definition: {
          deviations: definition.deviations,
          direction: definition.direction,
          minHistory: definition.minHistory,
          minSpread: definition.minSpread ?? defaultMinSpread(parseMonitorMetric(definition.metric)),
        },
        value: observation.value,
        history: observation.history,
        previous,
      });
      const { median, spread, score, ...judged } = result;
      const evaluation = holdAnomaly({
        evaluation: judged,
        score,
        previous,
        direction: definition.direction,
        recoveryDeviations: definition.recoveryDeviations ?? 0.75 * definition.deviations,
      });
      const details = {
        requests: observation.requests,
        historyPoints: observation.history.length,
        median,
        spread,
        score,
      };
      if (evaluation.status !== 'NO_DATA') return { evaluation, details };
      return { ...noData(definition, previous, evaluation.reason, evaluation.value), details };
    }
    case 'forecast': {
      if (observation.kind !== 'forecast') throw mismatch(definition.type, observation.kind);
      const critical = definition.critical ?? definition.budgetUsd ?? Number.POSITIVE_INFINITY;
      const evaluation = evaluateThreshold({
        definition: { ...definition, critical },
        sample: { value: observation.value, requests: observation.requests },
        previous,
      });
      const reason =
        observation.value === null
          ? evaluation.reason
          : `forecast over ${definition.horizon}: ${evaluation.reason}`;
      return {
        evaluation: { ...evaluation, reason },
        details: {
          requests: observation.requests,
          historyPoints: observation.points,
          horizon: definition.horizon,
        },
      };
    }
    case 'slo': {
      if (observation.kind !== 'slo') throw mismatch(definition.type, observation.kind);
      const result = evaluateBurnRate({
        objective: definition.objective,
        windows: observation.windows,
        previous,
      });
      const { decision, burnRates, rule, ...evaluation } = result;
      const budgetRemaining = errorBudgetRemaining({
        objective: definition.objective,
        ...observation.period,
      });
      return {
        evaluation,
        details: {
          decision,
          burnRates,
          rule,
          errorBudgetRemaining: budgetRemaining,
          periodGood: observation.period.good,
          periodTotal: observation.period.total,
        },
      };
    }
  }
}

/**
 * Anomaly hysteresis: an ALERT holds until the value is back within `recoveryDeviations`, so a value
 * hovering at the edge does not flip the incident every tick.
 */
function holdAnomaly(options: {
  evaluation: MonitorEvaluation;
  score: number | null;
  previous: MonitorStatus;
  direction: 'above' | 'below' | 'both';
  recoveryDeviations: number;
}): MonitorEvaluation {
  const { evaluation, score, previous, direction, recoveryDeviations } = options;
  if (previous !== 'ALERT' || evaluation.status !== 'OK' || score === null) return evaluation;
  const beyond =
    direction === 'above'
      ? score > recoveryDeviations
      : direction === 'below'
        ? score < -recoveryDeviations
        : Math.abs(score) > recoveryDeviations;
  if (!beyond) return { ...evaluation, reason: `recovered: ${evaluation.reason}` };
  return {
    ...evaluation,
    status: 'ALERT',
    changed: false,
    reason: `${Math.abs(score).toFixed(2)} spreads from the median: not back within recoveryDeviations ${recoveryDeviations}`,
  };
}

function noData(
  definition: MonitorDefinition,
  previous: MonitorStatus,
  why: string,
  value: number | null = null,
): MonitorDecision {
  return {
    evaluation: monitorEvaluation({
      status: statusForNoData({ policy: definition.noData, previous }),
      value,
      previousStatus: previous,
      reason: `${why}; no-data policy '${definition.noData}'`,
    }),
    details: {},
  };
}

function mismatch(type: string, kind: string): RangeError {
  return new RangeError(`a ${type} monitor cannot judge a ${kind} observation`);
}
