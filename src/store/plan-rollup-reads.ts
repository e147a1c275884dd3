// Rollup time tiers (minute, five minutes, hour, UTC day) and which rows of which tier answer a time range.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** Start of the minute holding `timeMs`. */
export function minuteOf(timeMs: number): number {
  return Math.floor(timeMs / MINUTE_MS) * MINUTE_MS;
}

/**
 * The rollup tiers, finest first. Minute rows are written with each insert; the coarser ones are
 * built from the tier below (see SqliteRollupTiers), so long ranges read few rows.
 */
export type RollupTier = 'minute' | 'fiveMinutes' | 'hour' | 'day';

/** Width of a tier's rows. Rows start at multiples of it since the epoch (days are UTC days). */
export const TIER_MS: Readonly<Record<RollupTier, number>> = {
  minute: MINUTE_MS,
  fiveMinutes: 5 * MINUTE_MS,
  hour: HOUR_MS,
  day: 24 * HOUR_MS,
};

const COARSE_TO_FINE: readonly RollupTier[] = ['day', 'hour', 'fiveMinutes', 'minute'];

/** One read of a rollup tier: its rows starting in [fromMs, toMs). */
export interface RollupRead {
  tier: RollupTier;
  fromMs: number;
  toMs: number;
}

/**
 * Which rollup rows answer a time range: the whole days from daily rows, the whole hours left
 * from hourly rows, then five-minute rows, then minute rows for the ragged ends, so a 30-day
 * query reads about 110 rows per group instead of 43,200. The range is minute-granular whatever
 * is read: a minute counts when its start lies in [minuteOf(fromMs), toMs). With `stepMs` (a time
 * series), only tiers whose rows fit inside one step are used.
 */
export function planRollupReads(options: {
  fromMs: number;
  toMs: number;
  stepMs?: number | undefined;
}): RollupRead[] {
  const low = minuteOf(options.fromMs);
  // Minutes m (multiples of a minute) with m < toMs are exactly those with m < high.
  const high = Math.ceil(options.toMs / MINUTE_MS) * MINUTE_MS;
  const { stepMs } = options;
  const tiers = COARSE_TO_FINE.filter((tier) => stepMs === undefined || stepMs % TIER_MS[tier] === 0);
  return planBetween(low, high, tiers);
}

function planBetween(low: number, high: number, tiers: readonly RollupTier[]): RollupRead[] {
  if (high <= low) return [];
  for (let index = 0; index < tiers.length; index++) {
    const tier = tiers[index] as RollupTier;
    if (tier === 'minute') return [{ tier, fromMs: low, toMs: high }];
    const width = TIER_MS[tier];
    const wholeFrom = Math.ceil(low / width) * width;
    const wholeTo = Math.floor(high / width) * width;
    if (wholeFrom >= wholeTo) continue;
    const finer = tiers.slice(index + 1);
    return [
      ...planBetween(low, wholeFrom, finer),
      { tier, fromMs: wholeFrom, toMs: wholeTo },
      ...planBetween(wholeTo, high, finer),
    ];
  }
  return [];
}
