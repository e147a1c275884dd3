import { describe, expect, it } from 'vitest';
import type { MonitorStatus } from '../monitors/monitor-state.js';
import {
  DEFAULT_INCIDENT_SETTINGS,
  type Incident,
  type IncidentSettings,
  type IncidentStatus,
} from './incident.js';
import { graphSnapshot, MINUTE_MS, monitorSummary, T0, transition } from './incident-fixtures.js';
import { applyIncidentEvent, type IncidentDecision, type IncidentEvent } from './incident-lifecycle.js';

const settings: IncidentSettings = {
  ...DEFAULT_INCIDENT_SETTINGS,
  publicUrl: 'https://keel.example.com/',
  defaultNotify: ['ops-email'],
};

function apply(
  incident: Incident | undefined,
  event: IncidentEvent,
  nowMs: number,
  overrides: Partial<IncidentSettings> = {},
): IncidentDecision {
  return applyIncidentEvent({
    incident,
    event,
    nowMs,
    settings: { ...settings, ...overrides },
    newIncidentNumber: 7,
  });
}

/** Opens INC-7 at T0 by a WARN -> ALERT transition. */
function opened(): Incident {
  const decision = apply(
    undefined,
    { type: 'transition', transition: transition({ from: 'WARN', to: 'ALERT', atMs: T0 }) },
    T0,
  );
  return decision.incident as Incident;
}

/** Drives an incident through transitions, one minute apart, from T0. */
function drive(statuses: MonitorStatus[]): { incident: Incident; decisions: IncidentDecision[] } {
  let incident = opened();
  let from: MonitorStatus = 'ALERT';
  const decisions: IncidentDecision[] = [];
  statuses.forEach((to, index) => {
    const atMs = T0 + (index + 1) * MINUTE_MS;
    const decision = apply(
      incident,
      { type: 'transition', transition: transition({ from, to, atMs }) },
      atMs,
    );
    decisions.push(decision);
    incident = decision.incident as Incident;
    from = to;
  });
  return { incident, decisions };
}

