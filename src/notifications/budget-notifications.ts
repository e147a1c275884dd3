// Turns budget:threshold events into notifications: one message per budget, period and threshold crossed.
import type { EventBus } from '../telemetry/event-bus.js';
import type { BudgetThresholdEvent } from '../telemetry/events.js';
import type { NotificationMessage, Notifier } from './notification.js';

function formatUsd(amountUsd: number): string {
  return `$${amountUsd.toFixed(amountUsd !== 0 && Math.abs(amountUsd) < 1 ? 4 : 2)}`;
}

function budgetName(event: BudgetThresholdEvent): string {
  return event.scope === 'global' ? 'global budget' : `${event.scope} ${event.id} budget`;
}

/** Same budget, period and threshold → same key, so a re-emitted event (another replica, a restart) is sent once. */
export function budgetDedupeKey(event: BudgetThresholdEvent): string {
  return [
    'budget.threshold',
    event.scope,
    event.id,
    event.period,
    event.periodKey,
    event.thresholdPercent,
  ].join(':');
}

/** The message for one threshold crossing; pure. 100 % and over is `critical`, lower thresholds `warning`. */
export function toBudgetNotification(event: BudgetThresholdEvent): NotificationMessage {
  const exhausted = event.thresholdPercent >= 100;
  const usedPercent = event.limitUsd > 0 ? Math.round((event.spentUsd / event.limitUsd) * 100) : 100;
  const resetAt = new Date(event.resetAtMs).toISOString();
  const name = budgetName(event);
  const title = event.refused
    ? `[BUDGET] ${name} (${event.period} ${event.periodKey}) refused a request: limit ${formatUsd(event.limitUsd)} reached`
    : `[BUDGET] ${name} (${event.period} ${event.periodKey}) passed ${event.thresholdPercent}%`;
  const consequence =
    event.mode === 'enforce'
      ? exhausted
        ? 'Requests that do not fit are refused with KEEL_BUDGET_EXCEEDED until the reset.'
        : 'At 100 % requests that do not fit will be refused (mode: enforce).'
      : 'Mode is soft: requests are not refused, only reported.';
  const lines = [
    `**Spent:** ${formatUsd(event.spentUsd)} of ${formatUsd(event.limitUsd)} (${usedPercent} %) in the ${event.period} ${event.periodKey}.`,
    event.refused
      ? "**Why now:** a request's worst-case cost did not fit in what is left, although settled spend is under the limit."
      : `**Threshold:** ${event.thresholdPercent} %.`,
    `**Resets:** ${resetAt}.`,
    consequence,
  ];
  return {
    kind: 'budget.threshold',
    title,
    text: lines.join('\n'),
    severity: exhausted ? 'critical' : 'warning',
    status: exhausted ? 'exhausted' : 'threshold',
    fields: {
      scope: event.scope,
      id: event.id,
      period: event.period,
      periodKey: event.periodKey,
      thresholdPercent: event.thresholdPercent,
      spentUsd: Math.round(event.spentUsd * 10_000) / 10_000,
      limitUsd: event.limitUsd,
      resetAt,
      mode: event.mode,
      refused: event.refused,
    },
    dedupeKey: budgetDedupeKey(event),
    atMs: event.atMs,
  };
}

export interface BudgetNotificationsOptions {
  events: Pick<EventBus, 'on'>;
  notifier: Notifier;
  /** Webhook ids to notify; none means no subscription at all. */
  targets: readonly string[];
}

/**
 * Sends every budget threshold crossing to `targets`. Returns the unsubscribe function.
 * @example const stop = subscribeBudgetNotifications({ events: bus, notifier, targets: ['oncall'] });
 */
export function subscribeBudgetNotifications(options: BudgetNotificationsOptions): () => void {
  const { events, notifier, targets } = options;
  if (targets.length === 0) return () => undefined;
  return events.on('budget:threshold', (event) => {
    notifier.enqueue(targets, toBudgetNotification(event));
  });
}
