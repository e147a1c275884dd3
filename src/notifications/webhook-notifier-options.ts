// The WebhookNotifier's options, their defaults and checks, and the checks on a message it is handed.
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { OpsDatabase } from '../ops/ops-database.js';
import {
  ErrorCodes,
  KeelError,
  invalidRequest,
  systemClock,
  timerScheduler,
  type Clock,
  type Scheduler,
} from '../spec/index.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './delivery-policy.js';
import type { DeliveryReport, NotificationMessage } from './notification.js';
import type { WebhookTarget } from './post-webhook.js';

/** Per-target totals since start, for metrics. */
export interface NotificationTargetCounters {
  delivered: number;
  failed: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
  /** Messages dropped at enqueue as duplicates of one pending or recently delivered. */
  deduplicated: number;
  /** Messages dropped because the target's backlog was over maxPendingPerTarget. */
  rateLimited: number;
}

export interface WebhookNotifierOptions {
  /** The ops database; the outbox creates its `notification_outbox` table on it. */
  db: OpsDatabase;
  webhooks: readonly WebhookTarget[];
  /** Every final outcome (delivered, failed, rate-limited), once. Must not throw. */
  onReport?: ((report: DeliveryReport) => void) | undefined;
  /** Unexpected trouble (the database refused a write); deliveries go on. Must not throw. */
  onError?:
    | ((
        error: unknown,
        context: { target?: string | undefined; notificationId?: string | undefined },
      ) => void)
    | undefined;
  clock?: Clock | undefined;
  scheduler?: Scheduler | undefined;
  /** undici dispatcher (connection pool); default undici's global one. */
  dispatcher?: Dispatcher | undefined;
  /** Uniform in [0, 1), for the backoff jitter; default Math.random. */
  random?: (() => number) | undefined;
  /** Outbox ids; default random UUIDs. */
  generateId?: (() => string) | undefined;
  /** One attempt's limit, ms; default 10 s. */
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  /** POSTs per target in any sliding minute; default 20. More wait their turn. */
  maxPerMinute?: number | undefined;
  /** Pending messages kept per target; past it the oldest are dropped as rate-limited. Default 200. */
  maxPendingPerTarget?: number | undefined;
  /** A message with the same dedupe key for the same target is dropped within this, ms; default 10 min. */
  dedupeWindowMs?: number | undefined;
  /** How often the outbox is looked at for due messages, ms; default 1 s. */
  pollIntervalMs?: number | undefined;
  /** How long stop() waits for POSTs in flight before aborting them, ms; default 5 s. */
  stopTimeoutMs?: number | undefined;
  /** Finished rows are deleted after this, ms; default 7 days. At least dedupeWindowMs. */
  retentionMs?: number | undefined;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isInteger(resolved) || resolved < 1) {
    throw new KeelError({
      code: ErrorCodes.configInvalid,
      status: 500,
      message: `notifier option ${name} is ${String(value)}; use a whole number of at least 1`,
    });
  }
  return resolved;
}

/** Refuses a message that could not be delivered or deduplicated sensibly. */
export function validateMessage(message: NotificationMessage): void {
  if (typeof message.dedupeKey !== 'string' || message.dedupeKey === '') {
    throw invalidRequest('a notification needs a non-empty dedupeKey', 'dedupeKey');
  }
  if (typeof message.title !== 'string' || message.title.trim() === '') {
    throw invalidRequest('a notification needs a non-empty title', 'title');
  }
  if (!Number.isFinite(message.atMs)) throw invalidRequest('a notification needs atMs (epoch ms)', 'atMs');
}

/** The options after defaults, all checked. */
export interface WebhookNotifierSettings {
  clock: Clock;
  scheduler: Scheduler;
  dispatcher: Dispatcher | undefined;
  random: () => number;
  generateId: () => string;
  timeoutMs: number;
  policy: RetryPolicy;
  maxPerMinute: number;
  maxPendingPerTarget: number;
  dedupeWindowMs: number;
  pollIntervalMs: number;
  stopTimeoutMs: number;
  retentionMs: number;
}

/** Applies the defaults; throws KEEL_CONFIG_INVALID naming the option for a value that is not a whole number ≥ 1. */
export function resolveWebhookNotifierSettings(options: WebhookNotifierOptions): WebhookNotifierSettings {
  const retry = options.retry ?? {};
  const dedupeWindowMs = positiveInteger('dedupeWindowMs', options.dedupeWindowMs, 600_000); // 10 min
  return {
    clock: options.clock ?? systemClock,
    scheduler: options.scheduler ?? timerScheduler,
    dispatcher: options.dispatcher,
    random: options.random ?? Math.random,
    generateId: options.generateId ?? randomUUID,
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, 10_000),
    policy: {
      maxAttempts: positiveInteger('retry.maxAttempts', retry.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts),
      initialBackoffMs: positiveInteger(
        'retry.initialBackoffMs',
        retry.initialBackoffMs,
        DEFAULT_RETRY_POLICY.initialBackoffMs,
      ),
      maxBackoffMs: positiveInteger(
        'retry.maxBackoffMs',
        retry.maxBackoffMs,
        DEFAULT_RETRY_POLICY.maxBackoffMs,
      ),
    },
    maxPerMinute: positiveInteger('maxPerMinute', options.maxPerMinute, 20),
    maxPendingPerTarget: positiveInteger('maxPendingPerTarget', options.maxPendingPerTarget, 200),
    dedupeWindowMs,
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs, 1000),
    stopTimeoutMs: positiveInteger('stopTimeoutMs', options.stopTimeoutMs, 5000),
    // Finished rows are what dedupe looks at: they must outlive the window.
    retentionMs: Math.max(
      dedupeWindowMs,
      positiveInteger('retentionMs', options.retentionMs, 7 * 86_400_000),
    ),
  };
}
