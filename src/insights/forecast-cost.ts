// Cost forecast: Holt's linear method over hourly cost, plus today's and this month's spend and the month-end projection.
import { holtForecast } from '../monitors/forecast-holt.js';
import { budgetPeriod } from '../policy/budget-periods.js';
import type { TelemetryStore } from '../store/store.js';

const HOUR_MS = 3_600_000;

/** Smoothing used unless the caller picks others: a slow level and a slower trend suit hourly cost. */
export const DEFAULT_FORECAST_ALPHA = 0.3;
export const DEFAULT_FORECAST_BETA = 0.1;

export interface ForecastCostOptions {
  store: TelemetryStore;
  nowMs: number;
  /** Hours to forecast after the last full hour. */
  horizonHours: number;
  /** Full hours of history the model is fitted on; at least 2. */
  historyHours: number;
  alpha?: number | undefined;
  beta?: number | undefined;
}

export interface CostForecast {
  at: string;
  model: {
    method: 'holt-linear';
    alpha: number;
    beta: number;
    stepMs: number;
    /** Fitted level (USD per hour) and trend (USD per hour, per hour) after the last full hour. */
    levelUsdPerHour: number;
    trendUsdPerHour: number;
    /** Negative steps are clamped to 0: spend cannot fall below nothing. */
    floorUsd: 0;
  };
  history: { fromMs: number; toMs: number; hours: number; totalUsd: number };
  forecast: {
    fromMs: number;
    toMs: number;
    hours: number;
    totalUsd: number;
    points: { tMs: number; costUsd: number }[];
  };
  spend: {
    todayUsd: number;
    monthUsd: number;
    /** Month so far plus the forecast (floored at 0) for the hours left in the UTC month. */
    projectedMonthEndUsd: number;
    monthEndsAt: string;
  };
}

/**
 * Fits Holt's linear method (level + trend, no season) to hourly cost over the last
 * `historyHours` full hours and forecasts `horizonHours` ahead. The current, partial hour is
 * not a point: it is counted in today's and the month's spend instead. The month-end projection
 * runs the same fit to the end of the UTC month (budgets reset then).
 */
export async function forecastCost(options: ForecastCostOptions): Promise<CostForecast> {
  const { store, nowMs, horizonHours, historyHours } = options;
  const alpha = options.alpha ?? DEFAULT_FORECAST_ALPHA;
  const beta = options.beta ?? DEFAULT_FORECAST_BETA;
  const lastFullHourEndMs = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const historyFromMs = lastFullHourEndMs - historyHours * HOUR_MS;
  const day = budgetPeriod('day', nowMs);
  const month = budgetPeriod('month', nowMs);
  const [series, today, monthSoFar] = await Promise.all([
    store.timeseries({ metric: 'cost', fromMs: historyFromMs, toMs: lastFullHourEndMs, stepMs: HOUR_MS }),
    store.stats({ fromMs: day.startMs, toMs: nowMs + 1 }),
    store.stats({ fromMs: month.startMs, toMs: nowMs + 1 }),
  ]);
  // Cost is a counting metric: the store gives every bucket, 0 when empty; fill anyway for safety.
  const byBucket = new Map((series.series[0]?.points ?? []).map((point) => [point.tMs, point.value]));
  const values = Array.from(
    { length: historyHours },
    (_, index) => byBucket.get(historyFromMs + index * HOUR_MS) ?? 0,
  );
  const hoursLeftInMonth = Math.max(0, Math.ceil((month.endMs - lastFullHourEndMs) / HOUR_MS));
  const fit = holtForecast({ values, alpha, beta, horizon: Math.max(horizonHours, hoursLeftInMonth) });
  const floored = fit.forecast.map((point) => Math.max(0, point));
  const points = floored
    .slice(0, horizonHours)
    .map((costUsd, index) => ({ tMs: lastFullHourEndMs + index * HOUR_MS, costUsd }));
  const monthUsd = monthSoFar.groups[0]?.costUsd ?? 0;
  // The current hour's spend so far is in monthUsd; its forecast step counts only for the part left.
  const currentHourShareLeft = (lastFullHourEndMs + HOUR_MS - nowMs) / HOUR_MS;
  let restOfMonthUsd = 0;
  for (let index = 0; index < hoursLeftInMonth; index += 1) {
    const stepUsd = floored[index] ?? 0;
    restOfMonthUsd += index === 0 ? stepUsd * currentHourShareLeft : stepUsd;
  }
  const sum = (list: readonly number[]) => list.reduce((total, value) => total + value, 0);
  return {
    at: new Date(nowMs).toISOString(),
    model: {
      method: 'holt-linear',
      alpha,
      beta,
      stepMs: HOUR_MS,
      levelUsdPerHour: fit.level,
      trendUsdPerHour: fit.trend,
      floorUsd: 0,
    },
    history: { fromMs: historyFromMs, toMs: lastFullHourEndMs, hours: historyHours, totalUsd: sum(values) },
    forecast: {
      fromMs: lastFullHourEndMs,
      toMs: lastFullHourEndMs + horizonHours * HOUR_MS,
      hours: horizonHours,
      totalUsd: sum(points.map((point) => point.costUsd)),
      points,
    },
    spend: {
      todayUsd: today.groups[0]?.costUsd ?? 0,
      monthUsd,
      projectedMonthEndUsd: monthUsd + restOfMonthUsd,
      monthEndsAt: new Date(month.endMs).toISOString(),
    },
  };
}
