// Prometheus metrics of the request policies: budget alerts, limit hits, and each budget's spend against its limit.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '../event-bus.js';

/** One budget as the gauges read it at scrape time. */
export interface BudgetGaugeRow {
  scope: string;
  id: string;
  period: string;
  spentUsd: number;
  limitUsd: number;
}

export interface PolicyMetricsOptions {
  events: EventBus;
  /** Current budgets (the budget policy's status), read at each scrape; absent without budgets. */
  budgets?: (() => Promise<BudgetGaugeRow[]>) | undefined;
}

/**
 * Registers `keel_budget_alerts_total{scope,threshold}`, `keel_limit_hits_total{limit,action}` and,
 * with budgets, `keel_budget_spent_usd` and `keel_budget_limit_usd{scope,id,period}`. Label values
 * stay bounded: scopes and thresholds are fixed sets, and budget ids are the configured teams and
 * applications, "global", and the ids of gateway keys that carry a budget (bounded by the keys).
 * @example registerPolicyMetrics(metrics.registry, { events, budgets: () => budgets.status(clock.now()) })
 */
export function registerPolicyMetrics(registry: Registry, options: PolicyMetricsOptions): () => void {
  const registers = [registry];
  const alerts = new Counter<'scope' | 'threshold'>({
    name: 'keel_budget_alerts_total',
    help: 'Budget threshold alerts fired (each once per budget, threshold and period), by scope and threshold percent.',
    labelNames: ['scope', 'threshold'],
    registers,
  });
  const hits = new Counter<'limit' | 'action'>({
    name: 'keel_limit_hits_total',
    help: 'Token limits and budgets acting on requests: rejected, clamped, or alerted (a token average over target).',
    labelNames: ['limit', 'action'],
    registers,
  });
  const { budgets } = options;
  if (budgets !== undefined) {
    // Both gauges are collected in the same scrape: they share one read of the budgets.
    let reading: Promise<BudgetGaugeRow[]> | undefined;
    const read = () =>
      (reading ??= budgets().finally(() => {
        reading = undefined;
      }));
    const gauge = (name: string, help: string, value: (row: BudgetGaugeRow) => number) =>
      new Gauge<'scope' | 'id' | 'period'>({
        name,
        help,
        labelNames: ['scope', 'id', 'period'],
        registers,
        async collect() {
          const rows = await read();
          this.reset();
          for (const row of rows) this.set({ scope: row.scope, id: row.id, period: row.period }, value(row));
        },
      });
    gauge(
      'keel_budget_spent_usd',
      'Settled spend of each budget in its current UTC day or month, US dollars.',
      (row) => row.spentUsd,
    );
    gauge(
      'keel_budget_limit_usd',
      'The limit of each budget per UTC day or month, US dollars.',
      (row) => row.limitUsd,
    );
  }
  const stopAlerts = options.events.on('budget:threshold', (alert) =>
    alerts.inc({ scope: alert.scope, threshold: String(alert.thresholdPercent) }),
  );
  const stopHits = options.events.on('limit:hit', (hit) =>
    hits.inc({ limit: hit.limit, action: hit.action }),
  );
  return () => {
    stopAlerts();
    stopHits();
  };
}
