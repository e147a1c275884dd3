// Delivers the outbox to webhooks: per-target rate limit, retries with backoff, a report per final outcome.
import { admitDelivery, decideAfterAttempt } from './delivery-policy.js';
import type { DeliveryReport, NotificationMessage, Notifier } from './notification.js';
import { postWebhook, type WebhookTarget } from './post-webhook.js';
import { SqliteOutbox, type OutboxEntry, type OutboxStatus } from './sqlite-outbox.js';
import {
  resolveWebhookNotifierSettings,
  validateMessage,
  type NotificationTargetCounters,
  type WebhookNotifierOptions,
  type WebhookNotifierSettings,
} from './webhook-notifier-options.js';

export type { WebhookTarget } from './post-webhook.js';
export type { NotificationTargetCounters, WebhookNotifierOptions } from './webhook-notifier-options.js';

const PRUNE_INTERVAL_MS = 3_600_000; // 1 h

/**
 * The Notifier behind incidents, monitors and budgets. enqueue writes the outbox and returns;
 * a loop (every pollIntervalMs, and at once after each enqueue and each finished POST) sends what
 * is due, one POST in flight per target. Delivery is at least once: a crash mid-POST sends it
 * again after restart with the same `x-keel-delivery-id`.
 *
 * @example
 * const notifier = new WebhookNotifier({ db, webhooks: config.notifications.webhooks, onReport: (report) => incidents.onNotificationReport(report) });
 * notifier.start();
 * notifier.enqueue(['oncall'], message);
 * // at shutdown
 * await notifier.stop();
 */
export class WebhookNotifier implements Notifier {
  readonly #outbox: SqliteOutbox;
  readonly #webhooks: Map<string, WebhookTarget>;
  readonly #settings: WebhookNotifierSettings;
  readonly #onReport: (report: DeliveryReport) => void;
  readonly #onError: NonNullable<WebhookNotifierOptions['onError']>;

  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #busyTargets = new Set<string>();
  readonly #rateWindows = new Map<string, number[]>();
  readonly #counters = new Map<string, NotificationTargetCounters>();
  readonly #stopController = new AbortController();
  #queuedReports: DeliveryReport[] = [];
  #reportsScheduled = false;
  #cancelTimer: (() => void) | undefined;
  #stopped = false;
  #lastPruneMs = -Infinity;

