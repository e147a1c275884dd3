// Builds the request policies from the config, in seed 001's order, and the shared state they keep.
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import type { RequestPolicy } from '../policy/request-policy.js';
import { RateLimitPolicy } from '../policy/rate-limit-policy.js';
import { StateFailureReporter } from '../policy/state-failure-reporter.js';
import type { Clock } from '../spec/index.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { RecordBuilderOptions } from '../telemetry/build-request-record.js';
import { ResponseCachePolicy } from '../policy/cache/response-cache-policy.js';
import { createBudgetPolicy, type BudgetPolicy } from '../policy/budget-policy.js';
import { budgetsSchema } from '../config/budgets-schema.js';
import { createPromptTokenCounter } from '../policy/count-prompt-tokens.js';
import { createTokenLimitPolicy } from '../policy/token-limit-policy.js';
import { MemoryState } from '../state/memory-state.js';
import { RedisState } from '../state/redis-state.js';
import type { SharedState } from '../state/shared-state.js';
import { createPriceBook } from '../telemetry/pricing/index.js';

export interface Policies {
  /** In the order they run: token limit, budget, rate limit, experiment, cache. */
  policies: RequestPolicy[];
  state: SharedState;
  /** Counts and logs state failures for every policy (keel_state_errors_total). */
  failures: StateFailureReporter;
  /** The state is reachable (keel_state_up); memory always is. */
  stateUp(): boolean;
  /** The budget policy, when `budgets` is configured (for GET /api/budgets and metrics). */
  budgets: BudgetPolicy | undefined;
  close(): Promise<void>;
}

/** The state replicas share: Redis when `state.redis` is set, else this process's memory. */
function createState(options: { config: Readonly<KeelConfig>; logger: Logger; clock: Clock }): SharedState {
  const { config, logger, clock } = options;
  const { redis, keyPrefix, commandTimeoutMs, connectTimeoutMs } = config.state;
  if (redis === undefined) {
    return new MemoryState({
      now: () => clock.now(),
      maxCacheEntries: config.cache.maxEntries,
      maxCacheChars: config.cache.maxChars,
    });
  }
  const state = new RedisState({
    url: redis,
    keyPrefix,
    commandTimeoutMs,
    connectTimeoutMs,
    onAvailabilityChange: (up, reason) => {
      if (up) logger.info({ redis: state.where }, 'shared state: Redis is reachable');
      else logger.warn({ redis: state.where, reason }, 'shared state: Redis is unreachable; reconnecting');
    },
  });
  logger.info({ redis: state.where, keyPrefix }, 'shared state: Redis (policies hold across replicas)');
  return state;
}

export function createPolicies(options: {
  config: Readonly<KeelConfig>;
  events: EventBus;
  logger: Logger;
  clock: Clock;
  recordOptions: RecordBuilderOptions;
}): Policies {
  const { config, events, logger, clock } = options;
  // One process: memory. Several replicas: Redis (issue 4, item 7).
  const state = createState({ config, logger, clock });
  const failures = new StateFailureReporter({ logger, clock });
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
  // Always on: a gateway key may carry a budget even when the config sets none.
  const budgets: BudgetPolicy | undefined = createBudgetPolicy({
    config: config.budgets ?? budgetsSchema.parse({}),
    state,
    events,
    prices: createPriceBook({ overrides: config.pricing.overrides }),
    counter,
    providerTypes,
    now: () => clock.now(),
    onError: (error) => logger.error({ err: error }, 'budget not settled: shared state failed'),
    failureMode: config.state.failureMode.budgets,
    failures,
  });
  if (budgets !== undefined) policies.push(budgets);
  // 3. rate limits
  policies.push(
    new RateLimitPolicy({
      config: config.rateLimits,
      state,
      failureMode: config.state.failureMode.rateLimits,
      failures,
      clock,
    }),
  );
  // 4. experiments
  // 5. response cache
  if (config.cache.enabled) {
    policies.push(
      new ResponseCachePolicy({
        config: config.cache,
        state,
        clock,
        events,
        onStateError: (error, operation) =>
          logger.warn({ err: error, operation }, 'response cache state failed; serving without the cache'),
      }),
    );
  }
  return {
    policies,
    state,
    failures,
    stateUp: () => !(state instanceof RedisState) || state.up,
    budgets,
    close: async () => {
      // Settles still writing finish first, so no reservation is left behind in a shared store.
      await budgets?.idle();
      await state.close();
    },
  };
}