describe('applyIncidentEvent: opening', () => {
  it.each<[MonitorStatus, MonitorStatus, boolean]>([
    ['OK', 'ALERT', true],
    ['WARN', 'ALERT', true],
    ['NO_DATA', 'ALERT', true],
    ['OK', 'WARN', false],
    ['ALERT', 'OK', false],
    ['OK', 'NO_DATA', false],
  ])('%s -> %s with nothing open opens an incident: %s', (from, to, opens) => {
    const decision = apply(
      undefined,
      { type: 'transition', transition: transition({ from, to, atMs: T0 }) },
      T0,
    );
    expect(decision.created).toBe(opens);
    expect(decision.incident === undefined).toBe(!opens);
    if (!opens) expect(decision.timeline).toEqual([]);
  });

  it('opens an active incident with severity, title, trigger, impact start and a notification', () => {
    const decision = apply(
      undefined,
      {
        type: 'transition',
        transition: transition({ from: 'WARN', to: 'ALERT', atMs: T0, graph: graphSnapshot(T0) }),
      },
      T0 + 5,
    );
    expect(decision.incident).toMatchObject({
      id: 'INC-7',
      number: 7,
      title: 'p95 latency above 4000 ms (provider=openai)',
      severity: 'SEV-2',
      status: 'active',
      source: 'monitor',
      groupId: 'provider=openai',
      group: { provider: 'openai' },
      trigger: { from: 'WARN', to: 'ALERT', value: 4210, atMs: T0 },
      impactStartMs: T0,
      createdAtMs: T0 + 5,
      notificationSequence: 1,
    });
    expect(decision.incident?.impactEndMs).toBeUndefined();
    expect(decision.timeline.map((entry) => entry.kind)).toEqual(['created', 'transition', 'graph']);
    expect(decision.timeline[2]?.text).toBe(
      'latency.p95 over 30 min: min 812, max 4210, last 4210 ms (warn 3000, critical 4000)',
    );
    expect(decision.timeline[2]?.data).toMatchObject({
      metric: 'latency.p95',
      points: expect.any(Array) as unknown,
    });
    expect(decision.notifications).toHaveLength(1);
    const [notification] = decision.notifications;
    expect(notification?.targets).toEqual(['slack-oncall']);
    expect(notification?.message).toMatchObject({
      kind: 'incident.opened',
      title: '[SEV-2] p95-latency ALERT provider=openai',
      severity: 'SEV-2',
      status: 'active',
      url: 'https://keel.example.com/ui/incidents/INC-7',
      incidentId: 'INC-7',
      monitorId: 'p95-latency',
      dedupeKey: 'INC-7:incident.opened:1',
      atMs: T0 + 5,
      fields: { incident: 'INC-7', monitor: 'p95-latency', group: 'provider=openai', value: 4210 },
    });
    const text = notification?.message.text ?? '';
    expect(text).toContain('Value 4210 · p95 4210 vs critical 4000');
    expect(text).toContain(
      '> Check the provider status page.\n> Fail over with POST /api/breakers/trip.\n> Page the owner.\n> …',
    );
    expect(text).not.toContain('Fourth line');
    expect(text).toContain('[Open INC-7](https://keel.example.com/ui/incidents/INC-7)');
  });

  it('maps priority to severity, clamped to SEV-1..SEV-5', () => {
    const severityFor = (priority: number) =>
      apply(
        undefined,
        {
          type: 'transition',
          transition: transition({
            from: 'OK',
            to: 'ALERT',
            atMs: T0,
            monitor: monitorSummary({ priority }),
          }),
        },
        T0,
      ).incident?.severity;
    expect([1, 3, 5, 0, 9].map(severityFor)).toEqual(['SEV-1', 'SEV-3', 'SEV-5', 'SEV-1', 'SEV-5']);
  });

  it('titles an ungrouped monitor by its title alone and leaves the group out of the message', () => {
    const decision = apply(
      undefined,
      { type: 'transition', transition: transition({ from: 'OK', to: 'ALERT', atMs: T0, groupId: '' }) },
      T0,
    );
    expect(decision.incident?.title).toBe('p95 latency above 4000 ms');
    expect(decision.notifications[0]?.message.title).toBe('[SEV-2] p95-latency ALERT');
  });

  it('opens an incident but sends nothing for a muted monitor', () => {
    const decision = apply(
      undefined,
      {
        type: 'transition',
        transition: transition({
          from: 'OK',
          to: 'ALERT',
          atMs: T0,
          monitor: monitorSummary({ muted: true }),
        }),
      },
      T0,
    );
    expect(decision.created).toBe(true);
    expect(decision.notifications).toEqual([]);
    expect(decision.incident?.notificationSequence).toBe(0);
  });

  it('opens a new incident when the one given is resolved or belongs to another group', () => {
    const resolved: Incident = { ...opened(), status: 'resolved', resolvedAtMs: T0 + MINUTE_MS };
    const again = apply(
      resolved,
      { type: 'transition', transition: transition({ from: 'OK', to: 'ALERT', atMs: T0 + 2 * MINUTE_MS }) },
      T0 + 2 * MINUTE_MS,
    );
    expect(again.created).toBe(true);
    const other = apply(
      opened(),
      {
        type: 'transition',
        transition: transition({ from: 'OK', to: 'ALERT', atMs: T0, groupId: 'provider=anthropic' }),
      },
      T0,
    );
    expect(other.created).toBe(true);
    expect(other.incident?.groupId).toBe('provider=anthropic');
  });
});

