import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerNotificationMetrics } from './notification-metrics.js';

describe('registerNotificationMetrics', () => {
  it('reads outcomes, retries and the backlog per target at scrape time', async () => {
    const registry = new Registry();
    const counters = { oncall: { delivered: 3, failed: 1, retried: 4, deduplicated: 2, rateLimited: 0 } };
    let pending = 5;
    registerNotificationMetrics(registry, {
      counters: () => counters,
      pendingByTarget: () => ({ oncall: pending }),
    });
    const text = await registry.metrics();
    expect(text).toContain('keel_notifications_total{target="oncall",result="delivered"} 3');
    expect(text).toContain('keel_notifications_total{target="oncall",result="failed"} 1');
    expect(text).toContain('keel_notifications_total{target="oncall",result="deduplicated"} 2');
    expect(text).toContain('keel_notifications_total{target="oncall",result="rate_limited"} 0');
    expect(text).toContain('keel_notification_retries_total{target="oncall"} 4');
    expect(text).toContain('keel_notifications_pending{target="oncall"} 5');
    pending = 0;
    counters.oncall.delivered = 8;
    const later = await registry.metrics();
    expect(later).toContain('keel_notifications_pending{target="oncall"} 0');
    expect(later).toContain('keel_notifications_total{target="oncall",result="delivered"} 8');
  });
});
