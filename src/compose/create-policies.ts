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
import { MemoryState } from '../state/memory-state.js';
import { RedisState } from '../state/redis-state.js';
import type { SharedState } from '../state/shared-state.js';

export interface Policies {
  /** In the order they run: token limit, budget, rate limit, experiment, cache. */
  policies: RequestPolicy[];
  state: SharedState;
  /** Counts and logs state failures for every policy (keel_state_errors_total). */
  failures: StateFailureReporter;
  /** The state is reachable (keel_state_up); memory always is. */
  stateUp(): boolean;
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
  // 1. token limits
  // 2. budgets
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
    close: () => state.close(),
  };
}
