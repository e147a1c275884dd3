// Evaluates every monitor each tick from the rollups, keeps each group's state, and hands transitions on.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import type { Notifier } from '../notifications/notification.js';
import type { BreakerSnapshot } from '../reliability/breaker-registry.js';
import type { Clock, Scheduler } from '../spec/index.js';
import type { TelemetryStore } from '../store/store.js';
import { monitorSummary, monitorThresholds, monitorUnit } from './describe-monitor.js';
import { monitorMessage, storedTransition } from './monitor-message.js';
import { evaluateMonitor } from './evaluate-monitor.js';
import type { MonitorStatus } from './monitor-state.js';
import type { GraphSnapshot, MonitorTransition } from './monitor-transition.js';
import {
  emptyObservation,
  observeMonitor,
  type GroupObservation,
  type SeriesCache,
} from './observe-monitor.js';
import type { ProbeWindowReader } from './observe-probes.js';
import { parseWindow } from './read-monitor-metric.js';
import type { MonitorGroupState, SqliteMonitorStore } from './sqlite-monitor-store.js';

/** Options of {@link MonitorScheduler}. */
export interface MonitorSchedulerOptions {
  store: TelemetryStore;
  monitorStore: SqliteMonitorStore;
  /** The monitors to evaluate, read at every tick (config plus API-made ones). */
  definitions: () => readonly MonitorDefinition[];
  /** Whether a monitor is muted now (its definition or an API override). */
  isMuted: (definition: MonitorDefinition) => boolean;
  intervalMs: number;
  clock: Clock;
  scheduler: Scheduler;
  /** Live breaker states, for `breaker.open` monitors. */
  breakers?: (() => readonly BreakerSnapshot[]) | undefined;
  /** The probe measurements, for `probe.*` monitors. */
  probes?: ProbeWindowReader | undefined;
  /** Runs before each tick's reads, e.g. flushing buffered records into the store. */
  beforeRead?: (() => Promise<void>) | undefined;
  /**
   * Each state change of a group, in order, called synchronously inside the ops-database transaction
   * that stores the new state: incidents open from here, and if this throws the tick of that monitor
   * is undone and judged again at the next tick, so no transition is lost.
   */
  onTransition?: ((transition: MonitorTransition) => void) | undefined;
  /** After every tick, with its time: incidents resolve quiet ones from here. */
  afterTick?: ((nowMs: number) => void | Promise<void>) | undefined;
  /** WARN transitions and renotifications go here (ALERTs notify through their incident). */
  notifier?: Notifier | undefined;
  /** A monitor that could not be read or judged this tick keeps its state; the error comes here. */
  onError: (error: unknown, monitorId: string) => void;
  /** Evaluations and transitions older than this are deleted; default 7 days. */
  historyRetentionMs?: number | undefined;
  /** A group with no traffic that has been OK or NO_DATA this long is forgotten; default 1 day. */
  forgetAfterMs?: number | undefined;
}

/** What one tick did. */
export interface TickSummary {
  atMs: number;
  evaluated: number;
  transitions: MonitorTransition[];
  failed: string[];
}

const DAY_MS = 86_400_000;
/** A group's evaluation is kept for history at every change, else at most once per this interval. */
const HISTORY_SAMPLE_MS = 60_000;

/** Runs the monitors. `tick()` is public so tests and `keel` commands can drive it with their own clock. */
export class MonitorScheduler {
  readonly #options: MonitorSchedulerOptions;
  /** monitorId → groupId → state. */
  readonly #states = new Map<string, Map<string, MonitorGroupState>>();
  #stopTimer: (() => void) | undefined;
  #running: Promise<TickSummary> | undefined;
  /** Anomaly baselines between ticks. */
  readonly #baselines: SeriesCache = new Map();
  /** monitorId/groupId → when its evaluation was last kept for history (memory only). */
  readonly #storedAtMs = new Map<string, number>();
  #ticks = 0;
  #errors = 0;

  constructor(options: MonitorSchedulerOptions) {
    this.#options = options;
    for (const state of options.monitorStore.states())
      this.#groups(state.monitorId).set(state.groupId, state);
  }

