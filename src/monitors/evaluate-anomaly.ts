// Anomaly monitor decision: a robust median/MAD baseline over caller-selected seasonal history.
import {
  monitorEvaluation,
  readableNumber,
  type MonitorEvaluation,
  type MonitorStatus,
} from './monitor-state.js';

/**
 * Makes the MAD a consistent estimator of the standard deviation for normally distributed
 * data (1 / Φ⁻¹(3/4)), so `deviations` reads like "sigmas".
 */
export const madScale = 1.4826;

/** Which deviations count as anomalous: higher than usual, lower than usual, or either. */
export type AnomalyDirection = 'above' | 'below' | 'both';

/** The decision part of an anomaly monitor definition. */
export interface AnomalyDefinition {
  /** How many scaled MADs from the median the value must exceed to be anomalous (e.g. 3). */
  deviations: number;
  direction: AnomalyDirection;
  /** Fewer usable history points than this gives NO_DATA. */
  minHistory: number;
  /**
   * The smallest spread used, in the metric's unit, so a flat history (MAD 0) does not turn
   * noise into alerts. For p95 latency in ms, 50 means "never alert on less than 50 ms × deviations".
   */
  minSpread: number;
}

/** Inputs of one anomaly evaluation: the definition, the current value, its history and the last status. */
export interface EvaluateAnomalyOptions {
  definition: AnomalyDefinition;
  /** The current window's value, or null when there was no traffic. */
  value: number | null;
  /**
   * Past values to compare against, already chosen by the caller for seasonality (for example
   * the same hour of the day over the previous 14 days). Non-finite points are ignored.
   */
  history: readonly number[];
  previous: MonitorStatus;
}

/** An evaluation plus the baseline it was judged against. */
export interface AnomalyEvaluation extends MonitorEvaluation {
  /** Median of the history, or null when there was not enough history. */
  median: number | null;
  /** max(1.4826 × MAD, minSpread), or null when there was not enough history. */
  spread: number | null;
  /** (value - median) / spread: how many spreads away the value is; null when not computed. */
  score: number | null;
}

/**
 * The median of a non-empty list (the mean of the two middle values for an even count).
 * @example median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median needs at least one value');
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/**
 * The median absolute deviation from the median (unscaled).
 * @example medianAbsoluteDeviation([1, 2, 3, 4, 100]) // 1
 */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const center = median(values);
  return median(values.map((value) => Math.abs(value - center)));
}

/**
 * Judges the current value against a robust baseline of its history: ALERT when it lies
 * more than `deviations` × max(1.4826 × MAD, minSpread) from the median in the configured
 * direction, OK otherwise, NO_DATA when the value is missing or history is shorter than
 * `minHistory`. Median and MAD ignore a few past outliers, unlike mean and standard deviation.
 * @example
 * evaluateAnomaly({
 *   definition: { deviations: 3, direction: 'above', minHistory: 5, minSpread: 10 },
 *   value: 400,
 *   history: [100, 110, 90, 105, 95],
 *   previous: 'OK',
 * }).status // 'ALERT'
 */
export function evaluateAnomaly(options: EvaluateAnomalyOptions): AnomalyEvaluation {
  const { definition, value, previous } = options;
  validateDefinition(definition);
  const history = options.history.filter((point) => Number.isFinite(point));
  const noData = (reason: string, current: number | null): AnomalyEvaluation => ({
    ...monitorEvaluation({ status: 'NO_DATA', value: current, previousStatus: previous, reason }),
    median: null,
    spread: null,
    score: null,
  });

  if (value === null || !Number.isFinite(value)) return noData('no value in the window', null);
  if (history.length < definition.minHistory) {
    return noData(`${history.length} history points < minHistory ${definition.minHistory}`, value);
  }

  const center = median(history);
  const spread = Math.max(madScale * medianAbsoluteDeviation(history), definition.minSpread);
  const score = (value - center) / spread;
  const anomalous =
    definition.direction === 'above'
      ? score > definition.deviations
      : definition.direction === 'below'
        ? score < -definition.deviations
        : Math.abs(score) > definition.deviations;
  const comparison = anomalous ? 'more than' : 'within';
  const reason = `${readableNumber(value)} is ${Math.abs(score).toFixed(2)} spreads ${score >= 0 ? 'above' : 'below'} median ${readableNumber(center)} (spread ${readableNumber(spread)}; ${comparison} ${definition.deviations}, direction ${definition.direction})`;
  return {
    ...monitorEvaluation({ status: anomalous ? 'ALERT' : 'OK', value, previousStatus: previous, reason }),
    median: center,
    spread,
    score,
  };
}

function validateDefinition(definition: AnomalyDefinition): void {
  if (!(definition.deviations > 0)) {
    throw new RangeError(`anomaly deviations must be > 0, got ${definition.deviations}`);
  }
  if (!(definition.minSpread > 0)) {
    throw new RangeError(
      `anomaly minSpread must be > 0 so a flat history cannot alert on noise, got ${definition.minSpread}`,
    );
  }
  if (!Number.isInteger(definition.minHistory) || definition.minHistory < 1) {
    throw new RangeError(`anomaly minHistory must be an integer >= 1, got ${definition.minHistory}`);
  }
}
