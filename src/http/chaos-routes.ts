// /api/chaos: list, inject and clear the faults Keel adds to provider targets at runtime.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CHAOS_ERROR_KINDS, MAX_CHAOS_DURATION_MS, type ChaosInjection } from '../chaos/chaos-injection.js';
import type { ChaosRegistry } from '../chaos/chaos-registry.js';
import { invalidRequest, type KeelError } from '../spec/index.js';

export interface ChaosRoutesOptions {
  registry: ChaosRegistry;
  /** The configured provider ids: a target is one of them, or `provider/model`. */
  providerIds: readonly string[];
  now: () => number;
}

const rate = z.number().min(0).max(1);

/** The body of POST /api/chaos/inject. */
export const chaosInjectSchema = z
  .object({
    target: z.string().min(1),
    errorRate: rate.optional(),
    errorKind: z.enum(CHAOS_ERROR_KINDS as [string, ...string[]]).optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    outage: z.boolean().optional(),
    cutRate: rate.optional(),
    forMs: z.number().int().min(1).max(MAX_CHAOS_DURATION_MS),
  })
  .strict()
  .refine(
    (body) =>
      (body.errorRate ?? 0) > 0 ||
      (body.latencyMs ?? 0) > 0 ||
      body.outage === true ||
      (body.cutRate ?? 0) > 0,
    { message: 'inject at least one fault: errorRate, latencyMs, outage or cutRate' },
  );

/** The body of POST /api/chaos/clear. */
export const chaosClearSchema = z.object({ target: z.string().min(1).optional() }).strict();

function firstProblem(error: z.ZodError): KeelError {
  const issue = error.issues[0];
  const param = issue === undefined ? undefined : issue.path.map(String).join('.');
  const where = param === undefined || param === '' ? 'body' : param;
  return invalidRequest(
    `${where}: ${issue?.message ?? 'invalid'} (see docs/api.md#chaos).`,
    param || undefined,
  );
}

function toWire(injection: ChaosInjection) {
  const { startedAtMs, expiresAtMs, ...rest } = injection;
  return {
    ...rest,
    startedAt: new Date(startedAtMs).toISOString(),
    expiresAt: new Date(expiresAtMs).toISOString(),
  };
}

/**
 * The chaos routes of the control API; mount behind the admin guard.
 * @example createChaosRoutes({ registry: chaos, providerIds: ['primary', 'backup'], now: () => clock.now() })
 */
export function createChaosRoutes(options: ChaosRoutesOptions): FastifyPluginAsync {
  const { registry, providerIds } = options;
  const checkTarget = (target: string): void => {
    const providerId = target.split('/')[0] ?? '';
    if (!providerIds.includes(providerId) || target.endsWith('/')) {
      throw invalidRequest(
        `target: "${target}" is not a provider; use one of ${providerIds.join(', ')}, or provider/model.`,
        'target',
      );
    }
  };

  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    // Synchronous handlers: the registry is in memory; fastify sends what they return or throw.
    api.get('/api/chaos', () => ({
      at: new Date(options.now()).toISOString(),
      injections: registry.list().map(toWire),
    }));

    api.post('/api/chaos/inject', (request, reply) => {
      const parsed = chaosInjectSchema.safeParse(request.body ?? {});
      if (!parsed.success) throw firstProblem(parsed.error);
      checkTarget(parsed.data.target);
      const injection = registry.inject({
        ...parsed.data,
        errorKind: parsed.data.errorKind as ChaosInjection['errorKind'],
      });
      return reply.code(201).send(toWire(injection));
    });

    api.post('/api/chaos/clear', (request) => {
      const parsed = chaosClearSchema.safeParse(request.body ?? {});
      if (!parsed.success) throw firstProblem(parsed.error);
      return { cleared: registry.clear(parsed.data.target).map(toWire) };
    });
  };
}
