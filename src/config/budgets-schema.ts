// The `budgets` section: spend limits per key, team, application and globally, per UTC day and month, with alerts.
import { z } from 'zod';

const usd = z.number().positive();

export const spendLimitSchema = z
  .strictObject({
    dailyUsd: usd.optional().describe('Most USD spent per UTC day.'),
    monthlyUsd: usd.optional().describe('Most USD spent per UTC month.'),
  })
  .refine((limit) => limit.dailyUsd !== undefined || limit.monthlyUsd !== undefined, {
    message: 'set dailyUsd, monthlyUsd or both',
  });

export const budgetsSchema = z.strictObject({
  mode: z
    .enum(['enforce', 'soft'])
    .default('enforce')
    .describe(
      '"enforce": refuse with 429 KEEL_BUDGET_EXCEEDED when a request could overshoot. "soft": alert only.',
    ),
  global: spendLimitSchema.optional().describe('All traffic together (seed 001: monthlyUsd 5000).'),
  teams: z.record(z.string().min(1), spendLimitSchema).default({}).describe("By the caller key's team."),
  applications: z
    .record(z.string().min(1), spendLimitSchema)
    .default({})
    .describe("By the caller key's application, else the x-keel-application header."),
  alertThresholds: z
    .array(z.number().gt(0).max(100))
    .min(1)
    .default([80, 90, 95, 100])
    .describe('Percentages of a limit at which a budget:threshold event fires, once per period each.'),
  defaultMaxOutputTokens: z
    .number()
    .int()
    .positive()
    .default(4096)
    .describe('Output tokens assumed for the worst-case reservation when a request sends no max_tokens.'),
  unknownModelPrice: z
    .strictObject({
      input: z.number().min(0).describe('USD per 1M input tokens.'),
      output: z.number().min(0).describe('USD per 1M output tokens.'),
    })
    .optional()
    .describe('Price for models neither pricing.overrides nor the shipped table know; absent: they cost 0.'),
});

export type BudgetsConfig = z.output<typeof budgetsSchema>;
export type SpendLimitConfig = z.output<typeof spendLimitSchema>;
