// GET /api/quality/judgements: recent judge verdicts, the average score per model, and the judge's counters.
import type { FastifyPluginAsync } from 'fastify';
import { timeRange, type Query } from '../../http/stats-routes.js';
import { invalidRequest } from '../../spec/index.js';
import type { JudgementStore } from './judgement-store.js';
import type { JudgeCounters } from './quality-judge.js';

export interface JudgementRoutesOptions {
  store: JudgementStore;
  /** The live judge's counters. */
  counters: () => JudgeCounters;
  now: () => number;
}

/** Judgements listed by default, and at most. */
export const defaultJudgementLimit = 100;
export const maxJudgementLimit = 1000;

function limitOf(text: string | undefined): number {
  if (text === undefined) return defaultJudgementLimit;
  const limit = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= maxJudgementLimit)) {
    throw invalidRequest(
      `'limit' must be an integer from 1 to ${maxJudgementLimit}; got "${text}".`,
      'limit',
    );
  }
  return limit;
}

/**
 * The quality judge's report in the control API. `window` (default 24h) or `from`/`to` choose the
 * range; `model` keeps one requested model; `limit` caps the list (the summary covers the range).
 * @example createJudgementRoutes({ store, counters: () => judge.counters(), now: () => clock.now() })
 */
export function createJudgementRoutes(options: JudgementRoutesOptions): FastifyPluginAsync {
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/quality/judgements', (request, reply) => {
      const query = request.query as Query;
      const { fromMs, toMs } = timeRange(query, options.now(), '24h');
      const limit = limitOf(query.limit);
      const model = query.model === undefined || query.model === '' ? undefined : query.model;
      const judgements = options.store.list({ fromMs, toMs, model, limit });
      return reply.send({
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        counters: options.counters(),
        summary: options.store.summary({ fromMs, toMs, model }),
        judgements: judgements.map(({ atMs, ...judgement }) => ({
          ...judgement,
          at: new Date(atMs).toISOString(),
        })),
      });
    });
  };
}
