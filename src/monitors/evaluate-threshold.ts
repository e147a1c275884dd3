// Threshold monitor decision: warn/critical levels with recovery hysteresis and a no-data policy.
import {
  monitorEvaluation,
  readableNumber,
  statusForNoData,
  type MonitorEvaluation,
  type MonitorStatus,
  type NoDataPolicy,
} from './monitor-state.js';

/** Which side of a threshold is bad: `above` for latency or error rate, `below` for cache hit rate. */
export type ThresholdDirection = 'above' | 'below';

/**
 * The decision part of a threshold monitor definition.
 *
 * For `above`, a value at or over `warn` is WARN and at or over `critical` is ALERT.
 * Once in ALERT the monitor stays there until the value drops below `recoveryCritical`
 * (default `critical`); once in WARN (or ALERT) it keeps at least WARN until the value
 * drops below `recoveryWarn` (default `warn`). `below` mirrors every comparison.
 */
export interface ThresholdDefinition {
  warn?: number;
  critical: number;
  recoveryWarn?: number;
  recoveryCritical?: number;
  direction: ThresholdDirection;
  /** Samples with fewer requests than this are treated as no data (default 0). */
  minRequests?: number;
  noData: NoDataPolicy;
}

/** One window's aggregate for one group: the metric value and how many requests it came from. */
export interface ThresholdSample {
  value: number | null;
  requests: number;
}

/** Inputs of one threshold evaluation: the definition, this tick's sample and the status from the last tick. */
export interface EvaluateThresholdOptions {
  definition: ThresholdDefinition;
  sample: ThresholdSample;
  previous: MonitorStatus;
}

/**
 * Judges one sample against a threshold definition, given the monitor's previous status.
 * Pure: the same inputs always give the same evaluation. Throws a `RangeError` when the
 * thresholds are inconsistent (for example a recovery level past its trigger level).
 * @example
 * evaluateThreshold({
 *   definition: { warn: 2000, critical: 4000, direction: 'above', noData: 'keep' },
 *   sample: { value: 4200, requests: 50 },
 *   previous: 'WARN',
 * }).status // 'ALERT'
 */
export function evaluateThreshold(options: EvaluateThresholdOptions): MonitorEvaluation {
  const { definition, sample, previous } = options;
  validateDefinition(definition);
  const minRequests = definition.minRequests ?? 0;
  const value = sample.value;

  if (value === null || !Number.isFinite(value) || sample.requests < minRequests) {
    const why =
      value === null || !Number.isFinite(value)
        ? 'no value in the window'
        : `${sample.requests} requests < minRequests ${minRequests}`;
    return monitorEvaluation({
      status: statusForNoData({ policy: definition.noData, previous }),
      value: value !== null && Number.isFinite(value) ? value : null,
      previousStatus: previous,
      reason: `${why}; no-data policy '${definition.noData}'`,
    });
  }

  // Orienting every number turns 'below' into 'above', so one set of comparisons serves both.
  const sign = definition.direction === 'above' ? 1 : -1;
  const reaches = (threshold: number) => sign * value >= sign * threshold;
  const reachedSymbol = definition.direction === 'above' ? '>=' : '<=';
  const shortOfSymbol = definition.direction === 'above' ? '<' : '>';

  const recoveryCritical = definition.recoveryCritical ?? definition.critical;
  const warn = definition.warn;
  const recoveryWarn = definition.recoveryWarn ?? warn;
  const wasWarnOrAlert = previous === 'WARN' || previous === 'ALERT';

  let status: MonitorStatus;
  let reason: string;
  if (reaches(definition.critical)) {
    status = 'ALERT';
    reason = `${readableNumber(value)} ${reachedSymbol} critical ${definition.critical}`;
  } else if (previous === 'ALERT' && reaches(recoveryCritical)) {
    status = 'ALERT';
    reason = `${readableNumber(value)} has not recovered past recoveryCritical ${recoveryCritical}`;
  } else if (warn !== undefined && reaches(warn)) {
    status = 'WARN';
    reason = `${readableNumber(value)} ${reachedSymbol} warn ${warn}`;
  } else if (recoveryWarn !== undefined && wasWarnOrAlert && reaches(recoveryWarn)) {
    status = 'WARN';
    reason = `${readableNumber(value)} has not recovered past recoveryWarn ${recoveryWarn}`;
  } else {
    status = 'OK';
    reason =
      warn === undefined
        ? `${readableNumber(value)} ${shortOfSymbol} critical ${definition.critical}`
        : `${readableNumber(value)} ${shortOfSymbol} warn ${warn}`;
    if (wasWarnOrAlert) reason = `recovered: ${reason}`;
  }
  return monitorEvaluation({ status, value, previousStatus: previous, reason });
}

function validateDefinition(definition: ThresholdDefinition): void {
  const sign = definition.direction === 'above' ? 1 : -1;
  const pastDirection = definition.direction === 'above' ? 'above' : 'below';
  const check = (name: string, level: number | undefined, limitName: string, limit: number | undefined) => {
    if (level === undefined || limit === undefined) return;
    if (!Number.isFinite(level))
      throw new RangeError(`threshold ${name} must be a finite number, got ${level}`);
    if (sign * level > sign * limit) {
      throw new RangeError(
        `threshold ${name} (${level}) must not be ${pastDirection} ${limitName} (${limit}) for direction '${definition.direction}'`,
      );
    }
  };
  if (!Number.isFinite(definition.critical)) {
    throw new RangeError(`threshold critical must be a finite number, got ${definition.critical}`);
  }
  if (definition.recoveryWarn !== undefined && definition.warn === undefined) {
    throw new RangeError('threshold recoveryWarn needs warn; set warn or remove recoveryWarn');
  }
  check('warn', definition.warn, 'critical', definition.critical);
  check('recoveryCritical', definition.recoveryCritical, 'critical', definition.critical);
  check('recoveryWarn', definition.recoveryWarn, 'warn', definition.warn);
}
