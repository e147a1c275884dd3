// The `experiments` section: A/B tests that split one model's traffic between weighted variants.
import { z } from 'zod';

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'letters, digits, ".", "_" and "-", starting with a letter or digit',
  );

export const experimentVariantSchema = z.strictObject({
  id: name.describe('Recorded on every request of the variant (variantId).'),
  weight: z.number().min(0).default(1).describe('Share of traffic, relative to the other variants.'),
  model: z
    .string()
    .min(1)
    .optional()
    .describe('The model alias (or provider/model) this variant calls instead; default: the one asked for.'),
  promptVersion: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Recorded as the prompt version of its requests.'),
  system: z
    .string()
    .optional()
    .describe('A system prompt that replaces the request’s own system messages (a prompt variant).'),
});

export const experimentSchema = z.strictObject({
  id: name.describe('Recorded on every request in the experiment (experimentId); the report is keyed by it.'),
  model: z
    .string()
    .min(1)
    .describe('The model alias clients call; its requests are split between the variants.'),
  enabled: z.boolean().default(true),
  stickyBy: z
    .enum(['user', 'key', 'request'])
    .default('user')
    .describe(
      'What keeps a caller on one variant: the user (x-keel-user or the body’s user), the gateway key, or nothing (each request drawn anew). Falls back to the next when absent.',
    ),
  variants: z.array(experimentVariantSchema).min(2).describe('The first is the control.'),
});

export const experimentsSchema = z.array(experimentSchema).default([]);

export type ExperimentConfig = z.infer<typeof experimentSchema>;

/** Experiments name known models, each model has at most one, and ids are unique. */
export function checkExperiments(
  config: { experiments: ExperimentConfig[] },
  modelNames: ReadonlySet<string>,
  context: z.RefinementCtx,
): void {
  const ids = new Set<string>();
  const models = new Set<string>();
  const known = [...modelNames].join(', ') || '(none defined)';
  config.experiments.forEach((experiment, index) => {
    const at = (...path: (string | number)[]) => ['experiments', index, ...path];
    if (ids.has(experiment.id)) {
      context.addIssue({
        code: 'custom',
        path: at('id'),
        input: experiment.id,
        message: 'duplicate experiment id',
      });
    }
    ids.add(experiment.id);
    if (!modelNames.has(experiment.model)) {
      context.addIssue({
        code: 'custom',
        path: at('model'),
        input: experiment.model,
        message: `not a model alias; use one of: ${known}`,
      });
    }
    if (experiment.enabled && models.has(experiment.model)) {
      context.addIssue({
        code: 'custom',
        path: at('model'),
        input: experiment.model,
        message: 'another enabled experiment already splits this model; disable one',
      });
    }
    if (experiment.enabled) models.add(experiment.model);
    const variantIds = new Set<string>();
    experiment.variants.forEach((variant, variantIndex) => {
      if (variantIds.has(variant.id)) {
        context.addIssue({
          code: 'custom',
          path: at('variants', variantIndex, 'id'),
          input: variant.id,
          message: 'duplicate variant id in this experiment',
        });
      }
      variantIds.add(variant.id);
      if (variant.model !== undefined && !modelNames.has(variant.model) && !variant.model.includes('/')) {
        context.addIssue({
          code: 'custom',
          path: at('variants', variantIndex, 'model'),
          input: variant.model,
          message: `not a model alias or provider/model; use one of: ${known}`,
        });
      }
    });
    if (experiment.variants.every((variant) => variant.weight === 0)) {
      context.addIssue({
        code: 'custom',
        path: at('variants'),
        message: 'every weight is 0; give one variant traffic',
      });
    }
  });
}
