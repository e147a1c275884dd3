// What every page gets from the shell: the API client, the chosen range and grouping, and navigation.
import type { ApiClient } from './api-client.js';

/** The time ranges the picker offers, with the time-series step that keeps charts at 15 to 170 points. */
export const ranges = {
  '15m': { label: '15 min', step: '1m' },
  '1h': { label: '1 hour', step: '1m' },
  '6h': { label: '6 hours', step: '5m' },
  '24h': { label: '24 hours', step: '15m' },
  '7d': { label: '7 days', step: '1h' },
} as const;

/** A key of `ranges`, sent as `window=`. */
export type RangeKey = keyof typeof ranges;

/** The dimensions charts can split by. */
export const groupings = ['provider', 'model', 'environment'] as const;

/** `none` or one of `groupings`. */
export type GroupBy = (typeof groupings)[number] | 'none';

/** Handed to a page each time it renders. */
export interface PageContext {
  api: ApiClient;
  range: RangeKey;
  groupBy: GroupBy;
  /** Path segments after the page's own (`/ui/incidents/INC-3` gives `['INC-3']`). */
  params: string[];
  /** Goes to a dashboard path (`/ui/incidents/INC-3`) without reloading. */
  navigate(path: string): void;
  /** Renders the page again now (after a change the user made). */
  refresh(): void;
}

/** A page: builds its content from the API. */
export interface Page {
  title: string;
  render(context: PageContext): Promise<HTMLElement>;
}
