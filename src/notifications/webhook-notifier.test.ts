import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../test/support/closed-port.js';
import { ManualScheduler } from '../../test/support/manual-scheduler.js';
import { startWebhookReceiver } from '../../test/support/webhook-receiver.js';
import { openOpsDatabase } from '../ops/ops-database.js';
import { ErrorCodes, type Clock } from '../spec/index.js';
import type { DeliveryReport, NotificationMessage } from './notification.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { WebhookNotifier, type WebhookNotifierOptions, type WebhookTarget } from './webhook-notifier.js';

/** A clock tests move by hand; sleep resolves only when the test says so. */
class TestClock implements Clock {
  nowMs = Date.UTC(2026, 11, 1, 9, 0);
  readonly sleeps: (() => void)[] = [];
  now(): number {
    return this.nowMs;
  }
  sleep(_ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.sleeps.push(resolve);
      signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
}

const secret = 'Bearer s3cret-token-value';

function message(dedupeKey: string): NotificationMessage {
  return {
    kind: 'incident.opened',
    title: `[SEV-2] ${dedupeKey}`,
    text: 'p95 latency is 4200 ms',
    severity: 'SEV-2',
    fields: { provider: 'openai' },
    dedupeKey,
    atMs: Date.UTC(2026, 11, 1, 8, 59),
  };
}

describe('WebhookNotifier', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    options: {
      format?: WebhookTarget['format'];
      webhook?: Partial<WebhookTarget>;
    } & Partial<WebhookNotifierOptions> = {},
  ) {
    const receiver = await startWebhookReceiver('/hooks/T000/B000/url-token');
    cleanups.push(() => receiver.close());
    const db = options.db ?? openOpsDatabase(':memory:');
    cleanups.push(() => {
      if (db.open) db.close();
    });
    const clock = new TestClock();
    const scheduler = new ManualScheduler();
    const reports: DeliveryReport[] = [];
    let next = 0;
    const webhook: WebhookTarget = {
      id: 'oncall',
      url: receiver.url,
      format: options.format ?? 'json',
      headers: { Authorization: secret },
      ...options.webhook,
    };
    const notifier = new WebhookNotifier({
      db,
      webhooks: [webhook],
      clock,
      scheduler,
      random: () => 0.5,
      generateId: () => `ntf-${++next}`,
      onReport: (report) => reports.push(report),
      ...options,
    });
    cleanups.push(() => notifier.stop());
    return { receiver, db, clock, scheduler, reports, notifier, outbox: new SqliteOutbox({ db }) };
  }

