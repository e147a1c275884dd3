// The shapes of the /api answers the dashboard reads (only the fields it uses; see docs/api.md).

/** p50/p95/p99 in ms, or null when no request had a value. */
export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
}

/** One `/api/stats` group. */
export interface StatsGroup {
  key: Record<string, string>;
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
  cacheHits: number;
  latency: Quantiles & { avg: number; min: number; max: number };
  upstream: Quantiles | null;
  overhead: Quantiles | null;
  ttft: Quantiles | null;
  failovers: number;
  failoverRate: number;
}

/** A target's circuit breaker. */
export interface Breaker {
  target: string;
  status: 'closed' | 'open' | 'half-open';
  reason: string;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
  openedAt?: string;
}

/** A fault injection in force (`GET /api/chaos`). */
export interface ChaosInjection {
  id: string;
  target: string;
  latencyMs?: number;
  errorRate?: number;
  errorKind?: string;
  outage?: boolean;
  cutRate?: number;
  startedAt: string;
  expiresAt: string;
}

/** `GET /api/stats`. */
export interface StatsAnswer {
  fromMs: number;
  toMs: number;
  groups: StatsGroup[];
  breakers: Breaker[];
}

/** A point of a series. */
export interface Point {
  tMs: number;
  value: number;
}

/** `GET /api/timeseries`. */
export interface TimeseriesAnswer {
  metric: string;
  stepMs: number;
  series: { key: Record<string, string>; points: Point[] }[];
}

/** Monitor statuses. */
export type MonitorStatus = 'OK' | 'WARN' | 'ALERT' | 'NO_DATA';

/** One group of a monitor. */
export interface MonitorGroup {
  groupId: string;
  group: Record<string, string>;
  status: MonitorStatus;
  since?: string;
  value?: number | null;
  reason?: string;
  details?: Record<string, unknown>;
  evaluatedAt?: string;
}

/** A monitor as `/api/monitors` lists it. */
export interface Monitor {
  id: string;
  type: string;
  title: string;
  source: string;
  muted: boolean;
  status: MonitorStatus;
  groups: MonitorGroup[];
  definition: Record<string, unknown> & {
    metric?: string;
    warn?: number;
    critical?: number;
    runbook?: string;
  };
}

/** `GET /api/monitors`. */
export interface MonitorsAnswer {
  evaluationIntervalMs: number;
  counts: Record<MonitorStatus, number>;
  monitors: Monitor[];
}

/** `GET /api/monitors/:id`. */
export interface MonitorDetailAnswer extends Monitor {
  transitions?: {
    groupId?: string;
    from: string;
    status: string;
    value?: number | null;
    reason?: string;
    at?: string;
    atMs?: number;
  }[];
}

/** One stored evaluation. */
export interface Evaluation {
  groupId: string;
  status: MonitorStatus;
  value: number | null;
  reason?: string;
  atMs?: number;
  evaluatedAt?: string;
}

/** An incident. */
export interface Incident {
  id: string;
  number: number;
  title: string;
  severity: string;
  status: 'active' | 'stable' | 'resolved';
  source: 'monitor' | 'manual';
  commander?: string;
  description?: string;
  monitor?: { id: string; title: string; runbook?: string };
  groupId?: string;
  trigger?: { from: string; to: string; value: number | null; reason: string; atMs: number };
  impactStartMs?: number;
  impactEndMs?: number;
  createdAtMs: number;
  updatedAtMs: number;
  resolvedAtMs?: number;
}

/** A timeline entry. */
export interface TimelineEntry {
  id: number;
  atMs: number;
  kind: string;
  author?: string;
  text: string;
  data: Record<string, unknown>;
}

/** A graph snapshot in a timeline entry of kind `graph`. */
export interface GraphSnapshot {
  metric: string;
  unit?: string;
  fromMs?: number;
  toMs?: number;
  points: { tMs: number; value: number | null }[];
  thresholds?: Record<string, number | null | undefined>;
}

/** A request record. */
export interface RequestRecord {
  timeMs: number;
  requestId: string;
  environment: string;
  application: string;
  requestedModel: string;
  provider?: string;
  servedModel?: string;
  stream: boolean;
  status: number;
  outcome: 'ok' | 'error';
  errorCode?: string;
  totalMs: number;
  upstreamMs?: number;
  overheadMs?: number;
  ttftMs?: number;
  totalTokens?: number;
  costUsd?: number;
  cacheHit?: boolean;
  attempts: number;
  failoverPath?: string[];
  promptPreview?: string;
  responsePreview?: string;
  experimentId?: string;
  variantId?: string;
}

/** `/api/health-score` entries. */
export interface HealthScore {
  score: number | null;
  subScores: Record<string, { score: number | null; weight: number }>;
  environment?: string;
}

/** `/api/forecast/cost` (only the fields used). */
export interface CostForecast {
  forecast?: { totalUsd: number; hours: number };
  spend?: { todayUsd: number; monthUsd: number; projectedMonthEndUsd: number };
}

/** An experiment's variant as the report gives it. */
export interface VariantReport extends StatsGroup {
  variant: string;
  weightShare: number;
  costPerRequestUsd: number;
  vsControl: {
    errorRateDifference: number;
    latencyP95Ratio: number | null;
    costPerRequestRatio: number | null;
  } | null;
}

/** One group of `/api/latency/summary`. */
export interface ProbeSummaryGroup {
  environment: string;
  model: string;
  probes: number;
  failures: number;
  failureRate: number | null;
  latency: { p50: number | null; p95: number | null; avg: number | null };
  ttft: { p95: number | null };
  last: { timestamp: string; success: boolean; errorCode: string | null } | null;
}

/** `/api/latency/summary`. */
export interface ProbeSummaryAnswer {
  groups: ProbeSummaryGroup[];
}
