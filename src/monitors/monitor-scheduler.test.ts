import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { monitorDefinitionSchema, type MonitorDefinition } from '../config/monitors-schema.js';
import type { NotificationMessage, Notifier } from '../notifications/notification.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import type { Clock, Scheduler } from '../spec/index.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { makeSyntheticRecords } from '../store/synthetic-records.js';
import type { RequestRecord } from '../telemetry/request-record.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import { MonitorScheduler } from './monitor-scheduler.js';
import type { MonitorTransition } from './monitor-transition.js';
import { SqliteMonitorStore } from './sqlite-monitor-store.js';

const START_MS = Date.parse('2026-03-02T10:00:00Z');
const TICK_MS = 15_000;
const [template] = makeSyntheticRecords({ count: 1, startMs: START_MS });

let sequence = 0;
function record(overrides: Partial<RequestRecord> & { timeMs: number }): RequestRecord {
  sequence += 1;
  return {
    ...(template as RequestRecord),
    requestId: `r-${sequence}`,
    provider: 'openai',
    requestedModel: 'chat',
    status: 200,
    outcome: 'ok',
    errorCode: undefined,
    totalMs: 500,
    upstreamMs: 499,
    overheadMs: 1,
    ...overrides,
  };
}

class TestClock implements Clock {
  nowMs = START_MS;
  now(): number {
    return this.nowMs;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

const idleScheduler: Scheduler = { every: () => () => undefined, soon: (task) => task() };

function definition(input: Record<string, unknown>): MonitorDefinition {
  return monitorDefinitionSchema.parse(input);
}

const p95 = definition({
  id: 'p95-latency',
  type: 'threshold',
  metric: 'latency.p95',
  groupBy: ['provider'],
  window: '5m',
  warn: 2000,
  critical: 4000,
  recoveryCritical: 3000,
  notify: ['oncall'],
});

const opened: { db: OpsDatabase; store: SqliteStore }[] = [];
afterEach(async () => {
  for (const { db, store } of opened.splice(0)) {
    db.close();
    await store.close();
  }
});

function setup(options: {
  definitions: MonitorDefinition[];
  opsPath?: string;
  store?: SqliteStore;
  breakers?: () => BreakerSnapshot[];
  failTransitions?: { count: number };
}) {
  const clock = new TestClock();
  const store = options.store ?? new SqliteStore({ path: ':memory:' });
  const db = openOpsDatabase(options.opsPath ?? ':memory:');
  opened.push({ db, store });
  const monitorStore = new SqliteMonitorStore(db);
  const transitions: MonitorTransition[] = [];
  const messages: { targets: readonly string[]; message: NotificationMessage }[] = [];
  const notifier: Notifier = {
    enqueue: (targets, message) => {
      messages.push({ targets, message });
      return targets.map((target) => `${target}-${messages.length}`);
    },
  };
  const errors: unknown[] = [];
  const scheduler = new MonitorScheduler({
    store,
    monitorStore,
    definitions: () => options.definitions,
    isMuted: (candidate) => candidate.muted,
    intervalMs: TICK_MS,
    clock,
    scheduler: idleScheduler,
    onTransition: (transition) => {
      if (options.failTransitions !== undefined && options.failTransitions.count > 0) {
        options.failTransitions.count -= 1;
        throw new Error('disk full');
      }
      transitions.push(transition);
    },
    notifier,
    breakers: options.breakers,
    onError: (error) => errors.push(error),
  });
  /** Inserts `count` requests spread over the last minute before now. */
  const traffic = async (count: number, overrides: Partial<RequestRecord>) => {
    const records = Array.from({ length: count }, (_, index) =>
      record({ timeMs: clock.nowMs - 60_000 + Math.floor((index * 60_000) / count), ...overrides }),
    );
    await store.insert(records);
  };
  const advance = (ms: number) => {
    clock.nowMs += ms;
  };
  return { clock, store, db, monitorStore, scheduler, transitions, messages, errors, traffic, advance };
}

describe('MonitorScheduler', () => {
  it('does not judge the requests that reached no provider as a provider group', async () => {
    const errorRate = definition({
      id: 'error-rate',
      type: 'threshold',
      metric: 'error_rate',
      groupBy: ['provider'],
      window: '5m',
      warn: 0.05,
      critical: 0.1,
    });
    const { scheduler, transitions, traffic, errors } = setup({ definitions: [errorRate] });
    await traffic(40, { provider: 'openai' });
    await traffic(40, {
      provider: undefined,
      status: 400,
      outcome: 'error',
      errorCode: 'KEEL_INVALID_REQUEST',
    });
    const tick = await scheduler.tick();
    expect(errors).toEqual([]);
    expect(transitions).toEqual([]);
    expect(scheduler.states('error-rate').map((state) => [state.groupId, state.status])).toEqual([
      ['provider=openai', 'OK'],
    ]);
    expect(tick.evaluated).toBe(1);
  });

  it('alerts on the first tick that sees a breach, per group, and stores the transition', async () => {
    const { scheduler, transitions, traffic, monitorStore, errors } = setup({ definitions: [p95] });
    await traffic(40, { provider: 'openai', totalMs: 800 });
    await traffic(40, { provider: 'anthropic', totalMs: 5200 });
    const tick = await scheduler.tick();
    expect(errors).toEqual([]);
    expect(tick.evaluated).toBe(2);
    expect(transitions.map((transition) => [transition.groupId, transition.from, transition.to])).toEqual([
      ['provider=anthropic', 'OK', 'ALERT'],
    ]);
    const [alert] = transitions;
    expect(alert?.monitor).toMatchObject({ id: 'p95-latency', priority: 3, notify: ['oncall'] });
    expect(alert?.value).toBeGreaterThan(5000);
    expect(alert?.graph?.points.length).toBe(1);
    expect(alert?.graph?.thresholds).toEqual({ warn: 2000, critical: 4000 });
    expect(monitorStore.transitions('p95-latency', 10)).toHaveLength(1);
    expect(scheduler.states('p95-latency').map((state) => [state.groupId, state.status])).toEqual([
      ['provider=anthropic', 'ALERT'],
      ['provider=openai', 'OK'],
    ]);
  });

  it('keeps ALERT until the value recovers past recoveryCritical (hysteresis), then opens no second transition', async () => {
    const { scheduler, transitions, traffic, advance } = setup({ definitions: [p95] });
    await traffic(40, { totalMs: 4500 });
    await scheduler.tick();
    const statuses: string[] = [];
    for (const latencyMs of [4500, 3500, 3500, 2500]) {
      advance(5 * 60_000);
      await traffic(40, { totalMs: latencyMs });
      await scheduler.tick();
      statuses.push(scheduler.states('p95-latency')[0]?.status ?? 'none');
    }
    expect(statuses).toEqual(['ALERT', 'ALERT', 'ALERT', 'WARN']);
    expect(transitions.map((transition) => `${transition.from}>${transition.to}`)).toEqual([
      'OK>ALERT',
      'ALERT>WARN',
    ]);
  });

  it('notifies WARN transitions and renotifies a group still firing after renotifyIntervalMs, never a muted monitor', async () => {
    const warnOnly = definition({ ...p95, id: 'warned', renotifyIntervalMs: 60_000 });
    const muted = definition({ ...p95, id: 'muted', muted: true });
    const { scheduler, messages, traffic, advance } = setup({ definitions: [warnOnly, muted] });
    await traffic(40, { totalMs: 2500 });
    await scheduler.tick();
    expect(messages.map(({ message }) => message.title)).toEqual(['warned WARN provider=openai']);
    advance(TICK_MS);
    await scheduler.tick();
    expect(messages).toHaveLength(1);
    advance(60_000);
    await scheduler.tick();
    expect(messages.map(({ message }) => message.title)).toEqual([
      'warned WARN provider=openai',
      'warned still WARN provider=openai',
    ]);
    expect(messages[0]?.targets).toEqual(['oncall']);
  });

  it('judges a group that went quiet with the no-data policy and forgets it after a day', async () => {
    const keep = definition({ ...p95, id: 'keep', noData: 'keep' });
    const { scheduler, transitions, traffic, advance } = setup({ definitions: [p95, keep] });
    await traffic(40, { totalMs: 800 });
    await scheduler.tick();
    advance(10 * 60_000);
    await scheduler.tick();
    expect(scheduler.states('p95-latency').map((state) => state.status)).toEqual(['NO_DATA']);
    expect(scheduler.states('keep').map((state) => state.status)).toEqual(['OK']);
    expect(transitions.map((transition) => `${transition.monitor.id}:${transition.to}`)).toEqual([
      'p95-latency:NO_DATA',
    ]);
    advance(86_400_000);
    await scheduler.tick();
    expect(scheduler.states('p95-latency')).toEqual([]);
    expect(scheduler.states('keep')).toEqual([]);
  });

  it('resumes every group state after a restart, so a standing ALERT is not reported again', async () => {
    const opsPath = join(mkdtempSync(join(tmpdir(), 'keel-monitors-')), 'ops.db');
    const store = new SqliteStore({ path: ':memory:' });
    const first = setup({ definitions: [p95], opsPath, store });
    await first.traffic(40, { totalMs: 4500 });
    await first.scheduler.tick();
    expect(first.transitions).toHaveLength(1);
    first.db.close();
    opened.splice(0);
    const second = setup({ definitions: [p95], opsPath, store });
    second.clock.nowMs = first.clock.nowMs + TICK_MS;
    await second.scheduler.tick();
    expect(second.scheduler.states('p95-latency').map((state) => state.status)).toEqual(['ALERT']);
    expect(second.transitions).toEqual([]);
    expect(
      second.monitorStore.groupEvaluations({
        monitorId: 'p95-latency',
        groupId: 'provider=openai',
        fromMs: 0,
        toMs: second.clock.nowMs + 1,
      }),
    ).toHaveLength(2);
  });

  it('counts a monitor whose read fails and keeps its state, while the others are evaluated', async () => {
    const { scheduler, store, traffic, errors } = setup({ definitions: [p95] });
    await traffic(40, { totalMs: 4500 });
    await scheduler.tick();
    const stats = store.stats.bind(store);
    store.stats = () => Promise.reject(new Error('disk gone'));
    const tick = await scheduler.tick();
    store.stats = stats;
    expect(tick.failed).toEqual(['p95-latency']);
    expect(errors).toHaveLength(1);
    expect(scheduler.states('p95-latency')[0]?.status).toBe('ALERT');
    expect(scheduler.counters()).toEqual({ ticks: 2, errors: 1 });
  });

  it('judges an anomaly against the same time of day, and a forecast against its budget', async () => {
    const anomaly = definition({
      id: 'errors-anomaly',
      type: 'anomaly',
      metric: 'error_rate',
      window: '5m',
      minHistory: 6,
      deviations: 3,
    });
    const forecast = definition({
      id: 'cost-forecast',
      type: 'forecast',
      metric: 'cost.sum',
      window: '1h',
      horizon: '24h',
      budgetUsd: 10,
    });
    const { scheduler, traffic, advance, transitions } = setup({ definitions: [anomaly, forecast] });
    // Six quiet hours at 2 % errors and rising spend, then a burst of errors.
    for (let step = 0; step < 72; step += 1) {
      await traffic(20, { costUsd: 0.002 * (1 + step / 12) });
      await traffic(1, { status: 500, outcome: 'error', errorCode: 'KEEL_UPSTREAM_SERVER_ERROR' });
      advance(5 * 60_000);
    }
    await traffic(20, { status: 500, outcome: 'error', errorCode: 'KEEL_UPSTREAM_SERVER_ERROR' });
    await scheduler.tick();
    const [errorsState] = scheduler.states('errors-anomaly');
    expect(errorsState?.status).toBe('ALERT');
    expect(errorsState?.details.historyPoints).toBeGreaterThanOrEqual(6);
    const [costState] = scheduler.states('cost-forecast');
    // Hourly spend grows by about $0.48 an hour from $1.2: Holt extrapolates the line, about $218 over 24 h.
    expect(costState?.value).toBeGreaterThan(190);
    expect(costState?.value).toBeLessThan(240);
    expect(costState?.status).toBe('ALERT');
    expect(transitions.some((transition) => transition.monitor.id === 'errors-anomaly')).toBe(true);
  });

  it('counts targets whose breaker is not closed, per provider, from the live breaker state', async () => {
    const snapshot = (target: string, status: BreakerSnapshot['status']): BreakerSnapshot => ({
      target,
      status,
      reason: '',
      consecutiveFailures: 0,
      windowCalls: 0,
      windowFailures: 0,
      openedAt: undefined,
    });
    let breakers = [snapshot('openai/gpt-4o', 'closed'), snapshot('anthropic/claude', 'closed')];
    const open = definition({
      id: 'breaker-open',
      type: 'threshold',
      metric: 'breaker.open',
      groupBy: ['provider'],
      window: '1m',
      critical: 1,
    });
    const { scheduler, transitions } = setup({ definitions: [open], breakers: () => breakers });
    await scheduler.tick();
    expect(transitions).toEqual([]);
    breakers = [snapshot('openai/gpt-4o', 'open'), snapshot('anthropic/claude', 'closed')];
    await scheduler.tick();
    expect(
      transitions.map((transition) => `${transition.groupId}:${transition.to}:${transition.value}`),
    ).toEqual(['provider=openai:ALERT:1']);
  });

  it("undoes a monitor's tick when its incident cannot be written, and delivers the transition at the next tick", async () => {
    const failTransitions = { count: 1 };
    const { scheduler, transitions, traffic, monitorStore, errors, advance } = setup({
      definitions: [p95],
      failTransitions,
    });
    await traffic(40, { totalMs: 4500 });
    const first = await scheduler.tick();
    expect(first.failed).toEqual(['p95-latency']);
    expect(errors).toHaveLength(1);
    expect(scheduler.states('p95-latency')).toEqual([]);
    expect(monitorStore.states()).toEqual([]);
    expect(monitorStore.transitions('p95-latency', 10)).toEqual([]);
    advance(TICK_MS);
    await scheduler.tick();
    expect(transitions.map((transition) => `${transition.from}>${transition.to}`)).toEqual(['OK>ALERT']);
    expect(monitorStore.states().map((state) => state.status)).toEqual(['ALERT']);
  });

  it('closes a firing group that went quiet for a day, a deleted monitor and one no longer defined, so their incidents recover', async () => {
    const keep = definition({ ...p95, id: 'keep', noData: 'keep' });
    const other = definition({ ...p95, id: 'other' });
    const definitions = [keep, other];
    const { scheduler, transitions, traffic, advance } = setup({ definitions });
    await traffic(40, { totalMs: 4500 });
    await scheduler.tick();
    expect(transitions.map((transition) => `${transition.monitor.id}:${transition.to}`)).toEqual([
      'keep:ALERT',
      'other:ALERT',
    ]);
    transitions.length = 0;
    // keep stays ALERT while quiet (no-data policy keep); after a day it is forgotten and closed.
    advance(86_400_000 + 10 * 60_000);
    definitions.splice(1, 1);
    await scheduler.tick();
    expect(
      transitions.map(
        (transition) => `${transition.monitor.id}:${transition.from}>${transition.to}:${transition.reason}`,
      ),
    ).toEqual([
      'other:ALERT>OK:the monitor is no longer defined',
      'keep:ALERT>OK:no traffic for a day; the group is forgotten',
    ]);
    expect(scheduler.states()).toEqual([]);
    transitions.length = 0;
    await traffic(40, { totalMs: 4500 });
    await scheduler.tick();
    scheduler.forget('keep', 'the monitor was deleted');
    expect(transitions.map((transition) => `${transition.from}>${transition.to}`)).toEqual([
      'OK>ALERT',
      'ALERT>OK',
    ]);
    expect(transitions[1]?.reason).toBe('the monitor was deleted');
  });

  it('sees a provider that stopped answering as 0 requests, and ignores requests that reached no provider', async () => {
    const volume = definition({
      id: 'volume',
      type: 'threshold',
      metric: 'requests',
      groupBy: ['provider'],
      window: '5m',
      direction: 'below',
      critical: 5,
    });
    const { scheduler, traffic, advance } = setup({ definitions: [volume, p95] });
    await traffic(40, { totalMs: 800 });
    await traffic(40, { provider: undefined, status: 400, outcome: 'error', totalMs: 9000 });
    await scheduler.tick();
    expect(scheduler.states().map((state) => `${state.monitorId}:${state.groupId}:${state.status}`)).toEqual([
      'volume:provider=openai:OK',
      'p95-latency:provider=openai:OK',
    ]);
    advance(10 * 60_000);
    await scheduler.tick();
    expect(scheduler.states('volume').map((state) => [state.status, state.value])).toEqual([['ALERT', 0]]);
  });

  it("counts an SLO's good events from successes only, a cut stream as bad, and leaves 4xx out", async () => {
    const slo = definition({ id: 'slo', type: 'slo', objective: 0.9, good: 'status=ok and latency<5000' });
    const { scheduler, traffic } = setup({ definitions: [slo] });
    await traffic(60, { totalMs: 800 });
    await traffic(20, { totalMs: 9000 });
    await traffic(10, { status: 200, outcome: 'error', errorCode: 'KEEL_STREAM_INTERRUPTED', totalMs: 300 });
    await traffic(50, {
      provider: undefined,
      status: 429,
      outcome: 'error',
      errorCode: 'KEEL_RATE_LIMITED',
      totalMs: 1,
    });
    await scheduler.tick();
    const [state] = scheduler.states('slo');
    expect(state?.details).toMatchObject({ periodTotal: 90, periodGood: 60 });
    // 30 bad of 90 at a 10 % budget: a burn rate of 3.33 in every window.
    expect(state?.value).toBeCloseTo(3.33, 2);
  });

  it('reads an anomaly baseline once per completed bucket, not at every tick', async () => {
    const anomaly = definition({
      id: 'a',
      type: 'anomaly',
      metric: 'error_rate',
      window: '5m',
      minHistory: 1,
    });
    const { scheduler, store, traffic, advance } = setup({ definitions: [anomaly] });
    await traffic(20, {});
    const timeseries = store.timeseries.bind(store);
    let reads = 0;
    store.timeseries = (query) => {
      reads += 1;
      return timeseries(query);
    };
    await scheduler.tick();
    advance(TICK_MS);
    await scheduler.tick();
    expect(reads).toBe(1);
    advance(5 * 60_000);
    await scheduler.tick();
    expect(reads).toBe(2);
  });
});