  it('POSTs the JSON payload with the configured headers and a delivery id, and reports it delivered', async () => {
    const { receiver, reports, notifier } = await setup();
    expect(notifier.enqueue(['oncall'], message('k1'))).toEqual(['ntf-1']);
    expect(notifier.pending()).toBe(1);
    await notifier.flush();
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.headers).toMatchObject({
      authorization: secret,
      'content-type': 'application/json',
      'x-keel-delivery-id': 'ntf-1',
      'x-keel-delivery-attempt': '1',
    });
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      version: 1,
      deliveryId: 'ntf-1',
      kind: 'incident.opened',
      dedupeKey: 'k1',
      attempt: 1,
      sentAtMs: Date.UTC(2026, 11, 1, 9, 0),
    });
    expect(reports).toEqual([
      expect.objectContaining({
        notificationId: 'ntf-1',
        target: 'oncall',
        outcome: 'delivered',
        attempts: 1,
        status: 200,
      }),
    ]);
    expect(notifier.pending()).toBe(0);
    expect(notifier.counters().oncall).toEqual({
      delivered: 1,
      failed: 0,
      retried: 0,
      deduplicated: 0,
      rateLimited: 0,
    });
  });

  it('sends a Slack-compatible body for format slack', async () => {
    const { receiver, notifier } = await setup({ format: 'slack' });
    notifier.enqueue(['oncall'], message('k1'));
    await notifier.flush();
    const body = JSON.parse(receiver.received[0]?.body ?? '') as { text: string; blocks: { type: string }[] };
    expect(body.text).toContain('[SEV-2] k1');
    expect(body.blocks[0]?.type).toBe('header');
  });

  it('retries after 5xx with backoff until the receiver accepts', async () => {
    const { receiver, clock, reports, notifier, outbox } = await setup();
    receiver.script.push({ status: 500, body: 'boom' }, { status: 502 });
    notifier.enqueue(['oncall'], message('k1'));
    await notifier.flush();
    // random 0.5 of a 1 s ceiling: the next attempt is 500 ms away, and not sent before.
    expect(outbox.get('ntf-1')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatus: 500,
      lastError: 'HTTP 500: boom',
    });
    expect(outbox.get('ntf-1')?.nextAttemptAtMs).toBe(clock.nowMs + 500);
    clock.nowMs += 499;
    await notifier.flush();
    expect(receiver.received).toHaveLength(1);
    clock.nowMs += 1;
    await notifier.flush();
    expect(outbox.get('ntf-1')).toMatchObject({ attempts: 2, lastStatus: 502 });
    clock.nowMs += 1000;
    await notifier.flush();
    expect(receiver.received.map((request) => request.headers['x-keel-delivery-id'])).toEqual([
      'ntf-1',
      'ntf-1',
      'ntf-1',
    ]);
    expect(receiver.received.map((request) => request.headers['x-keel-delivery-attempt'])).toEqual([
      '1',
      '2',
      '3',
    ]);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered', attempts: 3, status: 200 })]);
    expect(notifier.counters().oncall).toMatchObject({ delivered: 1, retried: 2 });
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const { receiver, clock, notifier, outbox } = await setup();
    receiver.script.push({ status: 429, headers: { 'retry-after': '30' } });
    notifier.enqueue(['oncall'], message('k1'));
    await notifier.flush();
    expect(outbox.get('ntf-1')?.nextAttemptAtMs).toBe(clock.nowMs + 30_000);
    clock.nowMs += 29_999;
    await notifier.flush();
    expect(receiver.received).toHaveLength(1);
    clock.nowMs += 1;
    await notifier.flush();
    expect(receiver.received).toHaveLength(2);
    expect(outbox.get('ntf-1')?.status).toBe('delivered');
  });

  it('fails at once on a 4xx other than 408 and 429, without leaking the headers or the URL', async () => {
    const { receiver, reports, notifier } = await setup();
    receiver.script.push({ status: 403, body: `forbidden: ${secret} at /hooks/T000/B000/url-token` });
    notifier.enqueue(['oncall'], message('k1'));
    await notifier.flush();
    expect(receiver.received).toHaveLength(1);
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report).toMatchObject({ outcome: 'failed', attempts: 1, status: 403 });
    expect(report?.error).toContain('not retried');
    expect(JSON.stringify(report)).not.toContain('s3cret-token-value');
    expect(JSON.stringify(report)).not.toContain('url-token');
    expect(notifier.counters().oncall?.failed).toBe(1);
  });

  it('gives up after maxAttempts on network errors, reporting the last error', async () => {
    const port = await closedPort();
    const { clock, reports, notifier, outbox } = await setup({
      webhook: { url: `http://127.0.0.1:${port}/hooks/secret-path` },
      retry: { maxAttempts: 3 },
    });
    notifier.enqueue(['oncall'], message('k1'));
    for (let attempt = 0; attempt < 3; attempt++) {
      await notifier.flush();
      clock.nowMs += 300_000;
    }
    expect(outbox.get('ntf-1')).toMatchObject({ status: 'failed', attempts: 3 });
    expect(reports).toEqual([expect.objectContaining({ outcome: 'failed', attempts: 3, status: undefined })]);
    expect(reports[0]?.error).toMatch(/ECONNREFUSED.*gave up after 3 attempts/);
    expect(reports[0]?.error).not.toContain('secret-path');
    expect(notifier.counters().oncall).toMatchObject({ failed: 1, retried: 2 });
  });

  it('counts an attempt without an answer within timeoutMs as failed and retries it', async () => {
    const { receiver, notifier, outbox } = await setup({ timeoutMs: 50 });
    receiver.script.push('hold');
    notifier.enqueue(['oncall'], message('k1'));
    await notifier.flush();
    expect(outbox.get('ntf-1')).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'no answer within 50 ms',
    });
  });

  it('reports unknown targets as failed after enqueue returns, and queues the known ones', async () => {
    const { scheduler, reports, notifier } = await setup();
    expect(notifier.enqueue(['nobody', 'oncall'], message('k1'))).toEqual(['ntf-2']);
    expect(reports).toEqual([]);
    scheduler.runSoon();
    expect(reports).toEqual([expect.objectContaining({ target: 'nobody', outcome: 'failed', attempts: 0 })]);
    expect(reports[0]?.error).toBe('no webhook has the id "nobody"; use one of: oncall');
  });

  it('refuses a message without a dedupe key with a stable code', async () => {
    const { notifier } = await setup();
    expect(() => notifier.enqueue(['oncall'], { ...message('k'), dedupeKey: '' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.invalidRequest, param: 'dedupeKey' }),
    );
  });

  it('refuses options that are not whole numbers of at least 1, naming the option', () => {
    const db = openOpsDatabase(':memory:');
    cleanups.push(() => {
      db.close();
    });
    expect(() => new WebhookNotifier({ db, webhooks: [], maxPerMinute: 0 })).toThrow(
      expect.objectContaining({ code: ErrorCodes.configInvalid }),
    );
    expect(() => new WebhookNotifier({ db, webhooks: [], maxPerMinute: 0 })).toThrow(
      'notifier option maxPerMinute is 0; use a whole number of at least 1',
    );
  });

  it('starts its loop on start(): enqueued messages go out from the scheduler, not only flush', async () => {
    const { receiver, scheduler, notifier } = await setup();
    notifier.start();
    notifier.enqueue(['oncall'], message('k1'));
    scheduler.runSoon();
    await notifier.stop();
    expect(receiver.received).toHaveLength(1);
    expect(scheduler.intervals[0]?.cancelled).toBe(true);
  });

  it('stop() waits for a POST in flight to finish', async () => {
    const { receiver, notifier, outbox, reports } = await setup();
    receiver.script.push('hold');
    notifier.enqueue(['oncall'], message('k1'));
    void notifier.flush();
    await expect.poll(() => receiver.received.length).toBe(1);
    const stopped = notifier.stop();
    receiver.release();
    await stopped;
    expect(outbox.get('ntf-1')?.status).toBe('delivered');
    expect(reports).toEqual([expect.objectContaining({ outcome: 'delivered' })]);
  });

  it('stop() waits for a POST in flight, and after stopTimeoutMs aborts it, leaving it pending', async () => {
    const { receiver, clock, notifier, outbox, reports } = await setup();
    receiver.script.push('hold');
    notifier.enqueue(['oncall'], message('k1'));
    void notifier.flush();
    await expect.poll(() => receiver.received.length).toBe(1);
    const stopped = notifier.stop();
    await expect.poll(() => clock.sleeps.length).toBe(1);
    clock.sleeps[0]?.();
    await stopped;
    expect(outbox.get('ntf-1')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(reports).toEqual([]);
  });
});
