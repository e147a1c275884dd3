// The `rateLimits` section: requests and tokens per minute, per gateway key and per model, shared by every replica.
import { z } from 'zod';

const perMinute = z.number().int().positive();

const limits = {
  requestsPerMinute: perMinute
    .optional()
    .describe('Requests admitted per minute (GCRA: a full minute may come at once).'),
  tokensPerMinute: perMinute
    .optional()
    .describe(
      'Tokens per minute: prompt estimate + max_tokens at admission, corrected to the real usage after.',
    ),
};

export const modelRateLimitSchema = z.strictObject({
  model: z.string().min(1).describe('The model as clients send it: an alias, or "provider/model".'),
  ...limits,
});

export const rateLimitsSchema = z
  .strictObject({
    keys: z
      .strictObject(limits)
      .prefault({})
      .describe("Each gateway key's limits, unless the key sets its own; requests without a key have none."),
    models: z
      .array(modelRateLimitSchema)
      .default([])
      .describe('Limits per model, shared by every caller of that model.'),
    defaultOutputTokens: z
      .number()
      .int()
      .nonnegative()
      .default(1024)
      .describe('Output tokens reserved against tokensPerMinute when a request sets no max_tokens.'),
  })
  .superRefine((rateLimits, context) => {
    const seen = new Set<string>();
    rateLimits.models.forEach((limit, index) => {
      if (seen.has(limit.model)) {
        context.addIssue({
          code: 'custom',
          path: ['models', index, 'model'],
          input: limit.model,
          message: 'this model already has limits; merge the two entries into one',
        });
      }
      seen.add(limit.model);
    });
  });

export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;

/** Every per-model rate limit names an alias or a provider/model of a configured provider. */
export function checkRateLimitModels(
  config: { rateLimits: { models: readonly { model: string }[] } },
  known: { modelNames: ReadonlySet<string>; providerIds: ReadonlySet<string> },
  context: z.RefinementCtx,
): void {
  const { modelNames, providerIds } = known;
  config.rateLimits.models.forEach((limit, index) => {
    const provider = limit.model.split('/')[0] ?? '';
    if (modelNames.has(limit.model) || (limit.model.includes('/') && providerIds.has(provider))) return;
    context.addIssue({
      code: 'custom',
      path: ['rateLimits', 'models', index, 'model'],
      input: limit.model,
      message: `no model has this name; use an alias (${[...modelNames].join(', ') || 'none configured'}) or provider/model`,
    });
  });
}
