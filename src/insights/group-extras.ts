// Fields a StatsGroup may carry once the store adds them (failovers, quality), read without casts.
import type { StatsGroup } from '../store/store.js';

/** Optional figures newer stores add to a StatsGroup. */
export interface StatsGroupExtras {
  /** Requests that went to more than one target. */
  failovers?: number | undefined;
  /** Average quality score (0–1) of the scored requests; null when none was scored. */
  quality?: { avg: number | null } | undefined;
}

/** The group's failover count when the store reports one. */
export function failoversOf(group: StatsGroup & StatsGroupExtras): number | undefined {
  return typeof group.failovers === 'number' ? group.failovers : undefined;
}

/** The group's average quality score when the store reports one; null when reported but unscored. */
export function qualityAverageOf(group: StatsGroup & StatsGroupExtras): number | null | undefined {
  const quality = group.quality;
  if (quality === undefined || quality === null || typeof quality !== 'object') return undefined;
  return typeof quality.avg === 'number' ? quality.avg : null;
}
