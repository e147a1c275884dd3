// Bounded scans of raw request records: page through the store up to a cap, newest first.
import type { RequestFilters, TelemetryStore } from '../store/store.js';
import { failoverPathFailedOver } from '../telemetry/metrics/metric-labels.js';
export { pathTarget } from '../telemetry/metrics/metric-labels.js';
import type { RequestRecord } from '../telemetry/request-record.js';

/** Default cap on raw records one insight reads per scan. */
export const DEFAULT_SCAN_CAP = 20_000;

export interface ScanRecordsOptions {
  store: TelemetryStore;
  fromMs: number;
  toMs: number;
  filters?: RequestFilters | undefined;
  /** Most records read; the newest ones win. Default 20,000. */
  maxRecords?: number | undefined;
}

/** The records read and whether the cap cut the scan short (older records were not read). */
export interface ScannedRecords {
  records: RequestRecord[];
  truncated: boolean;
}

/**
 * Reads raw records newest first, 1,000 a page, until the range ends or `maxRecords` is reached.
 * @example const { records, truncated } = await scanRecords({ store, fromMs, toMs, maxRecords: 5_000 })
 */
export async function scanRecords(options: ScanRecordsOptions): Promise<ScannedRecords> {
  const maxRecords = options.maxRecords ?? DEFAULT_SCAN_CAP;
  const records: RequestRecord[] = [];
  let cursor: string | undefined;
  while (records.length < maxRecords) {
    const page = await options.store.requests({
      fromMs: options.fromMs,
      toMs: options.toMs,
      filters: options.filters,
      limit: Math.min(1_000, maxRecords - records.length),
      cursor,
    });
    records.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === undefined) return { records, truncated: false };
  }
  return { records, truncated: cursor !== undefined };
}

/** True when the request went to more than one target (metric-labels' check, on a stored path). */
export function recordFailedOver(record: Pick<RequestRecord, 'failoverPath'>): boolean {
  return failoverPathFailedOver(record.failoverPath);
}