describe('applyIncidentEvent: an open incident follows its monitor group', () => {
  it.each<{
    path: MonitorStatus[];
    status: IncidentStatus;
    impactEnd: number | undefined;
    quietSince: number | undefined;
    notified: string[];
  }>([
    { path: ['ALERT'], status: 'active', impactEnd: undefined, quietSince: undefined, notified: [] },
    { path: ['WARN'], status: 'active', impactEnd: undefined, quietSince: undefined, notified: [] },
    { path: ['NO_DATA'], status: 'active', impactEnd: undefined, quietSince: undefined, notified: [] },
    {
      path: ['OK'],
      status: 'stable',
      impactEnd: T0 + MINUTE_MS,
      quietSince: T0 + MINUTE_MS,
      notified: ['incident.stable'],
    },
    {
      path: ['WARN', 'OK'],
      status: 'stable',
      impactEnd: T0 + 2 * MINUTE_MS,
      quietSince: T0 + 2 * MINUTE_MS,
      notified: ['incident.stable'],
    },
    {
      path: ['OK', 'WARN'],
      status: 'stable',
      impactEnd: T0 + MINUTE_MS,
      quietSince: undefined,
      notified: ['incident.stable'],
    },
    {
      path: ['OK', 'NO_DATA', 'OK'],
      status: 'stable',
      impactEnd: T0 + MINUTE_MS,
      quietSince: T0 + 3 * MINUTE_MS,
      notified: ['incident.stable'],
    },
    {
      path: ['OK', 'ALERT'],
      status: 'active',
      impactEnd: undefined,
      quietSince: undefined,
      notified: ['incident.stable', 'incident.updated'],
    },
    {
      path: ['OK', 'WARN', 'ALERT'],
      status: 'active',
      impactEnd: undefined,
      quietSince: undefined,
      notified: ['incident.stable', 'incident.updated'],
    },
    {
      path: ['OK', 'ALERT', 'OK'],
      status: 'stable',
      impactEnd: T0 + 3 * MINUTE_MS,
      quietSince: T0 + 3 * MINUTE_MS,
      notified: ['incident.stable', 'incident.updated', 'incident.stable'],
    },
  ])('ALERT -> $path: $status', ({ path, status, impactEnd, quietSince, notified }) => {
    const { incident, decisions } = drive(path);
    expect(incident.id).toBe('INC-7');
    expect(incident.status).toBe(status);
    expect(incident.impactStartMs).toBe(T0);
    expect(incident.impactEndMs).toBe(impactEnd);
    expect(incident.quietSinceMs).toBe(quietSince);
    expect(incident.lastMonitorStatus).toBe(path.at(-1));
    expect(decisions.every((decision) => !decision.created && decision.changed)).toBe(true);
    // Every transition is on the timeline, never a second incident.
    expect(
      decisions.map((decision) => decision.timeline.filter((entry) => entry.kind === 'transition').length),
    ).toEqual(path.map(() => 1));
    expect(decisions.flatMap((decision) => decision.notifications.map((n) => n.message.kind))).toEqual(
      notified,
    );
  });

  it('numbers each notification in its dedupe key', () => {
    const { decisions } = drive(['OK', 'ALERT', 'OK']);
    expect(decisions.flatMap((decision) => decision.notifications.map((n) => n.message.dedupeKey))).toEqual([
      'INC-7:incident.stable:2',
      'INC-7:incident.updated:3',
      'INC-7:incident.stable:4',
    ]);
    expect(decisions[0]?.notifications[0]?.message.title).toBe(
      '[SEV-2] p95-latency recovered provider=openai',
    );
    expect(decisions[1]?.notifications[0]?.message.title).toBe(
      '[SEV-2] p95-latency ALERT again provider=openai',
    );
  });

  it('attaches the graph of a re-alert and follows config changes of the monitor', () => {
    const incident = drive(['OK']).incident;
    const decision = apply(
      incident,
      {
        type: 'transition',
        transition: transition({
          from: 'OK',
          to: 'ALERT',
          atMs: T0 + 2 * MINUTE_MS,
          graph: graphSnapshot(T0 + 2 * MINUTE_MS),
          monitor: monitorSummary({ notify: ['pagerduty'] }),
        }),
      },
      T0 + 2 * MINUTE_MS,
    );
    expect(decision.timeline.map((entry) => entry.kind)).toEqual(['transition', 'graph', 'status']);
    expect(decision.notifications[0]?.targets).toEqual(['pagerduty']);
  });
});