  start(): void {
    this.#stopTimer ??= this.#options.scheduler.every(this.#options.intervalMs, () => {
      // A slow tick is not run twice at once: the next one waits for its turn.
      if (this.#running === undefined) void this.tick().catch(() => undefined);
    });
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Every group's state of one monitor, or of all. */
  states(monitorId?: string): MonitorGroupState[] {
    const monitors: Map<string, MonitorGroupState>[] =
      monitorId === undefined
        ? [...this.#states.values()]
        : [this.#states.get(monitorId) ?? new Map<string, MonitorGroupState>()];
    return monitors.flatMap((groups) => [...groups.values()]);
  }

  counters(): { ticks: number; errors: number } {
    return { ticks: this.#ticks, errors: this.#errors };
  }

  /**
   * Forgets a deleted or replaced monitor's groups. A group that was not OK first passes to OK with
   * `reason`, so the incident it opened recovers and resolves instead of staying open forever.
   */
  forget(monitorId: string, reason: string): void {
    const groups = [...(this.#states.get(monitorId)?.values() ?? [])];
    const nowMs = this.#options.clock.now();
    const transitions = groups
      .filter((state) => state.status !== 'OK')
      .map((state) => this.#closingTransition(state, reason, nowMs));
    this.#options.monitorStore.saveTick({
      states: [],
      evaluations: [],
      transitions: transitions.map((transition) => storedTransition(monitorId, transition)),
      forget: groups.map((state) => ({ monitorId, groupId: state.groupId })),
      within: () => {
        for (const transition of transitions) this.#options.onTransition?.(transition);
      },
    });
    this.#states.delete(monitorId);
    this.#baselines.delete(monitorId);
  }

  /** Evaluates every monitor once, now. Concurrent calls share the tick in progress. */
  tick(): Promise<TickSummary> {
    this.#running ??= this.#tick().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #tick(): Promise<TickSummary> {
    const options = this.#options;
    await options.beforeRead?.();
    const nowMs = options.clock.now();
    const summary: TickSummary = { atMs: nowMs, evaluated: 0, transitions: [], failed: [] };
    const definitions = options.definitions();
    const defined = new Set(definitions.map((definition) => definition.id));
    for (const monitorId of [...this.#states.keys()]) {
      if (!defined.has(monitorId))
        this.#guard(() => this.forget(monitorId, 'the monitor is no longer defined'), monitorId);
    }
    for (const definition of definitions) {
      try {
        // The store, live breakers and probe measurements come from the options.
        const observed = await observeMonitor({ ...options, definition, nowMs, cache: this.#baselines });
        const result = this.#judge({ definition, observed, nowMs });
        summary.evaluated += result.evaluated;
        summary.transitions.push(...result.transitions);
      } catch (error) {
        this.#errors += 1;
        summary.failed.push(definition.id);
        options.onError(error, definition.id);
      }
    }
    this.#ticks += 1;
    this.#guard(
      () => options.monitorStore.prune(nowMs - (options.historyRetentionMs ?? 7 * DAY_MS)),
      'prune',
    );
    try {
      await options.afterTick?.(nowMs);
    } catch (error) {
      this.#errors += 1;
      options.onError(error, 'after-tick');
    }
    return summary;
  }

  /** Runs `task`, counting and reporting what it throws instead of failing the tick. */
  #guard(task: () => void, label: string): void {
    try {
      task();
    } catch (error) {
      this.#errors += 1;
      this.#options.onError(error, label);
    }
  }

  /**
   * Decides every group of one monitor and stores the tick with its incidents and notifications in
   * one ops-database transaction. Memory changes only after that transaction commits.
   */
  #judge(input: { definition: MonitorDefinition; observed: GroupObservation[]; nowMs: number }): {
    evaluated: number;
    transitions: MonitorTransition[];
  } {
    const { definition, nowMs } = input;
    const groups = this.#groups(definition.id);
    const seen = new Set(input.observed.map((entry) => entry.groupId));
    const quiet = [...groups.values()]
      .filter((state) => !seen.has(state.groupId))
      .map((state) => ({
        group: state.group,
        groupId: state.groupId,
        observation: emptyObservation(definition),
      }));
    const muted = this.#options.isMuted(definition);
    const summary = monitorSummary(definition, muted);
    const states: MonitorGroupState[] = [];
    const evaluations: MonitorGroupState[] = [];
    const transitions: MonitorTransition[] = [];
    const forget: { monitorId: string; groupId: string }[] = [];
    const messages: (() => void)[] = [];
    for (const entry of [...input.observed, ...quiet]) {
      const previous = groups.get(entry.groupId);
      const previousStatus: MonitorStatus = previous?.status ?? 'OK';
      const { evaluation, details } = evaluateMonitor({
        definition,
        observation: entry.observation,
        previous: previousStatus,
      });
      const changed = previous === undefined ? evaluation.status !== 'OK' : evaluation.changed;
      const state: MonitorGroupState = {
        monitorId: definition.id,
        groupId: entry.groupId,
        group: entry.group,
        status: evaluation.status,
        sinceMs: changed || previous === undefined ? nowMs : previous.sinceMs,
        value: evaluation.value,
        reason: evaluation.reason,
        details,
        evaluatedMs: nowMs,
        notifiedMs: previous?.notifiedMs ?? null,
      };
      if (
        !seen.has(entry.groupId) &&
        !changed &&
        nowMs - state.sinceMs >= (this.#options.forgetAfterMs ?? DAY_MS)
      ) {
        // Quiet for a day: forgotten, and if it was firing, closed first so its incident can resolve.
        forget.push({ monitorId: definition.id, groupId: entry.groupId });
        if (state.status !== 'OK') {
          transitions.push(
            this.#closingTransition(state, 'no traffic for a day; the group is forgotten', nowMs, summary),
          );
        }
        continue;
      }
      if (changed) {
        transitions.push({
          monitor: summary,
          group: entry.group,
          groupId: entry.groupId,
          from: previousStatus,
          to: state.status,
          value: state.value,
          reason: state.reason,
          atMs: nowMs,
        });
      }
      const message = this.#messageIfDue({ definition, state, changed, from: previousStatus, muted });
      if (message !== undefined) messages.push(message);
      const key = `${definition.id}\u0000${entry.groupId}`;
      if (changed || nowMs - (this.#storedAtMs.get(key) ?? Number.NEGATIVE_INFINITY) >= HISTORY_SAMPLE_MS) {
        evaluations.push(state);
      }
      states.push(state);
    }
    this.#options.monitorStore.saveTick({
      states,
      evaluations,
      transitions: transitions.map((transition) => storedTransition(definition.id, transition)),
      forget,
      within: () => {
        // Snapshots read the history just written, so the trigger's own point is on the chart.
        for (const transition of transitions) {
          if (transition.to === 'ALERT')
            transition.graph = this.#snapshot(definition, transition.groupId, nowMs);
          this.#options.onTransition?.(transition);
        }
        for (const send of messages) send();
      },
    });
    for (const state of evaluations) this.#storedAtMs.set(`${definition.id}\u0000${state.groupId}`, nowMs);
    for (const state of states) groups.set(state.groupId, state);
    for (const group of forget) {
      groups.delete(group.groupId);
      this.#storedAtMs.delete(`${definition.id}\u0000${group.groupId}`);
    }
    return { evaluated: states.length, transitions };
  }

  /** A transition to OK that closes a group which will not be evaluated any more. */
  #closingTransition(
    state: MonitorGroupState,
    reason: string,
    nowMs: number,
    monitor?: MonitorTransition['monitor'],
  ): MonitorTransition {
    const definition = this.#options.definitions().find((candidate) => candidate.id === state.monitorId);
    return {
      monitor:
        monitor ??
        (definition === undefined
          ? {
              id: state.monitorId,
              type: 'threshold',
              title: state.monitorId,
              priority: 3,
              notify: [],
              muted: true,
              tags: [],
            }
          : monitorSummary(definition, this.#options.isMuted(definition))),
      group: state.group,
      groupId: state.groupId,
      from: state.status,
      to: 'OK',
      value: null,
      reason,
      atMs: nowMs,
    };
  }

  /**
   * WARN transitions notify at once; a group still firing after renotifyIntervalMs notifies again.
   * Returns the sending, to run inside the tick's transaction, or undefined when nothing is due.
   */
  #messageIfDue(input: {
    definition: MonitorDefinition;
    state: MonitorGroupState;
    changed: boolean;
    from: MonitorStatus;
    muted: boolean;
  }): (() => void) | undefined {
    const { definition, state, changed, muted } = input;
    const notifier = this.#options.notifier;
    if (changed && state.status === 'ALERT') {
      // Its incident tells the targets; the renotify clock starts now.
      state.notifiedMs = state.evaluatedMs;
      return undefined;
    }
    if (notifier === undefined || muted || definition.notify.length === 0) return undefined;
    const firing = state.status === 'ALERT' || state.status === 'WARN';
    const due =
      (changed && state.status === 'WARN') ||
      (!changed &&
        firing &&
        definition.renotifyIntervalMs !== undefined &&
        state.evaluatedMs - (state.notifiedMs ?? state.sinceMs) >= definition.renotifyIntervalMs);
    if (!due) return undefined;
    state.notifiedMs = state.evaluatedMs;
    const message = monitorMessage({ definition, state, muted, from: input.from, still: !changed });
    return () => {
      notifier.enqueue(definition.notify, message);
    };
  }

  /** The values the monitor judged for the group over the last while: the chart attached to its incident. */
  #snapshot(definition: MonitorDefinition, groupId: string, nowMs: number): GraphSnapshot {
    const spanMs =
      definition.type === 'slo'
        ? 3_600_000
        : Math.min(6 * 3_600_000, Math.max(1_800_000, 6 * parseWindow(definition.window)));
    const evaluations = this.#options.monitorStore.groupEvaluations({
      monitorId: definition.id,
      groupId,
      fromMs: nowMs - spanMs,
      toMs: nowMs + 1,
    });
    return {
      metric: definition.type === 'slo' ? 'burn_rate' : definition.metric,
      unit: monitorUnit(definition),
      fromMs: nowMs - spanMs,
      toMs: nowMs,
      stepMs: this.#options.intervalMs,
      points: evaluations.flatMap((evaluation) =>
        evaluation.value === null ? [] : [{ tMs: evaluation.atMs, value: evaluation.value }],
      ),
      thresholds: monitorThresholds(definition),
    };
  }

  #groups(monitorId: string): Map<string, MonitorGroupState> {
    let groups = this.#states.get(monitorId);
    if (groups === undefined) {
      groups = new Map();
      this.#states.set(monitorId, groups);
    }
    return groups;
  }
}
