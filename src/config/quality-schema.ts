// The `quality` section: the optional judge that samples answers and has a configured model score them.
import { z } from 'zod';

/** The metadata application the judge's own calls carry; never judged themselves. */
export const JUDGE_APPLICATION = 'keel-judge';

export const qualityJudgeSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe('Sample successful answers and have `model` score them (through Keel, off the request path).'),
  model: z
    .string()
    .min(1)
    .optional()
    .describe('The alias (or provider/model) that scores answers; required when enabled.'),
  sampleRate: z.number().min(0).max(1).default(0.05).describe('Share of successful answers judged, 0..1.'),
  maxConcurrent: z.number().int().positive().default(2).describe('Most judge calls in flight at once.'),
  maxQueue: z
    .number()
    .int()
    .nonnegative()
    .default(100)
    .describe('Sampled answers waiting for a judge call; beyond this they are dropped and counted.'),
  timeoutMs: z.number().int().positive().default(30_000).describe('Deadline of one judge call (ms).'),
  prompt: z
    .string()
    .min(1)
    .optional()
    .describe(
      'System prompt (the rubric) replacing the built-in one; it must ask for JSON {"score": 1-10, "reason": "..."}.',
    ),
  applications: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Only judge answers of these applications (x-keel-application); default: all.'),
  retentionMs: z
    .number()
    .int()
    .positive()
    .default(30 * 86_400_000)
    .describe('How long judgements are kept in the ops database (ms); default 30 days.'),
});

export const qualitySchema = z.strictObject({
  judge: qualityJudgeSchema.prefault({}),
});

/** The validated `quality` section. */
export type QualityConfig = z.infer<typeof qualitySchema>;
/** The validated `quality.judge` settings. */
export type QualityJudgeConfig = z.infer<typeof qualityJudgeSchema>;

/**
 * Cross-checks the judge against the rest of the config: an enabled judge needs a `model` that is
 * a configured alias, or provider/model of a configured provider when direct models are allowed.
 * Call from the config's superRefine.
 */
export function checkQuality(
  config: {
    quality?: QualityConfig | undefined;
    models: readonly { name: string }[];
    providers: readonly { id: string }[];
    server?: { allowDirectModels: boolean } | undefined;
  },
  context: z.RefinementCtx,
): void {
  const judge = config.quality?.judge;
  if (judge === undefined) return;
  const aliases = config.models.map((model) => model.name);
  const known = aliases.join(', ') || 'none configured; add one under models';
  if (judge.model === undefined) {
    if (judge.enabled) {
      context.addIssue({
        code: 'custom',
        path: ['quality', 'judge', 'model'],
        input: judge.model,
        message: `an enabled judge needs the model that scores answers; set model to an alias (${known})`,
      });
    }
    return;
  }
  const slash = judge.model.indexOf('/');
  const directAllowed = config.server?.allowDirectModels ?? true;
  const direct =
    directAllowed &&
    slash > 0 &&
    slash < judge.model.length - 1 &&
    config.providers.some((provider) => provider.id === judge.model?.slice(0, slash));
  if (aliases.includes(judge.model) || direct) return;
  context.addIssue({
    code: 'custom',
    path: ['quality', 'judge', 'model'],
    input: judge.model,
    message: `no model has this name; use an alias (${known}) or provider/model of a configured provider`,
  });
}
