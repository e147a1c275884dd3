// GET /api/notifications (the outbox, newest first) and POST /api/notifications/test (send a test message).
import type { FastifyPluginAsync } from 'fastify';
import { ErrorCodes, KeelError, invalidRequest } from '../spec/index.js';
import type { NotificationMessage } from './notification.js';
import type { OutboxEntry, OutboxStatus } from './sqlite-outbox.js';
import type { WebhookNotifier } from './webhook-notifier.js';

const STATUSES: readonly OutboxStatus[] = ['pending', 'delivered', 'failed', 'rate-limited'];

export interface NotificationRoutesOptions {
  notifier: Pick<WebhookNotifier, 'enqueue' | 'list' | 'targets' | 'pendingByTarget' | 'counters'>;
  now: () => number;
}

/** One outbox row as the API shows it: no message body, no headers, no URL. */
function toView(entry: OutboxEntry) {
  return {
    id: entry.id,
    target: entry.target,
    kind: entry.message.kind,
    title: entry.message.title,
    dedupeKey: entry.dedupeKey,
    status: entry.status,
    attempts: entry.attempts,
    lastStatus: entry.lastStatus ?? null,
    lastError: entry.lastError ?? null,
    nextAttemptAt: entry.status === 'pending' ? new Date(entry.nextAttemptAtMs).toISOString() : null,
    createdAt: new Date(entry.createdAtMs).toISOString(),
    updatedAt: new Date(entry.updatedAtMs).toISOString(),
  };
}

/** The message POST /api/notifications/test sends; its dedupe key is unique, so every call sends one. */
export function testNotification(target: string, nowMs: number): NotificationMessage {
  return {
    kind: 'test',
    title: 'Test notification from Keel',
    text: `If you can read this, Keel can reach the webhook **${target}**.`,
    fields: { target },
    dedupeKey: `test:${target}:${nowMs}`,
    atMs: nowMs,
  };
}

/**
 * The notification part of the control API, to mount behind the admin guard.
 * @example registerApiRoutes(app, { gateway, adminToken, extensions: [createNotificationRoutes({ notifier, now: () => clock.now() })] })
 */
export function createNotificationRoutes(options: NotificationRoutesOptions): FastifyPluginAsync {
  const { notifier } = options;
  const unknownTarget = (target: string) =>
    new KeelError({
      code: ErrorCodes.invalidRequest,
      status: 404,
      param: 'target',
      message: `No webhook "${target}". Webhooks: ${notifier.targets().join(', ') || '(none; add one under notifications.webhooks)'}.`,
    });
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/notifications', (request) => {
      const query = request.query as { target?: unknown; status?: unknown; limit?: unknown };
      const target = typeof query.target === 'string' && query.target !== '' ? query.target : undefined;
      if (target !== undefined && !notifier.targets().includes(target)) throw unknownTarget(target);
      const status = typeof query.status === 'string' && query.status !== '' ? query.status : undefined;
      if (status !== undefined && !STATUSES.includes(status as OutboxStatus)) {
        throw invalidRequest(`'status' must be one of ${STATUSES.join(', ')}; got "${status}".`, 'status');
      }
      const limitText = typeof query.limit === 'string' ? query.limit : '50';
      const limit = Number(limitText);
      if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500) {
        throw invalidRequest("'limit' must be 1 to 500.", 'limit');
      }
      return {
        at: new Date(options.now()).toISOString(),
        pending: notifier.pendingByTarget(),
        counters: notifier.counters(),
        notifications: notifier
          .list({ target, status: status as OutboxStatus | undefined, limit })
          .map(toView),
      };
    });

    api.post('/api/notifications/test', (request, reply) => {
      const body = (request.body ?? {}) as { target?: unknown };
      if (typeof body.target !== 'string' || body.target === '') {
        throw invalidRequest('Send {"target": "<webhook id>"}.', 'target');
      }
      if (!notifier.targets().includes(body.target)) throw unknownTarget(body.target);
      const ids = notifier.enqueue([body.target], testNotification(body.target, options.now()));
      return reply.code(202).send({ ids });
    });
  };
}
