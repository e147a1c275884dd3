// The states a monitor can be in and the result every evaluator returns.

/**
 * A monitor's state after an evaluation. `NO_DATA` means the sample was too thin
 * (or missing) to judge and the definition's no-data policy asked to say so.
 */
export type MonitorStatus = 'OK' | 'WARN' | 'ALERT' | 'NO_DATA';

/** What to do when a sample is missing or below the minimum request count. */
export type NoDataPolicy = 'no-data' | 'ok' | 'keep';

/** The outcome of one evaluation of one monitor (one group) at one tick. */
export interface MonitorEvaluation {
  status: MonitorStatus;
  /** The value that was judged, or null when there was none. */
  value: number | null;
  previousStatus: MonitorStatus;
  /** True when `status` differs from `previousStatus`. */
  changed: boolean;
  /** A short human-readable explanation ("p95 4200 >= critical 4000"). */
  reason: string;
}

/**
 * The status the no-data policy gives when a sample cannot be judged.
 * @example statusForNoData({ policy: 'keep', previous: 'ALERT' }) // 'ALERT'
 */
export function statusForNoData(options: { policy: NoDataPolicy; previous: MonitorStatus }): MonitorStatus {
  switch (options.policy) {
    case 'no-data':
      return 'NO_DATA';
    case 'ok':
      return 'OK';
    case 'keep':
      return options.previous;
  }
}

/** Builds an evaluation, deriving `changed` from the two statuses. */
export function monitorEvaluation(options: {
  status: MonitorStatus;
  value: number | null;
  previousStatus: MonitorStatus;
  reason: string;
}): MonitorEvaluation {
  return { ...options, changed: options.status !== options.previousStatus };
}

/**
 * A value as reasons show it: whole numbers as they are, others to 4 significant digits.
 * @example readableNumber(0.38461538461538464) // '0.3846'
 */
export function readableNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