  constructor(options: WebhookNotifierOptions) {
    this.#settings = resolveWebhookNotifierSettings(options);
    this.#outbox = new SqliteOutbox({ db: options.db });
    this.#webhooks = new Map(options.webhooks.map((webhook) => [webhook.id, webhook]));
    const onError = options.onError ?? (() => undefined);
    this.#onError = (error, context) => {
      try {
        onError(error, context);
      } catch {
        // A broken error reporter must not stop deliveries.
      }
    };
    const onReport = options.onReport ?? (() => undefined);
    this.#onReport = (report) => {
      try {
        onReport(report);
      } catch (error) {
        this.#onError(error, { target: report.target, notificationId: report.notificationId });
      }
    };
    for (const id of this.#webhooks.keys()) this.#countersFor(id);
  }

  /** Starts the delivery loop; what an earlier run left pending is sent too. */
  start(): void {
    if (this.#stopped || this.#cancelTimer !== undefined) return;
    this.#cancelTimer = this.#settings.scheduler.every(this.#settings.pollIntervalMs, () => this.#pump());
    this.#settings.scheduler.soon(() => this.#pump());
  }

  enqueue(targets: readonly string[], message: NotificationMessage): string[] {
    validateMessage(message);
    const nowMs = this.#settings.clock.now();
    const known = targets.filter((target) => this.#webhooks.has(target));
    for (const target of new Set(targets.filter((target) => !this.#webhooks.has(target)))) {
      this.#countersFor(target).failed++;
      this.#queueReport({
        notificationId: this.#settings.generateId(),
        target,
        message,
        outcome: 'failed',
        attempts: 0,
        error: `no webhook has the id "${target}"; use one of: ${[...this.#webhooks.keys()].join(', ') || '(none)'}`,
        atMs: nowMs,
      });
    }
    const result = this.#outbox.enqueue({
      targets: known,
      message,
      nowMs,
      dedupeWindowMs: this.#settings.dedupeWindowMs,
      generateId: this.#settings.generateId,
    });
    for (const target of result.deduplicated) this.#countersFor(target).deduplicated++;
    for (const entry of result.queued) this.#shedOverflow(entry.target, nowMs);
    if (!this.#stopped && result.queued.length > 0) this.#settings.scheduler.soon(() => this.#pump());
    return result.queued.map((entry) => entry.id);
  }

  /** Sends everything due now and waits until nothing is in flight (for tests and `keel` commands). */
  async flush(): Promise<void> {
    for (;;) {
      this.#pump();
      this.#drainReports();
      if (this.#inFlight.size === 0) return;
      await Promise.all(this.#inFlight.values());
    }
  }

  /** Stops the loop; waits up to stopTimeoutMs for POSTs in flight, then aborts them (they stay pending). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const inFlight = [...this.#inFlight.values()];
    if (inFlight.length > 0) {
      const waiting = new AbortController();
      const finished = Promise.all(inFlight).then(() => 'finished' as const);
      const timedOut = this.#settings.clock.sleep(this.#settings.stopTimeoutMs, waiting.signal).then(
        () => 'timed-out' as const,
        () => 'finished' as const,
      );
      const first = await Promise.race([finished, timedOut]);
      waiting.abort();
      if (first === 'timed-out') {
        this.#stopController.abort();
        await Promise.all(inFlight);
      }
    }
    this.#drainReports();
  }

  /** Pending messages (waiting, being sent or retrying): for one target, or all. */
  pending(target?: string): number {
    const counts = this.#outbox.pendingByTarget();
    if (target !== undefined) return counts[target] ?? 0;
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /** Pending messages per configured target (zero included). */
  pendingByTarget(): Record<string, number> {
    const counts = this.#outbox.pendingByTarget();
    return Object.fromEntries([...this.#webhooks.keys()].map((id) => [id, counts[id] ?? 0]));
  }

  /** The configured webhook ids. */
  targets(): string[] {
    return [...this.#webhooks.keys()];
  }

  /** Outbox rows, newest first (for the control API). */
  list(options: {
    target?: string | undefined;
    status?: OutboxStatus | undefined;
    limit: number;
  }): OutboxEntry[] {
    return this.#outbox.list(options);
  }

  /** Totals per target since this notifier was made. */
  counters(): Record<string, NotificationTargetCounters> {
    return Object.fromEntries([...this.#counters].map(([target, counters]) => [target, { ...counters }]));
  }

  #countersFor(target: string): NotificationTargetCounters {
    let counters = this.#counters.get(target);
    if (counters === undefined) {
      counters = { delivered: 0, failed: 0, retried: 0, deduplicated: 0, rateLimited: 0 };
      this.#counters.set(target, counters);
    }
    return counters;
  }

  #shedOverflow(target: string, nowMs: number): void {
    const shed = this.#outbox.shedOverflow({
      target,
      maxPending: this.#settings.maxPendingPerTarget,
      exclude: new Set(this.#inFlight.keys()),
      nowMs,
    });
    for (const entry of shed) {
      this.#countersFor(target).rateLimited++;
      this.#queueReport(
        this.#toReport(entry, { outcome: 'rate-limited', error: entry.lastError, atMs: nowMs }),
      );
    }
  }

  #toReport(
    entry: OutboxEntry,
    outcome: Pick<DeliveryReport, 'outcome' | 'error' | 'atMs'> & {
      attempts?: number;
      status?: number | undefined;
    },
  ): DeliveryReport {
    return {
      notificationId: entry.id,
      target: entry.target,
      message: entry.message,
      outcome: outcome.outcome,
      attempts: outcome.attempts ?? entry.attempts,
      status: outcome.status ?? entry.lastStatus,
      error: outcome.error,
      atMs: outcome.atMs,
    };
  }

  /** Reports made inside enqueue wait for the caller to return, so onReport never re-enters it. */
  #queueReport(report: DeliveryReport): void {
    this.#queuedReports.push(report);
    if (this.#reportsScheduled) return;
    this.#reportsScheduled = true;
    this.#settings.scheduler.soon(() => this.#drainReports());
  }

  #drainReports(): void {
    this.#reportsScheduled = false;
    const reports = this.#queuedReports;
    this.#queuedReports = [];
    for (const report of reports) this.#onReport(report);
  }

  /** Starts a POST for each target that has a message due, is idle and is under its rate. */
  #pump(): void {
    if (this.#stopped) return;
    const nowMs = this.#settings.clock.now();
    try {
      if (nowMs - this.#lastPruneMs >= PRUNE_INTERVAL_MS) {
        this.#lastPruneMs = nowMs;
        this.#outbox.prune(nowMs - this.#settings.retentionMs);
      }
      for (const target of this.#outbox.dueTargets(nowMs)) {
        if (this.#busyTargets.has(target)) continue;
        const webhook = this.#webhooks.get(target);
        if (webhook === undefined) {
          this.#failRemovedTarget(target, nowMs);
          continue;
        }
        const entry = this.#outbox.nextDue(target, nowMs);
        if (entry === undefined) continue;
        const admission = admitDelivery({
          window: this.#rateWindows.get(target) ?? [],
          nowMs,
          maxPerMinute: this.#settings.maxPerMinute,
        });
        this.#rateWindows.set(target, admission.window);
        // Over the rate: the row stays pending and is looked at again on the next tick.
        if (!admission.admitted) continue;
        this.#busyTargets.add(target);
        const delivery = this.#deliver(entry, webhook).finally(() => {
          this.#inFlight.delete(entry.id);
          this.#busyTargets.delete(target);
          if (!this.#stopped) this.#settings.scheduler.soon(() => this.#pump());
        });
        this.#inFlight.set(entry.id, delivery);
      }
    } catch (error) {
      this.#onError(error, {});
    }
  }

  /** Rows left from a run whose config had a webhook this one does not. */
  #failRemovedTarget(target: string, nowMs: number): void {
    const error = `no webhook has the id "${target}" any more (removed from notifications.webhooks)`;
    for (
      let entry = this.#outbox.nextDue(target, nowMs);
      entry !== undefined;
      entry = this.#outbox.nextDue(target, nowMs)
    ) {
      this.#outbox.update({
        id: entry.id,
        status: 'failed',
        attempts: entry.attempts,
        lastError: error,
        nowMs,
      });
      this.#countersFor(target).failed++;
      this.#queueReport(this.#toReport(entry, { outcome: 'failed', error, atMs: nowMs }));
    }
  }

  async #deliver(entry: OutboxEntry, webhook: WebhookTarget): Promise<void> {
    const attempts = entry.attempts + 1;
    try {
      const result = await postWebhook({
        entry,
        webhook,
        attempt: attempts,
        sentAtMs: this.#settings.clock.now(),
        timeoutMs: this.#settings.timeoutMs,
        stopSignal: this.#stopController.signal,
        dispatcher: this.#settings.dispatcher,
        now: () => this.#settings.clock.now(),
      });
      // Aborted by stop(): not an attempt; the row stays pending for the next start.
      if (result === undefined) return;
      const nowMs = this.#settings.clock.now();
      const decision = decideAfterAttempt({
        result,
        attempts,
        nowMs,
        policy: this.#settings.policy,
        random: this.#settings.random,
      });
      const status = result.kind === 'response' ? result.status : undefined;
      const counters = this.#countersFor(entry.target);
      if (decision.action === 'retry') {
        this.#outbox.update({
          id: entry.id,
          status: 'pending',
          attempts,
          nextAttemptAtMs: decision.nextAttemptAtMs,
          lastStatus: status,
          lastError: decision.reason,
          nowMs,
        });
        counters.retried++;
        return;
      }
      const outcome = decision.action;
      const error = decision.action === 'failed' ? decision.reason : undefined;
      this.#outbox.update({
        id: entry.id,
        status: outcome,
        attempts,
        lastStatus: status,
        lastError: error,
        nowMs,
      });
      counters[outcome]++;
      this.#onReport(this.#toReport(entry, { outcome, attempts, status, error, atMs: nowMs }));
    } catch (error) {
      this.#onError(error, { target: entry.target, notificationId: entry.id });
    }
  }
}
