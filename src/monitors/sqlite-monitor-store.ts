// Monitor state per group, evaluation history, transitions, API-made definitions and mutes, on the ops database.
import type { MonitorDefinition } from '../config/monitors-schema.js';
import type { OpsDatabase } from '../ops/ops-database.js';
import type { MonitorStatus } from './monitor-state.js';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS monitor_state (
  monitor_id   TEXT NOT NULL,
  group_id     TEXT NOT NULL,
  group_json   TEXT NOT NULL,
  status       TEXT NOT NULL,
  since_ms     INTEGER NOT NULL,
  value        REAL,
  reason       TEXT NOT NULL,
  details_json TEXT NOT NULL,
  evaluated_ms INTEGER NOT NULL,
  notified_ms  INTEGER,
  PRIMARY KEY (monitor_id, group_id)
);
CREATE TABLE IF NOT EXISTS monitor_evaluation (
  id         INTEGER PRIMARY KEY,
  monitor_id TEXT NOT NULL,
  group_id   TEXT NOT NULL,
  at_ms      INTEGER NOT NULL,
  status     TEXT NOT NULL,
  value      REAL,
  reason     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS monitor_evaluation_by_group ON monitor_evaluation (monitor_id, group_id, at_ms);
CREATE INDEX IF NOT EXISTS monitor_evaluation_by_time ON monitor_evaluation (at_ms);
CREATE TABLE IF NOT EXISTS monitor_transition (
  id          INTEGER PRIMARY KEY,
  monitor_id  TEXT NOT NULL,
  group_id    TEXT NOT NULL,
  group_json  TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  from_status TEXT NOT NULL,
  to_status   TEXT NOT NULL,
  value       REAL,
  reason      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS monitor_transition_by_monitor ON monitor_transition (monitor_id, at_ms);
CREATE TABLE IF NOT EXISTS monitor_definition (
  id              TEXT PRIMARY KEY,
  definition_json TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  updated_ms      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS monitor_mute (
  monitor_id TEXT PRIMARY KEY,
  muted      INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
`;

/** A monitor group's current state, as kept between ticks and across restarts. */
export interface MonitorGroupState {
  monitorId: string;
  groupId: string;
  group: Record<string, string>;
  status: MonitorStatus;
  /** When the group entered `status`. */
  sinceMs: number;
  value: number | null;
  reason: string;
  /** The evaluator's figures: baseline, burn rates, error budget... */
  details: Record<string, unknown>;
  evaluatedMs: number;
  /** When the group last notified (a transition or a renotify); null when it never did. */
  notifiedMs: number | null;
}

/** One stored evaluation. */
export interface StoredEvaluation {
  groupId: string;
  atMs: number;
  status: MonitorStatus;
  value: number | null;
  reason: string;
}

/** One stored transition. */
export interface StoredTransition extends StoredEvaluation {
  monitorId: string;
  group: Record<string, string>;
  from: MonitorStatus;
}

interface StateRow {
  monitor_id: string;
  group_id: string;
  group_json: string;
  status: MonitorStatus;
  since_ms: number;
  value: number | null;
  reason: string;
  details_json: string;
  evaluated_ms: number;
  notified_ms: number | null;
}

interface TransitionRow {
  monitor_id: string;
  group_id: string;
  group_json: string;
  at_ms: number;
  from_status: MonitorStatus;
  to_status: MonitorStatus;
  value: number | null;
  reason: string;
}

/**
 * The monitors' tables. Writes of one tick go through {@link saveTick} in one transaction, so a
 * crash never leaves a state without its evaluation.
 */
export class SqliteMonitorStore {
  readonly #db: OpsDatabase;
  readonly #statements;

  constructor(db: OpsDatabase) {
    this.#db = db;
    db.exec(SCHEMA_SQL);
    this.#statements = {
      states: db.prepare<[], StateRow>('SELECT * FROM monitor_state ORDER BY monitor_id, group_id'),
      upsertState: db.prepare(
        `INSERT INTO monitor_state (monitor_id, group_id, group_json, status, since_ms, value, reason, details_json, evaluated_ms, notified_ms)
         VALUES (@monitorId, @groupId, @groupJson, @status, @sinceMs, @value, @reason, @detailsJson, @evaluatedMs, @notifiedMs)
         ON CONFLICT (monitor_id, group_id) DO UPDATE SET group_json = excluded.group_json, status = excluded.status,
           since_ms = excluded.since_ms, value = excluded.value, reason = excluded.reason, details_json = excluded.details_json,
           evaluated_ms = excluded.evaluated_ms, notified_ms = excluded.notified_ms`,
      ),
      deleteState: db.prepare('DELETE FROM monitor_state WHERE monitor_id = ? AND group_id = ?'),
      deleteMonitorStates: db.prepare('DELETE FROM monitor_state WHERE monitor_id = ?'),
      insertEvaluation: db.prepare(
        'INSERT INTO monitor_evaluation (monitor_id, group_id, at_ms, status, value, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertTransition: db.prepare(
        `INSERT INTO monitor_transition (monitor_id, group_id, group_json, at_ms, from_status, to_status, value, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      evaluations: db.prepare<
        [string, number, number, string | null, string | null, number],
        StoredEvaluation
      >(
        `SELECT group_id AS groupId, at_ms AS atMs, status, value, reason FROM monitor_evaluation
         WHERE monitor_id = ? AND at_ms >= ? AND at_ms < ? AND (? IS NULL OR group_id = ?)
         ORDER BY at_ms DESC, id DESC LIMIT ?`,
      ),
      groupEvaluations: db.prepare<[string, string, number, number], StoredEvaluation>(
        `SELECT group_id AS groupId, at_ms AS atMs, status, value, reason FROM monitor_evaluation
         WHERE monitor_id = ? AND group_id = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms, id`,
      ),
      transitions: db.prepare<[string, number], TransitionRow>(
        'SELECT * FROM monitor_transition WHERE monitor_id = ? ORDER BY at_ms DESC, id DESC LIMIT ?',
      ),
      pruneEvaluations: db.prepare(
        'DELETE FROM monitor_evaluation WHERE id IN (SELECT id FROM monitor_evaluation WHERE at_ms < ? ORDER BY at_ms LIMIT ?)',
      ),
      pruneTransitions: db.prepare(
        'DELETE FROM monitor_transition WHERE id IN (SELECT id FROM monitor_transition WHERE at_ms < ? ORDER BY at_ms LIMIT ?)',
      ),
      definitions: db.prepare<[], { definition_json: string }>(
        'SELECT definition_json FROM monitor_definition ORDER BY created_ms, id',
      ),
      putDefinition: db.prepare(
        `INSERT INTO monitor_definition (id, definition_json, created_ms, updated_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET definition_json = excluded.definition_json, updated_ms = excluded.updated_ms`,
      ),
      deleteDefinition: db.prepare('DELETE FROM monitor_definition WHERE id = ?'),
      mutes: db.prepare<[], { monitor_id: string; muted: number }>(
        'SELECT monitor_id, muted FROM monitor_mute',
      ),
      putMute: db.prepare(
        `INSERT INTO monitor_mute (monitor_id, muted, updated_ms) VALUES (?, ?, ?)
         ON CONFLICT (monitor_id) DO UPDATE SET muted = excluded.muted, updated_ms = excluded.updated_ms`,
      ),
      deleteMute: db.prepare('DELETE FROM monitor_mute WHERE monitor_id = ?'),
    };
  }

  /** Every group's state, for the scheduler to resume from. */
  states(): MonitorGroupState[] {
    return this.#statements.states.all().map((row) => ({
      monitorId: row.monitor_id,
      groupId: row.group_id,
      group: JSON.parse(row.group_json) as Record<string, string>,
      status: row.status,
      sinceMs: row.since_ms,
      value: row.value,
      reason: row.reason,
      details: JSON.parse(row.details_json) as Record<string, unknown>,
      evaluatedMs: row.evaluated_ms,
      notifiedMs: row.notified_ms,
    }));
  }

  /**
   * Stores one monitor's tick in one transaction: every evaluated group's state, the evaluations
   * kept for history, the transitions and the forgotten groups; then runs `within` inside the same
   * transaction (incidents and notifications write to this database too), so a state never changes
   * without its incident, and a failure in `within` undoes the whole tick.
   */
  saveTick(tick: {
    states: readonly MonitorGroupState[];
    evaluations: readonly MonitorGroupState[];
    transitions: readonly StoredTransition[];
    forget: readonly { monitorId: string; groupId: string }[];
    within?: (() => void) | undefined;
  }): void {
    const s = this.#statements;
    this.#db.transaction(() => {
      for (const state of tick.states) {
        s.upsertState.run({
          monitorId: state.monitorId,
          groupId: state.groupId,
          groupJson: JSON.stringify(state.group),
          status: state.status,
          sinceMs: state.sinceMs,
          value: state.value,
          reason: state.reason,
          detailsJson: JSON.stringify(state.details),
          evaluatedMs: state.evaluatedMs,
          notifiedMs: state.notifiedMs,
        });
      }
      for (const state of tick.evaluations) {
        s.insertEvaluation.run(
          state.monitorId,
          state.groupId,
          state.evaluatedMs,
          state.status,
          state.value,
          state.reason,
        );
      }
      for (const transition of tick.transitions) {
        s.insertTransition.run(
          transition.monitorId,
          transition.groupId,
          JSON.stringify(transition.group),
          transition.atMs,
          transition.from,
          transition.status,
          transition.value,
          transition.reason,
        );
      }
      for (const group of tick.forget) s.deleteState.run(group.monitorId, group.groupId);
      tick.within?.();
    })();
  }

  /** Drops a removed monitor's states (its history stays until pruned). */
  forgetMonitor(monitorId: string): void {
    this.#statements.deleteMonitorStates.run(monitorId);
  }

  /** A monitor's evaluations in [fromMs, toMs) (of one group, when given), newest first, at most `limit`. */
  evaluations(query: {
    monitorId: string;
    fromMs: number;
    toMs: number;
    limit: number;
    groupId?: string | undefined;
  }): StoredEvaluation[] {
    const groupId = query.groupId ?? null;
    return this.#statements.evaluations.all(
      query.monitorId,
      query.fromMs,
      query.toMs,
      groupId,
      groupId,
      query.limit,
    );
  }

  /** One group's evaluations in [fromMs, toMs), oldest first: the series a graph snapshot is drawn from. */
  groupEvaluations(query: {
    monitorId: string;
    groupId: string;
    fromMs: number;
    toMs: number;
  }): StoredEvaluation[] {
    return this.#statements.groupEvaluations.all(query.monitorId, query.groupId, query.fromMs, query.toMs);
  }

  /** A monitor's latest transitions, newest first. */
  transitions(monitorId: string, limit: number): StoredTransition[] {
    return this.#statements.transitions.all(monitorId, limit).map((row) => ({
      monitorId: row.monitor_id,
      groupId: row.group_id,
      group: JSON.parse(row.group_json) as Record<string, string>,
      atMs: row.at_ms,
      from: row.from_status,
      status: row.to_status,
      value: row.value,
      reason: row.reason,
    }));
  }

  /**
   * Deletes at most `limit` evaluations and `limit` transitions older than `beforeMs`, so a large
   * backlog (a long stop, a shorter retention) is worked off over several ticks instead of stalling
   * the event loop; returns how many rows went.
   */
  prune(beforeMs: number, limit = 5_000): number {
    const evaluations = this.#statements.pruneEvaluations.run(beforeMs, limit).changes;
    return evaluations + this.#statements.pruneTransitions.run(beforeMs, limit).changes;
  }

  /** Definitions made through the API, oldest first (stored as validated, after defaults). */
  definitions(): MonitorDefinition[] {
    return this.#statements.definitions
      .all()
      .map((row) => JSON.parse(row.definition_json) as MonitorDefinition);
  }

  putDefinition(definition: MonitorDefinition, nowMs: number): void {
    this.#statements.putDefinition.run(definition.id, JSON.stringify(definition), nowMs, nowMs);
  }

  /** Returns false when no API definition had this id. */
  deleteDefinition(id: string): boolean {
    const deleted = this.#statements.deleteDefinition.run(id).changes > 0;
    this.#statements.deleteMute.run(id);
    return deleted;
  }

  /** Mute overrides set through the API, by monitor id. */
  mutes(): Map<string, boolean> {
    return new Map(this.#statements.mutes.all().map((row) => [row.monitor_id, row.muted === 1]));
  }

  putMute(monitorId: string, muted: boolean, nowMs: number): void {
    this.#statements.putMute.run(monitorId, muted ? 1 : 0, nowMs);
  }
}
