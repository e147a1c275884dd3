// The quality judge's verdicts in the ops database (table quality_judgement), with retention pruning.
import type { OpsDatabase } from '../../ops/ops-database.js';
import type { Judgement } from './quality-judge.js';

/** Average judge score of one model over a time range. */
export interface JudgementSummary {
  model: string;
  judgements: number;
  /** Mean of the 0..1 scores. */
  avgScore: number;
  /** Mean of the judge's own 1..10 scores. */
  avgRawScore: number;
}

/** Which judgements to read: [fromMs, toMs), optionally one model. */
export interface JudgementQuery {
  fromMs: number;
  toMs: number;
  model?: string | undefined;
  /** Newest first, at most this many. */
  limit: number;
}

interface JudgementRow {
  request_id: string;
  at_ms: number;
  model: string;
  served_model: string | null;
  judge_model: string;
  score: number;
  raw_score: number;
  reason: string;
  application: string | null;
  environment: string | null;
}

/** How often inserts also prune expired rows (ms). */
const pruneIntervalMs = 3_600_000; // 1 h

/**
 * Stores and reads judgements on the ops database. Inserts prune rows older than `retentionMs` at
 * most once an hour.
 * @example const store = new JudgementStore({ db: openOpsDatabase(':memory:'), retentionMs: 30 * 86_400_000, now: () => Date.now() })
 */
export class JudgementStore {
  readonly #db: OpsDatabase;
  readonly #retentionMs: number;
  readonly #now: () => number;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(options: { db: OpsDatabase; retentionMs: number; now: () => number }) {
    this.#db = options.db;
    this.#retentionMs = options.retentionMs;
    this.#now = options.now;
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS quality_judgement (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        model TEXT NOT NULL,
        served_model TEXT,
        judge_model TEXT NOT NULL,
        score REAL NOT NULL,
        raw_score REAL NOT NULL,
        reason TEXT NOT NULL,
        application TEXT,
        environment TEXT
      );
      CREATE INDEX IF NOT EXISTS quality_judgement_at ON quality_judgement (at_ms);
      CREATE INDEX IF NOT EXISTS quality_judgement_model_at ON quality_judgement (model, at_ms);
    `);
  }

  insert(judgement: Judgement): void {
    this.#db
      .prepare(
        `INSERT INTO quality_judgement
           (request_id, at_ms, model, served_model, judge_model, score, raw_score, reason, application, environment)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        judgement.requestId,
        judgement.atMs,
        judgement.model,
        judgement.servedModel ?? null,
        judgement.judgeModel,
        judgement.score,
        judgement.rawScore,
        judgement.reason,
        judgement.application ?? null,
        judgement.environment ?? null,
      );
    const nowMs = this.#now();
    if (nowMs - this.#lastPruneMs >= pruneIntervalMs) {
      this.#lastPruneMs = nowMs;
      this.prune(nowMs - this.#retentionMs);
    }
  }

  /** Deletes judgements before `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    return this.#db.prepare('DELETE FROM quality_judgement WHERE at_ms < ?').run(beforeMs).changes;
  }

  /** Newest first. */
  list(query: JudgementQuery): Judgement[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM quality_judgement
         WHERE at_ms >= ? AND at_ms < ? AND (? IS NULL OR model = ?)
         ORDER BY at_ms DESC, id DESC LIMIT ?`,
      )
      .all(query.fromMs, query.toMs, query.model ?? null, query.model ?? null, query.limit) as JudgementRow[];
    return rows.map((row) => ({
      requestId: row.request_id,
      atMs: row.at_ms,
      model: row.model,
      servedModel: row.served_model ?? undefined,
      judgeModel: row.judge_model,
      score: row.score,
      rawScore: row.raw_score,
      reason: row.reason,
      application: row.application ?? undefined,
      environment: row.environment ?? undefined,
    }));
  }

  /** Average score per model in the range, most judged first. */
  summary(query: Omit<JudgementQuery, 'limit'>): JudgementSummary[] {
    const rows = this.#db
      .prepare(
        `SELECT model, COUNT(*) AS judgements, AVG(score) AS avg_score, AVG(raw_score) AS avg_raw_score
         FROM quality_judgement
         WHERE at_ms >= ? AND at_ms < ? AND (? IS NULL OR model = ?)
         GROUP BY model ORDER BY judgements DESC, model`,
      )
      .all(query.fromMs, query.toMs, query.model ?? null, query.model ?? null) as {
      model: string;
      judgements: number;
      avg_score: number;
      avg_raw_score: number;
    }[];
    return rows.map((row) => ({
      model: row.model,
      judgements: row.judgements,
      avgScore: row.avg_score,
      avgRawScore: row.avg_raw_score,
    }));
  }
}
