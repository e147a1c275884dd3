// Slot 2 of the request path: spend limits per key, team, application and globally; reserve, settle, release, alert.
import type { BudgetsConfig, SpendLimitConfig } from '../config/index.js';
import type { Target } from '../routing/plan-route.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import type { SharedState } from '../state/shared-state.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { BudgetPeriod, BudgetScope } from '../telemetry/events.js';
import { computeCostUsd, type PriceBook, type TokenPrices } from '../telemetry/pricing/index.js';
import { budgetPeriod, crossedThresholds } from './budget-periods.js';
import type { PromptTokenCounter } from './count-prompt-tokens.js';
import type { PolicyCall, PolicyOutcome, PolicyTicket, RequestPolicy } from './request-policy.js';
import { degradedHeader, stateUnavailable, type StateFailureReporter } from './state-failure-reporter.js';
import type { FailureMode } from '../config/state-schema.js';

/** Counters hold whole micro-USD, so sums stay exact in memory and in Redis (no float drift). */
const microUsdPerUsd = 1_000_000;

const periods: readonly { period: BudgetPeriod; field: keyof SpendLimitConfig }[] = [
  { period: 'day', field: 'dailyUsd' },
  { period: 'month', field: 'monthlyUsd' },
];

/** One counter a call is charged to, for the period it falls in. */
interface BudgetCounter {
  scope: BudgetScope;
  id: string;
  period: BudgetPeriod;
  periodKey: string;
  endMs: number;
  limitMicroUsd: number;
  /** Reservations of calls in flight plus settled spend: what admission checks. */
  committedKey: string;
  /** Settled spend only: what alerts and the status report. */
  spentKey: string;
}

/** One row of GET /api/budgets. */
export interface BudgetStatus {
  scope: BudgetScope;
  id: string;
  period: BudgetPeriod;
  periodKey: string;
  limitUsd: number;
  spentUsd: number;
  /** Worst cases reserved by calls still in flight. */
  reservedUsd: number;
  remainingUsd: number;
  resetAtMs: number;
}

export interface BudgetPolicyOptions {
  config: BudgetsConfig;
  state: SharedState;
  events: EventBus;
  prices: PriceBook;
  counter: PromptTokenCounter;
  /** Provider id -> provider type, for price lookups. */
  providerTypes: ReadonlyMap<string, string>;
  /** Epoch ms at settle time (alerts are stamped with it). */
  now: () => number;
  /** Shared state failed while settling (the request is unaffected; logged). */
  onError?: ((error: unknown) => void) | undefined;
  /** When the state cannot be reached at admission: refuse (503) or admit unchecked. Default closed. */
  failureMode?: FailureMode | undefined;
  /** Counts and logs admission failures (keel_state_errors_total). */
  failures?: StateFailureReporter | undefined;
}

export interface BudgetPolicy extends RequestPolicy {
  /** Every budget that applies to traffic seen so far, with its spend this period. */
  status(nowMs: number): Promise<BudgetStatus[]>;
  /** Resolves once every settle's state writes are done (tests, shutdown). */
  idle(): Promise<void>;
}

const toUsd = (microUsd: number) => microUsd / microUsdPerUsd;
const formatUsd = (usd: number) => `$${usd.toFixed(usd < 1 ? 6 : 2)}`;

function counterKey(options: {
  scope: BudgetScope;
  id: string;
  period: BudgetPeriod;
  periodKey: string;
}): string {
  // ids are key ids, team and application names; encodeURIComponent keeps ":" out of them.
  return `budget:${options.scope}:${encodeURIComponent(options.id)}:${options.period}:${options.periodKey}`;
}

/**
 * The budget policy. Admission reserves the call's worst case, the most any planned target could
 * charge for the counted prompt tokens plus max_tokens (or `defaultMaxOutputTokens`), in every
 * counter that applies (key, team, application, global; day and month) with SharedState.reserve,
 * which adds only if the counter stays at or under its limit. If one does not fit, the others are
 * released and the call is refused with 429 KEEL_BUDGET_EXCEEDED and Retry-After until that period
 * ends (mode "soft": reserved anyway, alerts only). Settling replaces the reservation with the real
 * cost (usage x the serving model's price); a failure with no usage and a cached answer release it
 * whole. So concurrent calls can overshoot a limit by at most what the worst cases over-estimated:
 * never, when prices are known and max_tokens bounds the answer.
 *
 * Thresholds (80/90/95/100 % by default) are checked on settled spend; each fires a
 * `budget:threshold` event once per counter and period (SharedState.setOnce, so once across
 * replicas too). A refusal fires the 100 % alert, since the budget cannot take another call.
 */
