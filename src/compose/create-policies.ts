// Builds the request policies from the config, in seed 001's order, and the shared state they keep.
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import type { RequestPolicy } from '../policy/request-policy.js';
import type { Clock } from '../spec/index.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { RecordBuilderOptions } from '../telemetry/build-request-record.js';
import { createBudgetPolicy, type BudgetPolicy } from '../policy/budget-policy.js';
import { createPromptTokenCounter } from '../policy/count-prompt-tokens.js';
import { createTokenLimitPolicy } from '../policy/token-limit-policy.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';
import { createPriceBook } from '../telemetry/pricing/index.js';

export interface Policies {
  /** In the order they run: token limit, budget, rate limit, experiment, cache. */
  policies: RequestPolicy[];
  state: SharedState;
  /** The budget policy, when `budgets` is configured (for GET /api/budgets and metrics). */
  budgets: BudgetPolicy | undefined;
  close(): Promise<void>;
}

export function createPolicies(options: {
  config: Readonly<KeelConfig>;
  events: EventBus;
  logger: Logger;
  clock: Clock;
  recordOptions: RecordBuilderOptions;
}): Policies {
  const { clock, config, events, logger } = options;
  // One process: memory. Several replicas: Redis (telemetry issue 4, item 7).
  const state: SharedState = new MemoryState({ now: () => clock.now() });
  const policies: RequestPolicy[] = [];
  const providerTypes = new Map(config.providers.map((provider) => [provider.id, provider.type]));
  const tokens = config.limits?.tokens;
  const counter = createPromptTokenCounter({ maxCountedChars: tokens?.maxCountedChars });
  // 1. token limits
  if (tokens !== undefined) {
    policies.push(
      createTokenLimitPolicy({
        config: tokens,
        state,
        events,
        counter,
        providerTypes,
        now: () => clock.now(),
        onError: (error) => logger.warn({ err: error }, 'token average not recorded: shared state failed'),
      }),
    );
  }
  // 2. budgets
  const budgets =
    config.budgets === undefined
      ? undefined
      : createBudgetPolicy({
          config: config.budgets,
          state,
          events,
          prices: createPriceBook({ overrides: config.pricing.overrides }),
          counter,
          providerTypes,
          now: () => clock.now(),
          onError: (error) => logger.error({ err: error }, 'budget not settled: shared state failed'),
        });
  if (budgets !== undefined) policies.push(budgets);
  // 3. rate limits
  // 4. experiments
  // 5. response cache
  return {
    policies,
    state,
    budgets,
    close: async () => {
      // Settles still writing finish first, so no reservation is left behind in a shared store.
      await budgets?.idle();
      await state.close();
    },
  };
}
