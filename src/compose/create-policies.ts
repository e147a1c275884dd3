// Builds the request policies from the config, in seed 001's order, and the shared state they keep.
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import type { RequestPolicy } from '../policy/request-policy.js';
import type { Clock } from '../spec/index.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { RecordBuilderOptions } from '../telemetry/build-request-record.js';
import { ResponseCachePolicy } from '../policy/cache/response-cache-policy.js';
import { MemoryState } from '../state/memory-state.js';
import type { SharedState } from '../state/shared-state.js';

export interface Policies {
  /** In the order they run: token limit, budget, rate limit, experiment, cache. */
  policies: RequestPolicy[];
  state: SharedState;
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
  const state: SharedState = new MemoryState({
    now: () => clock.now(),
    maxCacheEntries: config.cache.maxEntries,
    maxCacheChars: config.cache.maxChars,
  });
  const policies: RequestPolicy[] = [];
  // 1. token limits
  // 2. budgets
  // 3. rate limits
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
    close: () => state.close(),
  };
}
