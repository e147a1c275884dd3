import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { fromFrameworkError, sendError } from '../http/edge-errors.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import { createNotificationRoutes } from './notification-routes.js';
import { WebhookNotifier } from './webhook-notifier.js';

describe('notification routes', () => {
  const nowMs = Date.UTC(2026, 11, 1, 10, 0);
  let app: FastifyInstance;
  let db: OpsDatabase;
  let receiver: WebhookReceiver;
  let notifier: WebhookNotifier;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    db = openOpsDatabase(':memory:');
    notifier = new WebhookNotifier({
      db,
      webhooks: [
        { id: 'oncall', url: receiver.url, format: 'json', headers: { authorization: 'Bearer secret-1234' } },
      ],
      clock: { now: () => nowMs, sleep: () => Promise.resolve() },
      scheduler: new ManualScheduler(),
    });
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => sendError(reply, fromFrameworkError(error)));
    await app.register(createNotificationRoutes({ notifier, now: () => nowMs }));
  });
  afterEach(async () => {
    await app.close();
    await notifier.stop();
    db.close();
    await receiver.close();
  });

  it('sends a test notification and shows it in the outbox, without secrets', async () => {
    const sent = await app.inject({
      method: 'POST',
      url: '/api/notifications/test',
      payload: { target: 'oncall' },
    });
    expect(sent.statusCode).toBe(202);
    const { ids } = sent.json<{ ids: string[] }>();
    expect(ids).toHaveLength(1);
    await notifier.flush();
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({
      kind: 'test',
      fields: { target: 'oncall' },
    });

    const listed = await app.inject({ url: '/api/notifications?target=oncall&status=delivered' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toMatchObject({
      at: '2026-12-01T10:00:00.000Z',
      pending: { oncall: 0 },
      counters: { oncall: { delivered: 1 } },
      notifications: [
        {
          id: ids[0],
          target: 'oncall',
          kind: 'test',
          status: 'delivered',
          attempts: 1,
          lastStatus: 200,
          nextAttemptAt: null,
        },
      ],
    });
    expect(listed.body).not.toContain('secret-1234');
    expect(listed.body).not.toContain(receiver.url);
  });

  it.each([
    ['POST', '/api/notifications/test', { target: 'nobody' }, 404, 'target'],
    ['POST', '/api/notifications/test', {}, 400, 'target'],
    ['GET', '/api/notifications?target=nobody', undefined, 404, 'target'],
    ['GET', '/api/notifications?status=lost', undefined, 400, 'status'],
    ['GET', '/api/notifications?limit=0', undefined, 400, 'limit'],
    ['GET', '/api/notifications?limit=ten', undefined, 400, 'limit'],
  ] as const)('%s %s %j → %i naming %s', async (method, url, payload, status, param) => {
    const response = await app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
    expect(response.statusCode).toBe(status);
    expect(response.json<{ error: { code: string; param: string } }>().error).toMatchObject({
      code: 'KEEL_INVALID_REQUEST',
      param,
    });
  });
});
