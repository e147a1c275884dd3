// Holt's linear (double exponential) smoothing, for forecast monitors such as cost over the next 24 h.

/**
 * Inputs of Holt's linear method.
 *
 * The model keeps a level ℓ and a trend b, initialised from the first two points
 * (ℓ₀ = y₀, b₀ = y₁ − y₀) and updated for each later point yₜ:
 *
 *   ℓₜ = α·yₜ + (1 − α)·(ℓₜ₋₁ + bₜ₋₁)
 *   bₜ = β·(ℓₜ − ℓₜ₋₁) + (1 − β)·bₜ₋₁
 *
 * The h-step-ahead forecast is ŷₜ₊ₕ = ℓₜ + h·bₜ. A straight line is reproduced exactly and a
 * constant series forecasts that constant. There is no seasonal term: for hourly cost with a daily
 * cycle, feed it a series already free of the cycle (daily totals) or accept a trend-only view.
 */
export interface HoltForecastOptions {
  /** Equally spaced observations, oldest first; at least 2. */
  values: readonly number[];
  /** Level smoothing in (0, 1]: higher follows recent points faster (1 = last point only). */
  alpha: number;
  /** Trend smoothing in (0, 1]: higher lets the slope change faster. */
  beta: number;
  /** How many steps ahead to forecast (a non-negative integer), in the unit of `values`' spacing. */
  horizon: number;
}

/** The fitted state after the last observation and the forecast for steps 1..horizon. */
export interface HoltForecast {
  level: number;
  /** Change per step. */
  trend: number;
  /** forecast[i] is the prediction i + 1 steps after the last observation. */
  forecast: number[];
}

/**
 * Fits Holt's linear method to `values` and forecasts `horizon` steps ahead.
 * Throws a `RangeError` for alpha or beta outside (0, 1], fewer than two points,
 * non-finite values or a horizon that is not a non-negative integer.
 * @example holtForecast({ values: [1, 2, 3], alpha: 0.5, beta: 0.3, horizon: 2 }).forecast // [4, 5]
 */
export function holtForecast(options: HoltForecastOptions): HoltForecast {
  const { values, alpha, beta, horizon } = options;
  validate(options);
  let level = values[0] as number;
  let trend = (values[1] as number) - level;
  for (let index = 1; index < values.length; index += 1) {
    const previousLevel = level;
    level = alpha * (values[index] as number) + (1 - alpha) * (previousLevel + trend);
    trend = beta * (level - previousLevel) + (1 - beta) * trend;
  }
  const forecast = Array.from({ length: horizon }, (_, step) => level + (step + 1) * trend);
  return { level, trend, forecast };
}

/**
 * The sum of the forecast over the horizon, e.g. expected cost over the next 24 h from hourly
 * cost points with `horizon: 24`. `floor` (for cost: 0) clamps each forecast step, since a
 * falling trend must not predict negative spend.
 * @example forecastSum({ values: hourlyCostUsd, alpha: 0.3, beta: 0.1, horizon: 24, floor: 0 })
 */
export function forecastSum(options: HoltForecastOptions & { floor?: number }): number {
  const { floor } = options;
  return holtForecast(options).forecast.reduce(
    (sum, point) => sum + (floor === undefined ? point : Math.max(point, floor)),
    0,
  );
}

function validate(options: HoltForecastOptions): void {
  const { values, alpha, beta, horizon } = options;
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`holt alpha must be in (0, 1], got ${alpha}`);
  if (!(beta > 0 && beta <= 1)) throw new RangeError(`holt beta must be in (0, 1], got ${beta}`);
  if (values.length < 2) throw new RangeError(`holt needs at least 2 values, got ${values.length}`);
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad !== -1)
    throw new RangeError(`holt values must be finite numbers, values[${bad}] is ${values[bad]}`);
  if (!Number.isInteger(horizon) || horizon < 0) {
    throw new RangeError(`holt horizon must be a non-negative integer, got ${horizon}`);
  }
}
