// The traffic generator's closing summary: counts, status codes, latency percentiles, tokens, errors.
import type { TrafficRequestKind } from './plan-traffic.js';

/** What one request of the run saw. */
export interface TrafficResult {
  kind: TrafficRequestKind;
  stream: boolean;
  /** HTTP status; 0 when no answer came (connection refused, timeout). */
  status: number;
  /** From send to the end of the body (the last chunk for streams). */
  latencyMs: number;
  /** A 2xx whose body (or stream) ended well: what Keel's stats count as `ok`. */
  ok: boolean;
  /** Keel's error code (`x-keel-error-code`, or the stream's error event), or a client-side code. */
  errorCode?: string | undefined;
  inputTokens: number;
  outputTokens: number;
}

/**
 * Codes of the body checks that run before routing: Keel's telemetry (and so `/api/stats`) never
 * sees these requests. Other `KEEL_INVALID_REQUEST`s (from a provider adapter) are rare; the mock,
 * OpenAI and Hugging Face providers raise none.
 */
export const refusedBeforeRoutingCodes: readonly string[] = [
  'KEEL_INVALID_JSON',
  'KEEL_INVALID_REQUEST',
  'KEEL_BODY_TOO_LARGE',
  'KEEL_UNSUPPORTED_MEDIA_TYPE',
];

/** The closing summary; also what `--json` prints. */
export interface TrafficSummary {
  requests: number;
  ok: number;
  errors: number;
  /** Requests Keel refused before routing (see {@link refusedBeforeRoutingCodes}): not in its stats. */
  refusedBeforeRouting: number;
  durationMs: number;
  /** Requests per second actually sent over the run. */
  achievedRps: number;
  statusCodes: Record<string, number>;
  errorsByCode: Record<string, number>;
  kinds: Partial<Record<TrafficRequestKind, number>>;
  streamed: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  tokens: { input: number; output: number; total: number };
}

/** The value of rank floor(q * (n - 1)) of sorted values: the rank rule Keel's stats follow. */
function quantile(sorted: readonly number[], q: number): number | null {
  return sorted[Math.floor(q * (sorted.length - 1))] ?? null;
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Folds the results of a run into its summary. */
export function summarizeTraffic(options: {
  results: readonly TrafficResult[];
  durationMs: number;
}): TrafficSummary {
  const { results } = options;
  const statusCodes: Record<string, number> = {};
  const errorsByCode: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  let ok = 0;
  let refusedBeforeRouting = 0;
  let streamed = 0;
  let input = 0;
  let output = 0;
  for (const result of results) {
    increment(statusCodes, result.status === 0 ? 'no answer' : String(result.status));
    increment(kinds, result.kind);
    if (result.ok) ok++;
    else increment(errorsByCode, result.errorCode ?? `HTTP ${result.status}`);
    if (!result.ok && refusedBeforeRoutingCodes.includes(result.errorCode ?? '')) refusedBeforeRouting++;
    if (result.stream) streamed++;
    input += result.inputTokens;
    output += result.outputTokens;
  }
  const sorted = results.map((result) => result.latencyMs).sort((a, b) => a - b);
  return {
    requests: results.length,
    ok,
    errors: results.length - ok,
    refusedBeforeRouting,
    durationMs: options.durationMs,
    achievedRps: options.durationMs <= 0 ? 0 : results.length / (options.durationMs / 1000),
    statusCodes,
    errorsByCode,
    kinds,
    streamed,
    latencyMs: {
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? null,
    },
    tokens: { input, output, total: input + output },
  };
}

function milliseconds(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)}ms`;
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '(none)' : entries.map(([key, count]) => `${key}: ${count}`).join(', ');
}

/** The summary as the plain-text block the CLI prints at the end. */
export function formatTrafficSummary(summary: TrafficSummary): string {
  const rule = '='.repeat(60);
  return [
    rule,
    'TRAFFIC SUMMARY',
    rule,
    `Requests:     ${summary.requests} in ${(summary.durationMs / 1000).toFixed(1)}s (${summary.achievedRps.toFixed(1)} rps), ${summary.streamed} streamed`,
    `OK / errors:  ${summary.ok} / ${summary.errors} (${summary.refusedBeforeRouting} refused before routing, not in Keel's stats)`,
    `Kinds:        ${counts(summary.kinds)}`,
    `Status codes: ${counts(summary.statusCodes)}`,
    `Latency:      p50 ${milliseconds(summary.latencyMs.p50)}, p95 ${milliseconds(summary.latencyMs.p95)}, p99 ${milliseconds(summary.latencyMs.p99)}, max ${milliseconds(summary.latencyMs.max)}`,
    `Tokens:       ${summary.tokens.total} (input ${summary.tokens.input}, output ${summary.tokens.output}; from usage)`,
    `Errors:       ${counts(summary.errorsByCode)}`,
    '',
  ].join('\n');
}

/** Live counters, reported about once a second and at the end. */
export interface TrafficProgress {
  elapsedMs: number;
  durationMs: number;
  sent: number;
  inFlight: number;
  ok: number;
  errors: number;
}

/** One progress line: elapsed time, sent, in flight, ok and errors so far. */
export function formatProgressLine(options: TrafficProgress): string {
  const share = Math.min(1, options.elapsedMs / options.durationMs);
  const width = 20;
  const filled = Math.round(share * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${bar} ${(options.elapsedMs / 1000).toFixed(0)}/${(options.durationMs / 1000).toFixed(0)}s sent ${options.sent} in flight ${options.inFlight} ok ${options.ok} errors ${options.errors}`;
}