describe('applyIncidentEvent: tick and the quiet period', () => {
  const stable = () => drive(['OK']).incident; // quiet since T0 + 1 min
  const quietEnds = T0 + MINUTE_MS + DEFAULT_INCIDENT_SETTINGS.quietPeriodMs;

  it.each<[string, () => Incident, number, Partial<IncidentSettings>, IncidentStatus]>([
    ['stable, before the quiet period ends', stable, quietEnds - 1, {}, 'stable'],
    ['stable, when the quiet period ends', stable, quietEnds, {}, 'resolved'],
    ['stable, autoResolve off', stable, quietEnds + 60 * MINUTE_MS, { autoResolve: false }, 'stable'],
    ['stable, shorter quiet period', stable, T0 + 2 * MINUTE_MS, { quietPeriodMs: MINUTE_MS }, 'resolved'],
    [
      'stable but the monitor is WARN',
      () => drive(['OK', 'WARN']).incident,
      quietEnds + 60 * MINUTE_MS,
      {},
      'stable',
    ],
    ['active', () => drive(['WARN']).incident, quietEnds + 60 * MINUTE_MS, {}, 'active'],
  ])('%s', (_name, make, nowMs, overrides, status) => {
    const decision = apply(make(), { type: 'tick' }, nowMs, overrides);
    expect(decision.incident?.status).toBe(status);
    expect(decision.changed).toBe(status === 'resolved');
  });

  it('resolves with a resolved entry, keeps the impact window and notifies', () => {
    const decision = apply(stable(), { type: 'tick' }, quietEnds);
    expect(decision.incident).toMatchObject({
      status: 'resolved',
      resolvedAtMs: quietEnds,
      impactStartMs: T0,
      impactEndMs: T0 + MINUTE_MS,
      updatedAtMs: quietEnds,
    });
    expect(decision.timeline).toEqual([
      expect.objectContaining({
        kind: 'resolved',
        data: { from: 'stable', automatic: true },
        atMs: quietEnds,
      }),
    ]);
    expect(decision.notifications[0]?.message).toMatchObject({
      kind: 'incident.resolved',
      title: '[SEV-2] p95-latency resolved provider=openai',
      status: 'resolved',
    });
  });

  it('never resolves a declared incident by itself', () => {
    const declared = apply(
      undefined,
      { type: 'declare', declaration: { title: 'Bad answers', severity: 'SEV-3' } },
      T0,
    );
    const stableDeclared = apply(
      declared.incident,
      { type: 'update', patch: { status: 'stable' } },
      T0 + MINUTE_MS,
    );
    const decision = apply(stableDeclared.incident, { type: 'tick' }, T0 + 24 * 60 * MINUTE_MS);
    expect(decision.incident?.status).toBe('stable');
  });
});

