// The `limits.tokens` section: a per-request cap on prompt + completion tokens, and seed 001's running-average target.
import { z } from 'zod';

const tokens = z.number().int().positive();

const requestLimitFields = {
  maxTotalTokens: tokens
    .optional()
    .describe('Most prompt + completion tokens per request (completion = max_tokens, or defaultMaxTokens).'),
  mode: z
    .enum(['reject', 'clamp'])
    .optional()
    .describe(
      '"reject": a request over the limit gets 400 KEEL_TOKEN_LIMIT_EXCEEDED. "clamp": max_tokens is lowered to fit (refused only when the prompt alone does not fit).',
    ),
  defaultMaxTokens: tokens
    .optional()
    .describe('Completion tokens assumed, and set as max_tokens, when a request sends none.'),
};

export const modelTokenLimitSchema = z.strictObject(requestLimitFields);

export const tokenAverageSchema = z.strictObject({
  targetTokens: tokens.describe(
    'Target average of prompt + completion tokens per answered request (seed 001: 500).',
  ),
  windowMs: z
    .number()
    .int()
    .positive()
    .default(60 * 60 * 1000)
    .describe(
      'The average is taken over fixed windows of this length (UTC-aligned), starting afresh each window.',
    ),
  minRequests: z
    .number()
    .int()
    .positive()
    .default(20)
    .describe('Requests a window must have answered before its average counts.'),
  action: z
    .enum(['alert', 'clamp'])
    .default('alert')
    .describe(
      '"alert": a limit:hit event once per window when the average goes over. "clamp": also lower new requests\' max_tokens so that each fits the target, for the rest of the window.',
    ),
  minCompletionTokens: tokens
    .default(16)
    .describe(
      '"clamp": the least max_tokens a request is clamped to, so a long prompt still gets an answer.',
    ),
});

export const tokenLimitsSchema = z.strictObject({
  ...requestLimitFields,
  mode: requestLimitFields.mode.default('reject'),
  models: z
    .record(z.string().min(1), modelTokenLimitSchema)
    .default({})
    .describe('Per model alias (or "provider/model" as the client sends it): overrides of the fields above.'),
  maxCountedChars: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe(
      'Prompt characters tokenized exactly; the rest is extrapolated (bounds the cost of huge prompts).',
    ),
  average: tokenAverageSchema.optional(),
});

export const limitsSchema = z.strictObject({
  tokens: tokenLimitsSchema.optional().describe('Token limits; none when absent.'),
});

export type TokenLimitsConfig = z.output<typeof tokenLimitsSchema>;
export type TokenAverageConfig = z.output<typeof tokenAverageSchema>;
