// GET /api/budgets: every budget that applies, with this period's spend, reservations in flight, limit and what is left.
import type { FastifyPluginAsync } from 'fastify';
import type { BudgetStatus } from '../policy/budget-policy.js';

export interface BudgetRoutesOptions {
  /** The budget policy's status (shared state: the same on every replica). */
  status: (nowMs: number) => Promise<BudgetStatus[]>;
  now: () => number;
}

/**
 * The budget report of the control API. Key budgets are listed once a key has made a call
 * through this process; team, application and global budgets always.
 * @example createBudgetRoutes({ status: (nowMs) => budgets.status(nowMs), now: () => clock.now() })
 */
export function createBudgetRoutes(options: BudgetRoutesOptions): FastifyPluginAsync {
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/budgets', async () => {
      const nowMs = options.now();
      const rows = await options.status(nowMs);
      return {
        at: new Date(nowMs).toISOString(),
        budgets: rows.map(({ resetAtMs, ...row }) => ({
          ...row,
          resetAt: new Date(resetAtMs).toISOString(),
        })),
      };
    });
  };
}
