import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import type { NotificationMessage } from '../notifications/notification.js';
import { graphSnapshot, MINUTE_MS, RecordingNotifier, T0, transition } from './incident-fixtures.js';
import { IncidentService } from './incident-service.js';
import { SqliteIncidentStore } from './sqlite-incident-store.js';

describe('IncidentService over a real ops database', () => {
  let db: OpsDatabase;
  let notifier: RecordingNotifier;
  let nowMs: number;
  let service: IncidentService;
  const notifyErrors: unknown[] = [];

  beforeEach(() => {
    db = openOpsDatabase(':memory:');
    notifier = new RecordingNotifier();
    nowMs = T0;
    notifyErrors.length = 0;
    service = new IncidentService({
      store: new SqliteIncidentStore({ db }),
      notifier,
      now: () => nowMs,
      settings: {
        publicUrl: 'https://keel.example.com',
        defaultNotify: ['ops-email'],
        quietPeriodMs: undefined,
      },
      onNotifyError: (error) => notifyErrors.push(error),
    });
  });
  afterEach(() => db.close());

  /** Sends a transition at `nowMs + minutes` and moves the clock there. */
  function at(
    minutes: number,
    from: Parameters<typeof transition>[0]['from'],
    to: Parameters<typeof transition>[0]['to'],
  ) {
    nowMs = T0 + minutes * MINUTE_MS;
    return service.onMonitorTransition(
      transition({ from, to, atMs: nowMs, graph: to === 'ALERT' ? graphSnapshot(nowMs) : undefined }),
    );
  }

  it('keeps one incident per monitor group through a flapping monitor, then resolves it after the quiet period', () => {
    expect(service.settings.quietPeriodMs).toBe(900_000);
    expect(at(0, 'WARN', 'ALERT')?.id).toBe('INC-1');
    expect(at(1, 'ALERT', 'WARN')?.id).toBe('INC-1');
    expect(at(2, 'WARN', 'ALERT')?.id).toBe('INC-1');
    expect(at(3, 'ALERT', 'OK')?.status).toBe('stable');
    expect(at(4, 'OK', 'ALERT')?.status).toBe('active');
    expect(at(5, 'ALERT', 'OK')?.status).toBe('stable');
    expect(service.list().incidents).toHaveLength(1);

    expect(service.tick(T0 + 19 * MINUTE_MS)).toEqual([]);
    const resolved = service.tick(T0 + 20 * MINUTE_MS);
    expect(resolved.map((incident) => [incident.id, incident.status])).toEqual([['INC-1', 'resolved']]);
    expect(service.tick(T0 + 60 * MINUTE_MS)).toEqual([]);

    const { incident, timeline } = service.get('INC-1');
    expect(incident).toMatchObject({
      impactStartMs: T0,
      impactEndMs: T0 + 5 * MINUTE_MS,
      resolvedAtMs: T0 + 20 * MINUTE_MS,
    });
    expect(timeline.map((entry) => entry.kind)).toEqual([
      'created',
      'transition',
      'graph',
      'transition',
      'transition',
      'graph',
      'transition',
      'status',
      'transition',
      'graph',
      'status',
      'transition',
      'status',
      'resolved',
    ]);
    expect(notifier.calls.map((call) => call.message.kind)).toEqual([
      'incident.opened',
      'incident.stable',
      'incident.updated',
      'incident.stable',
      'incident.resolved',
    ]);
    expect(notifier.calls.every((call) => call.targets.join() === 'slack-oncall')).toBe(true);

    // A new ALERT after the resolution is a new incident.
    expect(at(30, 'OK', 'ALERT')?.id).toBe('INC-2');
    expect(service.list({ status: ['active'] }).incidents.map((found) => found.id)).toEqual(['INC-2']);
  });

  it('ignores transitions that concern no incident', () => {
    expect(at(0, 'OK', 'WARN')).toBeUndefined();
    expect(service.list().incidents).toEqual([]);
    expect(notifier.calls).toEqual([]);
  });

  it('declares, updates and annotates a manual incident', () => {
    const declared = service.declare({ title: 'Wrong language', severity: 'SEV-3', author: 'bob' });
    expect(declared.incident).toMatchObject({ id: 'INC-1', source: 'manual', status: 'active' });
    expect(notifier.calls[0]?.targets).toEqual(['ops-email']);

    nowMs += MINUTE_MS;
    const updated = service.update('INC-1', { severity: 'SEV-1', commander: 'alice' }, 'bob');
    expect(updated.incident).toMatchObject({ severity: 'SEV-1', commander: 'alice', updatedAtMs: nowMs });
    expect(updated.timeline.slice(1).map((entry) => [entry.kind, entry.author])).toEqual([
      ['commander', 'bob'],
      ['severity', 'bob'],
    ]);
    expect(notifier.calls.map((call) => call.message.title)).toEqual([
      '[SEV-3] INC-1 declared',
      '[SEV-1] INC-1 escalated from SEV-3',
    ]);

    const note = service.addNote('INC-1', { text: 'Rolled back **v42**', author: 'alice' });
    expect(note).toMatchObject({ id: 4, incidentId: 'INC-1', kind: 'note', author: 'alice', atMs: nowMs });
    expect(() => service.addNote('INC-1', { text: '   ' })).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST' }),
    );
    expect(() => service.addNote('INC-1', { text: 'x'.repeat(8001) })).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST' }),
    );
    expect(service.tick(nowMs + 24 * 60 * MINUTE_MS)).toEqual([]);
  });

  it('answers KEEL_INCIDENT_NOT_FOUND for an unknown id', () => {
    for (const call of [
      () => service.get('INC-9'),
      () => service.update('INC-9', { severity: 'SEV-1' }),
      () => service.addNote('INC-9', { text: 'x' }),
      () => service.postmortem('INC-9'),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'KEEL_INCIDENT_NOT_FOUND', status: 404 }));
    }
  });

  it('reopens a resolved incident unless its monitor group has a newer open one', () => {
    at(0, 'OK', 'ALERT');
    service.update('INC-1', { status: 'resolved' });
    at(10, 'OK', 'ALERT');
    expect(() => service.update('INC-1', { status: 'active' })).toThrow(
      expect.objectContaining({ code: 'KEEL_INCIDENT_CONFLICT', status: 409 }),
    );
    service.update('INC-2', { status: 'resolved' });
    expect(service.update('INC-1', { status: 'active' }).incident.status).toBe('active');
    // The reopened incident is the open one of its group again.
    expect(at(20, 'ALERT', 'OK')?.id).toBe('INC-1');
  });

  it('writes delivery reports of its messages to the timeline and ignores others', () => {
    at(0, 'OK', 'ALERT');
    const message = notifier.calls[0]?.message as NotificationMessage;
    const entry = service.onDeliveryReport({
      notificationId: 'ntf_1',
      target: 'slack-oncall',
      message,
      outcome: 'delivered',
      attempts: 1,
      status: 200,
      atMs: T0 + 1000,
    });
    expect(entry).toMatchObject({
      kind: 'notification',
      text: 'incident.opened delivered to slack-oncall (1 attempt): HTTP 200',
    });
    expect(service.get('INC-1').timeline.at(-1)?.id).toBe(entry?.id);
    const report = { notificationId: 'n', target: 't', outcome: 'delivered', attempts: 1, atMs: T0 } as const;
    expect(
      service.onDeliveryReport({ ...report, message: { ...message, incidentId: undefined } }),
    ).toBeUndefined();
    expect(
      service.onDeliveryReport({ ...report, message: { ...message, incidentId: 'INC-404' } }),
    ).toBeUndefined();
  });

  it('keeps the incident when the notifier throws, and says so on the timeline', () => {
    notifier.fail = new Error('outbox is full');
    const incident = at(0, 'OK', 'ALERT');
    expect(incident?.id).toBe('INC-1');
    expect(notifyErrors).toHaveLength(1);
    expect(service.get('INC-1').timeline.at(-1)).toMatchObject({
      kind: 'notification',
      text: 'incident.opened could not be queued: outbox is full',
      data: { outcome: 'failed', targets: ['slack-oncall'] },
    });
  });

  it('renders the postmortem of a stored incident', () => {
    at(0, 'OK', 'ALERT');
    at(42, 'ALERT', 'OK');
    service.addNote('INC-1', { text: 'Provider incident confirmed', author: 'alice' });
    const markdown = service.postmortem('INC-1');
    expect(markdown).toContain('# Postmortem: INC-1 p95 latency above 4000 ms (provider=openai)');
    expect(markdown).toContain('- Duration: 42 min');
    expect(markdown).toContain('[INC-1](https://keel.example.com/ui/incidents/INC-1)');
  });
});
