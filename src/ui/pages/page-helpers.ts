// Helpers the pages share: optional reads, series labels and the chart grid.
import { ApiError } from '../api-client.js';
import type { ChartSeries } from '../charts.js';
import { formatKey } from '../format.js';
import type { TimeseriesAnswer } from '../api-types.js';
import { ranges, type PageContext } from '../page-context.js';

/** Reads a part of a page that may be switched off (store, monitors): undefined on 404, rethrows the rest. */
export async function optional<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** Reads one metric over the chosen range, split by the chosen dimension, as chart series. */
export async function readSeries(
  context: PageContext,
  options: { metric: string; filters?: Record<string, string> },
): Promise<ChartSeries[]> {
  const answer = await context.api.get<TimeseriesAnswer>('/api/timeseries', {
    metric: options.metric,
    window: context.range,
    step: ranges[context.range].step,
    by: context.groupBy === 'none' ? undefined : context.groupBy,
    ...options.filters,
  });
  return answer.series.map((series) => ({ label: formatKey(series.key), points: series.points }));
}

/** The shared `window=` query of the chosen range. */
export function windowQuery(context: PageContext): { window: string } {
  return { window: context.range };
}

const windowMs: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

/** The chosen range as [from, to] epoch ms ending now, for chart x axes. */
export function windowRangeMs(context: PageContext): [number, number] {
  const nowMs = Date.now();
  return [nowMs - (windowMs[context.range] ?? 60 * 60_000), nowMs];
}