export function createBudgetPolicy(options: BudgetPolicyOptions): BudgetPolicy {
  const { config, state, events, prices, counter, providerTypes } = options;
  const pending = new Set<Promise<void>>();
  /** Keys that carried a budget, by id: for status. Bounded by the number of gateway keys. */
  const keyBudgets = new Map<string, SpendLimitConfig>();

  function countersFor(limits: { scope: BudgetScope; id: string; limit: SpendLimitConfig }[], nowMs: number) {
    const counters: BudgetCounter[] = [];
    for (const { scope, id, limit } of limits) {
      for (const { period, field } of periods) {
        const limitUsd = limit[field];
        if (limitUsd === undefined) continue;
        const window = budgetPeriod(period, nowMs);
        const committedKey = counterKey({ scope, id, period, periodKey: window.key });
        counters.push({
          scope,
          id,
          period,
          periodKey: window.key,
          endMs: window.endMs,
          limitMicroUsd: Math.round(limitUsd * microUsdPerUsd),
          committedKey,
          spentKey: `${committedKey}:spent`,
        });
      }
    }
    return counters;
  }

  function limitsOf(call: PolicyCall) {
    const limits: { scope: BudgetScope; id: string; limit: SpendLimitConfig }[] = [];
    const { key } = call;
    if (
      key?.budget !== undefined &&
      (key.budget.dailyUsd !== undefined || key.budget.monthlyUsd !== undefined)
    ) {
      keyBudgets.set(key.id, key.budget);
      limits.push({ scope: 'key', id: key.id, limit: key.budget });
    }
    const team = key?.team;
    const teamLimit = team === undefined ? undefined : config.teams[team];
    if (team !== undefined && teamLimit !== undefined)
      limits.push({ scope: 'team', id: team, limit: teamLimit });
    const application = key?.application ?? call.metadata.application;
    const applicationLimit = application === undefined ? undefined : config.applications[application];
    if (application !== undefined && applicationLimit !== undefined) {
      limits.push({ scope: 'application', id: application, limit: applicationLimit });
    }
    if (config.global !== undefined) limits.push({ scope: 'global', id: 'global', limit: config.global });
    return limits;
  }

  function priceOf(target: Target, providerType: string | undefined, model: string): TokenPrices | undefined {
    return (
      prices.priceFor({
        providerType: providerType ?? providerTypes.get(target.providerId) ?? '',
        providerId: target.providerId,
        model,
      }) ?? config.unknownModelPrice
    );
  }

  function worstCaseMicroUsd(call: PolicyCall): number {
    const first = call.targets[0];
    if (first === undefined) return 0;
    const inputTokens = counter.count(call.request, {
      model: first.modelId,
      providerType: providerTypes.get(first.providerId) ?? '',
    }).tokens;
    const outputTokens = call.request.maxTokens ?? config.defaultMaxOutputTokens;
    let worstUsd = 0;
    for (const target of call.targets) {
      const price = priceOf(target, undefined, target.modelId);
      if (price === undefined) continue;
      const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
      worstUsd = Math.max(worstUsd, computeCostUsd(usage, price));
    }
    return Math.ceil(worstUsd * microUsdPerUsd);
  }

  async function alert(
    budget: BudgetCounter,
    fired: { percents: number[]; spentMicroUsd: number; refused: boolean },
  ) {
    for (const percent of fired.percents) {
      const once = await state.setOnce(`${budget.committedKey}:alert:${percent}`, budget.endMs);
      if (!once) continue;
      events.emit('budget:threshold', {
        scope: budget.scope,
        id: budget.id,
        period: budget.period,
        periodKey: budget.periodKey,
        thresholdPercent: percent,
        spentUsd: toUsd(fired.spentMicroUsd),
        limitUsd: toUsd(budget.limitMicroUsd),
        resetAtMs: budget.endMs,
        refused: fired.refused,
        mode: config.mode,
        atMs: options.now(),
      });
    }
  }

  function realMicroUsd(outcome: PolicyOutcome, reservedMicroUsd: number): number {
    if (outcome.cached === true) return 0;
    const usage = outcome.usage;
    // No usage: a failure before any answer costs nothing; an answer whose usage never came (a
    // stream without it) is charged its worst case, the safe side of a budget.
    if (usage === undefined) return outcome.error === undefined ? reservedMicroUsd : 0;
    const target = outcome.target;
    if (target === undefined) return 0;
    const price = priceOf(target, outcome.providerType, outcome.servedModel ?? target.modelId);
    return price === undefined ? 0 : Math.round(computeCostUsd(usage, price) * microUsdPerUsd);
  }

  async function settle(budgets: BudgetCounter[], reservedMicroUsd: number, outcome: PolicyOutcome) {
    const real = realMicroUsd(outcome, reservedMicroUsd);
    await Promise.all(
      budgets.map(async (budget) => {
        if (real !== reservedMicroUsd)
          await state.add(budget.committedKey, real - reservedMicroUsd, budget.endMs);
        if (real === 0) return;
        const spent = await state.add(budget.spentKey, real, budget.endMs);
        const percents = crossedThresholds({
          before: spent - real,
          after: spent,
          limit: budget.limitMicroUsd,
          thresholds: config.alertThresholds,
        });
        if (percents.length > 0) await alert(budget, { percents, spentMicroUsd: spent, refused: false });
      }),
    );
  }

  async function refuse(call: PolicyCall, refused: { budget: BudgetCounter; total: number }, worst: number) {
    const { budget } = refused;
    const spent = await state.get(budget.spentKey, call.nowMs);
    if (config.alertThresholds.includes(100))
      await alert(budget, { percents: [100], spentMicroUsd: spent, refused: true });
    events.emit('limit:hit', {
      limit: 'budget',
      action: 'rejected',
      requestId: call.requestId,
      model: call.model,
      value: toUsd(refused.total + worst),
      limitValue: toUsd(budget.limitMicroUsd),
      unit: 'usd',
      detail: `${budget.scope}:${budget.id}:${budget.period}`,
      atMs: call.nowMs,
    });
    const left = Math.max(0, budget.limitMicroUsd - refused.total);
    return new KeelError({
      code: ErrorCodes.budgetExceeded,
      status: 429,
      retryAfterMs: Math.max(1000, budget.endMs - call.nowMs),
      message: `Budget exceeded: the ${budget.scope} budget "${budget.id}" allows ${formatUsd(toUsd(budget.limitMicroUsd))} per ${budget.period} (${budget.periodKey} UTC); ${formatUsd(toUsd(left))} is left (${formatUsd(toUsd(spent))} spent, the rest reserved by calls in flight) and this call could cost up to ${formatUsd(toUsd(worst))}. It resets at ${new Date(budget.endMs).toISOString()}.`,
    });
  }

  return {
    name: 'budget',
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async admit(call: PolicyCall): Promise<PolicyTicket | undefined> {
      const budgets = countersFor(limitsOf(call), call.nowMs);
      if (budgets.length === 0) return undefined;
      await counter.ready();
      // At least 1 micro-USD, so an exhausted budget refuses calls to unpriced models too.
      const worst = Math.max(1, worstCaseMicroUsd(call));
      try {
        if (config.mode === 'soft') {
          await Promise.all(budgets.map((budget) => state.add(budget.committedKey, worst, budget.endMs)));
        } else {
          const results = await Promise.all(
            budgets.map((budget) =>
              state.reserve(budget.committedKey, {
                amount: worst,
                max: budget.limitMicroUsd,
                expiresAtMs: budget.endMs,
              }),
            ),
          );
          const failed = results.findIndex((result) => !result.reserved);
          if (failed >= 0) {
            await Promise.all(
              budgets
                .filter((_budget, index) => results[index]?.reserved === true)
                .map((budget) => state.add(budget.committedKey, -worst, budget.endMs)),
            );
            const budget = budgets[failed] as BudgetCounter;
            throw await refuse(call, { budget, total: results[failed]?.total ?? 0 }, worst);
          }
        }
      } catch (error) {
        if (error instanceof KeelError) throw error;
        // The state is unreachable: nothing was reserved that must be released.
        const mode = options.failureMode ?? 'closed';
        options.failures?.report({ policy: 'budget', mode, error });
        if (mode === 'closed') throw stateUnavailable({ policy: 'budget', what: 'Budgets', cause: error });
        return { headers: { [degradedHeader]: 'budget' } };
      }
      let settled = false;
      return {
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          const write = settle(budgets, worst, outcome)
            .catch((error: unknown) => options.onError?.(error))
            .finally(() => pending.delete(write));
          pending.add(write);
        },
      };
    },
    async status(nowMs) {
      const limits: { scope: BudgetScope; id: string; limit: SpendLimitConfig }[] = [];
      for (const [id, limit] of keyBudgets) limits.push({ scope: 'key', id, limit });
      for (const [id, limit] of Object.entries(config.teams)) limits.push({ scope: 'team', id, limit });
      for (const [id, limit] of Object.entries(config.applications))
        limits.push({ scope: 'application', id, limit });
      if (config.global !== undefined) limits.push({ scope: 'global', id: 'global', limit: config.global });
      return Promise.all(
        countersFor(limits, nowMs).map(async (budget) => {
          const [committed, spent] = await Promise.all([
            state.get(budget.committedKey, nowMs),
            state.get(budget.spentKey, nowMs),
          ]);
          return {
            scope: budget.scope,
            id: budget.id,
            period: budget.period,
            periodKey: budget.periodKey,
            limitUsd: toUsd(budget.limitMicroUsd),
            spentUsd: toUsd(spent),
            reservedUsd: toUsd(Math.max(0, committed - spent)),
            remainingUsd: toUsd(Math.max(0, budget.limitMicroUsd - committed)),
            resetAtMs: budget.endMs,
          };
        }),
      );
    },
  };
}
