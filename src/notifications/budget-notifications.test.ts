import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import { openOpsDatabase } from '../ops/ops-database.js';
import { EventBus } from '../telemetry/event-bus.js';
import type { BudgetThresholdEvent } from '../telemetry/events.js';
import {
  budgetDedupeKey,
  subscribeBudgetNotifications,
  toBudgetNotification,
} from './budget-notifications.js';
import type { NotificationMessage, Notifier } from './notification.js';
import { WebhookNotifier } from './webhook-notifier.js';

const event: BudgetThresholdEvent = {
  scope: 'team',
  id: 'search',
  period: 'month',
  periodKey: '2026-12',
  thresholdPercent: 80,
  spentUsd: 41.23456,
  limitUsd: 50,
  resetAtMs: Date.UTC(2027, 0, 1),
  refused: false,
  mode: 'enforce',
  atMs: Date.UTC(2026, 11, 14, 12),
};

class RecordingNotifier implements Notifier {
  readonly calls: { targets: readonly string[]; message: NotificationMessage }[] = [];
  enqueue(targets: readonly string[], message: NotificationMessage): string[] {
    this.calls.push({ targets, message });
    return targets.map((target) => `${target}-${this.calls.length}`);
  }
}

describe('toBudgetNotification', () => {
  it('describes a threshold crossing as a warning with the facts as fields', () => {
    expect(toBudgetNotification(event)).toEqual({
      kind: 'budget.threshold',
      title: '[BUDGET] team search budget (month 2026-12) passed 80%',
      text: [
        '**Spent:** $41.23 of $50.00 (82 %) in the month 2026-12.',
        '**Threshold:** 80 %.',
        '**Resets:** 2027-01-01T00:00:00.000Z.',
        'At 100 % requests that do not fit will be refused (mode: enforce).',
      ].join('\n'),
      severity: 'warning',
      status: 'threshold',
      fields: {
        scope: 'team',
        id: 'search',
        period: 'month',
        periodKey: '2026-12',
        thresholdPercent: 80,
        spentUsd: 41.2346,
        limitUsd: 50,
        resetAt: '2027-01-01T00:00:00.000Z',
        mode: 'enforce',
        refused: false,
      },
      dedupeKey: 'budget.threshold:team:search:month:2026-12:80',
      atMs: event.atMs,
    });
  });

  it.each<[string, Partial<BudgetThresholdEvent>, { title: string; severity: string; lastLine: string }]>([
    [
      'an exhausted enforced budget',
      { thresholdPercent: 100, spentUsd: 50 },
      {
        title: '[BUDGET] team search budget (month 2026-12) passed 100%',
        severity: 'critical',
        lastLine: 'Requests that do not fit are refused with KEEL_BUDGET_EXCEEDED until the reset.',
      },
    ],
    [
      'a refusal under the limit',
      { thresholdPercent: 100, refused: true },
      {
        title: '[BUDGET] team search budget (month 2026-12) refused a request: limit $50.00 reached',
        severity: 'critical',
        lastLine: 'Requests that do not fit are refused with KEEL_BUDGET_EXCEEDED until the reset.',
      },
    ],
    [
      'a soft global budget',
      { scope: 'global', id: 'global', mode: 'soft', period: 'day', periodKey: '2026-12-14' },
      {
        title: '[BUDGET] global budget (day 2026-12-14) passed 80%',
        severity: 'warning',
        lastLine: 'Mode is soft: requests are not refused, only reported.',
      },
    ],
  ])('%s', (_name, change, expected) => {
    const notification = toBudgetNotification({ ...event, ...change });
    expect(notification.title).toBe(expected.title);
    expect(notification.severity).toBe(expected.severity);
    expect(notification.text.split('\n').at(-1)).toBe(expected.lastLine);
  });

  it('gives each budget, period and threshold its own dedupe key', () => {
    const keys = new Set([
      budgetDedupeKey(event),
      budgetDedupeKey({ ...event, thresholdPercent: 100 }),
      budgetDedupeKey({ ...event, periodKey: '2027-01' }),
      budgetDedupeKey({ ...event, id: 'ads' }),
      budgetDedupeKey({ ...event, scope: 'application' }),
      budgetDedupeKey({ ...event, period: 'day' }),
    ]);
    expect(keys.size).toBe(6);
    expect(budgetDedupeKey({ ...event, spentUsd: 49, atMs: 0 })).toBe(budgetDedupeKey(event));
  });
});

describe('subscribeBudgetNotifications', () => {
  it('enqueues each budget:threshold event for the targets until unsubscribed', () => {
    const events = new EventBus();
    const notifier = new RecordingNotifier();
    const unsubscribe = subscribeBudgetNotifications({ events, notifier, targets: ['oncall', 'finance'] });
    events.emit('budget:threshold', event);
    expect(notifier.calls).toEqual([
      { targets: ['oncall', 'finance'], message: toBudgetNotification(event) },
    ]);
    unsubscribe();
    events.emit('budget:threshold', event);
    expect(notifier.calls).toHaveLength(1);
  });

  it('does not subscribe at all without targets', () => {
    const events = new EventBus();
    subscribeBudgetNotifications({ events, notifier: new RecordingNotifier(), targets: [] });
    expect(events.has('budget:threshold')).toBe(false);
  });

  it('queues a re-emitted crossing (another replica, a restart) once per webhook', () => {
    const db = openOpsDatabase(':memory:');
    try {
      const events = new EventBus();
      const notifier = new WebhookNotifier({
        db,
        webhooks: [{ id: 'oncall', url: 'http://127.0.0.1:9/hook', format: 'slack' }],
        scheduler: new ManualScheduler(),
      });
      subscribeBudgetNotifications({ events, notifier, targets: ['oncall'] });
      events.emit('budget:threshold', event);
      events.emit('budget:threshold', { ...event, spentUsd: 42 });
      events.emit('budget:threshold', { ...event, thresholdPercent: 100 });
      expect(events.subscriberErrors).toBe(0);
      expect(notifier.pending('oncall')).toBe(2);
      expect(notifier.counters().oncall?.deduplicated).toBe(1);
    } finally {
      db.close();
    }
  });
});
