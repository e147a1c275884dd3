// Prometheus gauges keel_health_score and keel_health_subscore, computed when /metrics is scraped.
import { Gauge, type Registry } from 'prom-client';
import { HEALTH_COMPONENTS } from './health-score.js';
import {
  readHealthScore,
  type HealthScoreReport,
  type ReadHealthScoreOptions,
  type ScopeHealth,
} from './read-health-score.js';

export interface HealthScoreMetricsOptions {
  /** A report is reused for this long, so several gauges and close scrapes share one read. Default 10 s. */
  cacheMs?: number | undefined;
  now?: (() => number) | undefined;
  /** The compute failed; the gauges keep the last good values (or stay empty). Default: ignored. */
  onError?: ((error: unknown) => void) | undefined;
}

/** What the scrape-time compute reads: the store, a window ending now, breakers and budgets. */
export interface HealthScoreComputeOptions extends Pick<
  ReadHealthScoreOptions,
  'store' | 'breakers' | 'budgets' | 'targets'
> {
  /** Called before each read so buffered records count. */
  beforeRead?: (() => Promise<void>) | undefined;
  now: () => number;
  /** The window ending now. Default 1 h. */
  windowMs?: number | undefined;
}

/**
 * The compute `registerHealthScoreMetrics` calls: the health score over the last window.
 * @example registerHealthScoreMetrics(registry, createHealthScoreCompute({ store, now: () => clock.now() }))
 */
export function createHealthScoreCompute(
  options: HealthScoreComputeOptions,
): () => Promise<HealthScoreReport> {
  const windowMs = options.windowMs ?? 3_600_000;
  return async () => {
    await options.beforeRead?.();
    const toMs = options.now();
    return readHealthScore({
      store: options.store,
      fromMs: toMs - windowMs,
      toMs,
      breakers: options.breakers,
      budgets: options.budgets,
      targets: options.targets,
    });
  };
}

/** The environment label of the overall entry. */
export const OVERALL_ENVIRONMENT_LABEL = '_all';

/**
 * Registers `keel_health_score{environment}` and `keel_health_subscore{environment,component}`.
 * Values come from `compute` at scrape time, cached `cacheMs`; a failing compute never fails the
 * scrape. The overall score has `environment="_all"`; scopes or components without data are
 * left out rather than reported as 0.
 * @example registerHealthScoreMetrics(metrics.registry, () => readHealthScore({ store, fromMs: now() - 3_600_000, toMs: now() }))
 */
export function registerHealthScoreMetrics(
  registry: Registry,
  compute: () => Promise<HealthScoreReport>,
  options: HealthScoreMetricsOptions = {},
): void {
  const cacheMs = options.cacheMs ?? 10_000;
  const now = options.now ?? Date.now;
  let cached: { atMs: number; report: HealthScoreReport } | undefined;
  let inFlight: Promise<HealthScoreReport | undefined> | undefined;

  async function current(): Promise<HealthScoreReport | undefined> {
    if (cached !== undefined && now() - cached.atMs < cacheMs) return cached.report;
    inFlight ??= (async () => {
      try {
        const report = await compute();
        cached = { atMs: now(), report };
        return report;
      } catch (error) {
        options.onError?.(error);
        return cached?.report;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  const scopes = (report: HealthScoreReport): [string, ScopeHealth][] => [
    [OVERALL_ENVIRONMENT_LABEL, report.overall],
    ...report.environments.map((scope): [string, ScopeHealth] => [scope.environment ?? '', scope]),
  ];
  const registers = [registry];
  new Gauge<'environment'>({
    name: 'keel_health_score',
    help: 'Composite health score 0-100 over the last window (performance, reliability, cost, quality, security); environment="_all" is overall.',
    labelNames: ['environment'],
    registers,
    async collect() {
      const report = await current();
      this.reset();
      if (report === undefined) return;
      for (const [environment, scope] of scopes(report)) {
        if (scope.score !== null) this.set({ environment }, scope.score);
      }
    },
  });
  new Gauge<'environment' | 'component'>({
    name: 'keel_health_subscore',
    help: 'One component of the health score, 0-100: performance, reliability, cost, quality or security.',
    labelNames: ['environment', 'component'],
    registers,
    async collect() {
      const report = await current();
      this.reset();
      if (report === undefined) return;
      for (const [environment, scope] of scopes(report)) {
        for (const component of HEALTH_COMPONENTS) {
          const score = scope.subScores[component].score;
          if (score !== null) this.set({ environment, component }, score);
        }
      }
    },
  });
}
