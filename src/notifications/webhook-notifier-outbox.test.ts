import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import type { Clock } from '../spec/index.js';
import type { DeliveryReport, NotificationMessage } from './notification.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { WebhookNotifier, type WebhookNotifierOptions } from './webhook-notifier.js';

const startMs = Date.UTC(2026, 11, 1, 9, 0);

function message(dedupeKey: string): NotificationMessage {
  return { kind: 'test', title: `Test ${dedupeKey}`, text: '', fields: {}, dedupeKey, atMs: startMs };
}

describe('WebhookNotifier with its outbox', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  let receiver: WebhookReceiver;
  let nowMs: number;
  const clock: Clock = { now: () => nowMs, sleep: () => Promise.resolve() };

  async function start(): Promise<void> {
    receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    nowMs = startMs;
  }

  function database(path = ':memory:'): OpsDatabase {
    const db = openOpsDatabase(path);
    cleanups.push(() => {
      if (db.open) db.close();
    });
    return db;
  }

  function notifierOn(db: OpsDatabase, options: Partial<WebhookNotifierOptions> = {}) {
    const reports: DeliveryReport[] = [];
    const scheduler = new ManualScheduler();
    let next = 0;
    const notifier = new WebhookNotifier({
      db,
      webhooks: [{ id: 'oncall', url: receiver.url, format: 'json' }],
      clock,
      scheduler,
      random: () => 0.5,
      generateId: () => `ntf-${++next}`,
      onReport: (report) => reports.push(report),
      ...options,
    });
    cleanups.push(() => notifier.stop());
    return { notifier, reports, scheduler };
  }

  function temporaryFile(): string {
    const directory = mkdtempSync(join(tmpdir(), 'keel-notify-'));
    cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
    return join(directory, 'ops.db');
  }

  it('delivers after a restart what an earlier run enqueued but never sent', async () => {
    await start();
    const path = temporaryFile();
    const first = database(path);
    const before = notifierOn(first, { generateId: () => 'ntf-1' });
    expect(before.notifier.enqueue(['oncall'], message('k1'))).toEqual(['ntf-1']);
    // The process dies here: no flush, no stop, the database just goes away.
    first.close();
    expect(receiver.received).toHaveLength(0);

    const after = notifierOn(database(path));
    expect(after.notifier.pending('oncall')).toBe(1);
    after.notifier.start();
    after.scheduler.runSoon();
    await after.notifier.flush();
    expect(receiver.received.map((request) => request.headers['x-keel-delivery-id'])).toEqual(['ntf-1']);
    expect(after.reports).toEqual([
      expect.objectContaining({ notificationId: 'ntf-1', outcome: 'delivered' }),
    ]);
  });

  it('resumes a retrying message after a restart with its attempt count and next attempt time', async () => {
    await start();
    const path = temporaryFile();
    const first = database(path);
    receiver.script.push({ status: 503 });
    const before = notifierOn(first, { generateId: () => 'ntf-1' });
    before.notifier.enqueue(['oncall'], message('k1'));
    await before.notifier.flush();
    await before.notifier.stop();
    first.close();

    const db = database(path);
    const after = notifierOn(db);
    await after.notifier.flush();
    expect(receiver.received).toHaveLength(1);
    nowMs += 500;
    await after.notifier.flush();
    expect(receiver.received.map((request) => request.headers['x-keel-delivery-attempt'])).toEqual([
      '1',
      '2',
    ]);
    expect(new SqliteOutbox({ db }).get('ntf-1')).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('drops a duplicate while the first is pending and within the window after delivery, then sends it again', async () => {
    await start();
    const { notifier, reports } = notifierOn(database(), { dedupeWindowMs: 60_000 });
    expect(notifier.enqueue(['oncall'], message('k1'))).toHaveLength(1);
    expect(notifier.enqueue(['oncall'], message('k1'))).toEqual([]);
    await notifier.flush();
    nowMs += 59_999;
    expect(notifier.enqueue(['oncall'], message('k1'))).toEqual([]);
    nowMs += 1;
    expect(notifier.enqueue(['oncall'], message('k1'))).toHaveLength(1);
    await notifier.flush();
    expect(receiver.received).toHaveLength(2);
    expect(reports.map((report) => report.outcome)).toEqual(['delivered', 'delivered']);
    expect(notifier.counters().oncall).toMatchObject({ delivered: 2, deduplicated: 2 });
  });

  it('sends at most maxPerMinute per target; the rest wait and go out when the minute has passed', async () => {
    await start();
    const { notifier } = notifierOn(database(), { maxPerMinute: 2 });
    for (const key of ['k1', 'k2', 'k3']) notifier.enqueue(['oncall'], message(key));
    await notifier.flush();
    expect(receiver.received).toHaveLength(2);
    expect(notifier.pending()).toBe(1);
    nowMs += 59_999;
    await notifier.flush();
    expect(receiver.received).toHaveLength(2);
    nowMs += 1;
    await notifier.flush();
    expect(receiver.received).toHaveLength(3);
    expect(notifier.pending()).toBe(0);
  });

  it('drops the oldest as rate-limited, and reports them, when a target’s backlog passes the cap', async () => {
    await start();
    const { notifier, reports, scheduler } = notifierOn(database(), { maxPendingPerTarget: 2 });
    const ids = ['k1', 'k2', 'k3'].flatMap((key) => notifier.enqueue(['oncall'], message(key)));
    scheduler.runSoon();
    expect(reports).toEqual([
      expect.objectContaining({ notificationId: ids[0], outcome: 'rate-limited', attempts: 0 }),
    ]);
    expect(reports[0]?.error).toBe('dropped: more than 2 notifications waiting for this target');
    await notifier.flush();
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toMatchObject({ dedupeKey: 'k2' });
    expect(notifier.counters().oncall).toMatchObject({ delivered: 2, rateLimited: 1 });
  });

  it('fails rows left for a webhook the config no longer has', async () => {
    await start();
    const db = database();
    const outbox = new SqliteOutbox({ db });
    outbox.enqueue({
      targets: ['removed'],
      message: message('k1'),
      nowMs,
      dedupeWindowMs: 1,
      generateId: () => 'old-1',
    });
    const { notifier, reports } = notifierOn(db);
    await notifier.flush();
    expect(outbox.get('old-1')?.status).toBe('failed');
    expect(reports).toEqual([
      expect.objectContaining({ notificationId: 'old-1', target: 'removed', outcome: 'failed' }),
    ]);
  });

  it('keeps one POST in flight per target, in order', async () => {
    await start();
    const { notifier } = notifierOn(database());
    receiver.script.push('hold');
    for (const key of ['k1', 'k2']) notifier.enqueue(['oncall'], message(key));
    const flushed = notifier.flush();
    await expect.poll(() => receiver.received.length).toBe(1);
    receiver.release();
    await flushed;
    expect(
      receiver.received.map((request) => (JSON.parse(request.body) as { dedupeKey: string }).dedupeKey),
    ).toEqual(['k1', 'k2']);
  });
});
