// The /api route plugins over the telemetry store, budgets and chaos, plus the ones other parts built.
import type { FastifyPluginAsync } from 'fastify';
import type { ChaosRegistry } from '../chaos/chaos-registry.js';
import type { KeelConfig } from '../config/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { createBudgetRoutes } from '../http/budget-routes.js';
import { createChaosRoutes } from '../http/chaos-routes.js';
import { createExperimentRoutes } from '../http/experiment-routes.js';
import { createInsightsRoutes } from '../http/insights-routes.js';
import { createStatsRoutes } from '../http/stats-routes.js';
import type { Clock } from '../spec/index.js';
import type { Policies } from './create-policies.js';
import type { Telemetry } from './create-telemetry.js';

/** Every /api plugin to mount behind the admin guard: `extra` first, then stats, budgets and chaos. */
export function createApiRoutes(options: {
  config: Readonly<KeelConfig>;
  clock: Clock;
  gateway: Gateway;
  telemetry: Telemetry;
  budgets: Policies['budgets'];
  chaos: ChaosRegistry;
  /** Routes built elsewhere: operations, the quality judge, keys. */
  extra: readonly FastifyPluginAsync[];
}): FastifyPluginAsync[] {
  const { config, clock, gateway, telemetry, budgets } = options;
  const now = () => clock.now();
  const breakers = () => gateway.breakerSnapshots();
  const beforeRead = () => telemetry.flush();
  const store = telemetry.store;
  return [
    ...options.extra,
    ...(budgets === undefined ? [] : [createBudgetRoutes({ status: (nowMs) => budgets.status(nowMs), now })]),
    ...(store === undefined
      ? []
      : [
          createStatsRoutes({ store, beforeRead, breakers, now }),
          createExperimentRoutes({ store, experiments: config.experiments, beforeRead, now }),
          createInsightsRoutes({
            store,
            beforeRead,
            now,
            budgets: budgets === undefined ? undefined : (nowMs) => budgets.status(nowMs),
            breakers,
            recommendationThresholds: {
              reservedOutputTokens: config.budgets?.defaultMaxOutputTokens ?? 4096,
            },
          }),
        ]),
    createChaosRoutes({
      registry: options.chaos,
      providerIds: config.providers.map((provider) => provider.id),
      now,
    }),
  ];
}
