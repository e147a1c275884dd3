// The `cache` section: the exact-match response cache (off unless enabled; see docs/configuration.md).
import { z } from 'zod';

export const cacheSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      'Answer identical requests from a cache. Off by default: a cached answer repeats itself where the model would vary.',
    ),
  ttlMs: z
    .number()
    .int()
    .positive()
    .default(3_600_000)
    .describe('How long an answer stays servable, ms (default 1 h).'),
  scope: z
    .enum(['key', 'global'])
    .default('key')
    .describe(
      '"key": each gateway key has its own cache, so no tenant is served another\'s answer. "global": all callers share one (Keel without keys always does).',
    ),
  models: z
    .array(z.string().min(1))
    .optional()
    .describe('Cache only these requested models (aliases or provider/model); default: every model.'),
  maxEntryChars: z
    .number()
    .int()
    .positive()
    .default(1_000_000)
    .describe('Answers whose stored form is longer than this many characters are not cached.'),
  maxEntries: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('In-memory state: most answers kept; the least recently used go first.'),
  maxChars: z
    .number()
    .int()
    .positive()
    .default(100_000_000)
    .describe('In-memory state: most characters of answers kept (about 200 MB at the default).'),
});

export type CacheConfig = z.output<typeof cacheSchema>;