describe('applyIncidentEvent: people', () => {
  it('declares a manual incident notifying the default targets', () => {
    const decision = apply(
      undefined,
      {
        type: 'declare',
        declaration: {
          title: 'Answers in the wrong language',
          severity: 'SEV-3',
          commander: 'alice',
          description: 'Support reports French answers to English questions.',
          author: 'bob',
        },
      },
      T0,
    );
    expect(decision.incident).toMatchObject({
      id: 'INC-7',
      source: 'manual',
      status: 'active',
      severity: 'SEV-3',
      commander: 'alice',
      impactStartMs: T0,
    });
    expect(decision.incident?.monitor).toBeUndefined();
    expect(decision.timeline).toEqual([
      expect.objectContaining({ kind: 'created', author: 'bob', text: 'Declared at SEV-3, commander alice' }),
    ]);
    expect(decision.notifications[0]?.targets).toEqual(['ops-email']);
    expect(decision.notifications[0]?.message.title).toBe('[SEV-3] INC-7 declared');
    expect(decision.notifications[0]?.message.text).toContain('Support reports French answers');
  });

  it('declares without notifying when there is no default target', () => {
    const decision = apply(
      undefined,
      { type: 'declare', declaration: { title: 'Quiet', severity: 'SEV-5' } },
      T0,
      { defaultNotify: [] },
    );
    expect(decision.notifications).toEqual([]);
  });

  it.each<[string, Parameters<typeof patchOf>[0], string[], string[]]>([
    ['escalation notifies', { severity: 'SEV-1' }, ['severity'], ['incident.updated']],
    ['de-escalation does not', { severity: 'SEV-4' }, ['severity'], []],
    ['the same severity changes nothing', { severity: 'SEV-2' }, [], []],
    ['commander', { commander: 'carol' }, ['commander'], []],
    ['title', { title: 'p95 latency of OpenAI' }, ['title'], []],
    ['stable by hand', { status: 'stable' }, ['status'], ['incident.stable']],
    ['resolve by hand', { status: 'resolved' }, ['resolved'], ['incident.resolved']],
    [
      'several fields',
      { title: 'x', severity: 'SEV-1', status: 'resolved' },
      ['title', 'severity', 'resolved'],
      ['incident.updated', 'incident.resolved'],
    ],
  ])('patch: %s', (_name, patch, kinds, notified) => {
    const decision = patchOf(patch);
    expect(decision.timeline.map((entry) => entry.kind)).toEqual(kinds);
    expect(decision.timeline.every((entry) => entry.author === 'dana')).toBe(true);
    expect(decision.notifications.map((n) => n.message.kind)).toEqual(notified);
    expect(decision.changed).toBe(kinds.length > 0);
  });

  function patchOf(patch: Extract<IncidentEvent, { type: 'update' }>['patch']): IncidentDecision {
    return apply(opened(), { type: 'update', patch, author: 'dana' }, T0 + 10 * MINUTE_MS);
  }

  it('escalation is announced with the old severity', () => {
    expect(patchOf({ severity: 'SEV-1' }).notifications[0]?.message.title).toBe(
      '[SEV-1] p95-latency escalated from SEV-2 provider=openai',
    );
  });

  it('resolving by hand closes the impact window now, or keeps the recovery time', () => {
    expect(patchOf({ status: 'resolved' }).incident?.impactEndMs).toBe(T0 + 10 * MINUTE_MS);
    const recovered = drive(['OK']).incident;
    const decision = apply(recovered, { type: 'update', patch: { status: 'resolved' } }, T0 + 5 * MINUTE_MS);
    expect(decision.incident).toMatchObject({
      status: 'resolved',
      impactEndMs: T0 + MINUTE_MS,
      resolvedAtMs: T0 + 5 * MINUTE_MS,
    });
  });

  it('reopens a resolved incident as active and refuses resolved -> stable', () => {
    const resolved = patchOf({ status: 'resolved' }).incident as Incident;
    const reopened = apply(resolved, { type: 'update', patch: { status: 'active' } }, T0 + 20 * MINUTE_MS);
    expect(reopened.incident).toMatchObject({ status: 'active' });
    expect(reopened.incident?.resolvedAtMs).toBeUndefined();
    expect(reopened.incident?.impactEndMs).toBeUndefined();
    expect(reopened.timeline[0]?.text).toBe('resolved → active: reopened');
    expect(reopened.notifications[0]?.message.title).toBe('[SEV-2] p95-latency reopened provider=openai');
    expect(() => apply(resolved, { type: 'update', patch: { status: 'stable' } }, T0)).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST', param: 'status' }),
    );
  });

  it('clears the commander with null', () => {
    const withCommander = patchOf({ commander: 'carol' }).incident as Incident;
    const cleared = apply(withCommander, { type: 'update', patch: { commander: null } }, T0);
    expect(cleared.incident?.commander).toBeUndefined();
    expect(cleared.timeline[0]).toMatchObject({
      kind: 'commander',
      text: 'Commander removed',
      data: { from: 'carol', to: null },
    });
  });

  it('appends notes and delivery reports without changing the incident', () => {
    const incident = opened();
    const note = apply(
      incident,
      { type: 'note', text: '**Rolled back** the deploy', author: 'erin' },
      T0 + MINUTE_MS,
    );
    expect(note.changed).toBe(false);
    expect(note.timeline).toEqual([
      {
        incidentId: 'INC-7',
        atMs: T0 + MINUTE_MS,
        kind: 'note',
        author: 'erin',
        text: '**Rolled back** the deploy',
        data: {},
      },
    ]);
    const message = apply(
      undefined,
      { type: 'transition', transition: transition({ from: 'OK', to: 'ALERT', atMs: T0 }) },
      T0,
    ).notifications[0]?.message;
    if (message === undefined) throw new Error('expected a notification');
    const delivery = apply(
      incident,
      {
        type: 'delivery',
        report: {
          notificationId: 'ntf_1',
          target: 'slack-oncall',
          message,
          outcome: 'failed',
          attempts: 3,
          status: 500,
          error: 'upstream',
          atMs: T0 + 2 * MINUTE_MS,
        },
      },
      T0 + 2 * MINUTE_MS,
    );
    expect(delivery.changed).toBe(false);
    expect(delivery.timeline[0]).toMatchObject({
      kind: 'notification',
      text: 'incident.opened failed to slack-oncall (3 attempts): HTTP 500 upstream',
      data: { target: 'slack-oncall', outcome: 'failed', attempts: 3, status: 500, notificationId: 'ntf_1' },
    });
  });

  it('ignores events that need an incident when there is none', () => {
    for (const event of [
      { type: 'tick' },
      { type: 'note', text: 'x' },
      { type: 'update', patch: { severity: 'SEV-1' } },
    ] satisfies IncidentEvent[]) {
      expect(apply(undefined, event, T0)).toEqual({
        incident: undefined,
        created: false,
        changed: false,
        timeline: [],
        notifications: [],
      });
    }
  });
});
