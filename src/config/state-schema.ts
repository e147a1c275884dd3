// The `state` section: where the policies keep what replicas share (memory, or one Redis), and what happens when it fails.
import { z } from 'zod';
import { redactRedisUrl } from '../state/redact-redis-url.js';

const failureMode = z.enum(['open', 'closed']);

/** A redis:// or rediss:// URL; a bad one is reported with its password redacted. */
const redisUrl = z
  .string()
  .min(1)
  .superRefine((value, context) => {
    let protocol: string | undefined;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      context.addIssue({
        code: 'custom',
        // Shown as "got ..." in the config error: never with the password.
        input: redactRedisUrl(value),
        message: 'not a Redis URL; write redis://[user:password@]host:6379[/db] or rediss:// for TLS',
      });
    }
  });

export const stateSchema = z.strictObject({
  redis: redisUrl
    .optional()
    .describe(
      'Redis URL shared by every replica (e.g. "${KEEL_REDIS_URL}"); absent: state in this process\'s memory. Its password is never logged.',
    ),
  keyPrefix: z
    .string()
    .default('keel:')
    .describe('Put before every Redis key, so several deployments (or apps) can share one Redis.'),
  commandTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(200)
    .describe('Longest a request waits for Redis before its policy applies its failure mode.'),
  connectTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(2_000)
    .describe('Longest one connection attempt to Redis may take.'),
  shareBreakers: z
    .boolean()
    .optional()
    .describe(
      'Share circuit-breaker open/closed decisions between replicas through Redis (failure counts stay per replica). Default: true when state.redis is set; a single process has nothing to share.',
    ),
  breakerSyncIntervalMs: z
    .number()
    .int()
    .positive()
    .default(2_000)
    .describe('How often each replica reads the breaker decisions the others published, ms.'),
  failureMode: z
    .strictObject({
      rateLimits: failureMode
        .default('open')
        .describe(
          '"open": admit unlimited while the state is unreachable (x-keel-policy-degraded says so). "closed": refuse with 503.',
        ),
      budgets: failureMode
        .default('closed')
        .describe('"closed": refuse with 503 while spend cannot be checked. "open": admit, unchecked.'),
    })
    .prefault({})
    .describe(
      'What each policy does when the state is unreachable; the response cache always fails open (a miss).',
    ),
});

export type StateConfig = z.output<typeof stateSchema>;
/** "open": admit and mark the answer degraded; "closed": refuse with 503 KEEL_STATE_UNAVAILABLE. */
export type FailureMode = z.output<typeof failureMode>;
