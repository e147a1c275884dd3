// Prometheus families for webhook notifications: outcomes, retries and the backlog, per target.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NotificationTargetCounters } from './webhook-notifier-options.js';

/** Where the values are read from at each scrape: a WebhookNotifier fits. */
export interface NotificationMetricsSource {
  counters(): Record<string, NotificationTargetCounters>;
  pendingByTarget(): Record<string, number>;
}

/**
 * Registers keel_notifications_* families read from the notifier when Prometheus scrapes.
 * `keel_notifications_total{result="failed"|"rate_limited"}` above zero means someone was not told.
 *
 * @example
 * registerNotificationMetrics(metrics.registry, notifier);
 */
export function registerNotificationMetrics(registry: Registry, source: NotificationMetricsSource): void {
  const registers = [registry];
  new Counter<'target' | 'result'>({
    name: 'keel_notifications_total',
    help: 'Notifications per webhook target by final result: delivered, failed (permanent error or out of attempts), rate_limited (dropped from an over-full backlog), deduplicated (dropped at enqueue).',
    labelNames: ['target', 'result'],
    registers,
    collect() {
      this.reset();
      for (const [target, counters] of Object.entries(source.counters())) {
        this.inc({ target, result: 'delivered' }, counters.delivered);
        this.inc({ target, result: 'failed' }, counters.failed);
        this.inc({ target, result: 'rate_limited' }, counters.rateLimited);
        this.inc({ target, result: 'deduplicated' }, counters.deduplicated);
      }
    },
  });
  new Counter<'target'>({
    name: 'keel_notification_retries_total',
    help: 'Webhook attempts that failed and were scheduled again (network error, timeout, 408, 429, 5xx).',
    labelNames: ['target'],
    registers,
    collect() {
      this.reset();
      for (const [target, counters] of Object.entries(source.counters()))
        this.inc({ target }, counters.retried);
    },
  });
  new Gauge<'target'>({
    name: 'keel_notifications_pending',
    help: 'Notifications in the outbox waiting to be delivered (including those retrying), per webhook target.',
    labelNames: ['target'],
    registers,
    collect() {
      this.reset();
      for (const [target, count] of Object.entries(source.pendingByTarget())) this.set({ target }, count);
    },
  });
}
