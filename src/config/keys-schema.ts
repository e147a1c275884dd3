// The `keys` section: where gateway keys are stored, whether one is required, and keys declared in the config.
import { z } from 'zod';

const name = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.:@-]+$/, 'use letters, digits and _ . : @ -');

const label = z.string().min(1).max(200);

/** The fields a key is made with, shared by keys.static, POST /api/keys and `keel keys create`. */
export const newKeyShape = {
  name: name.describe('A name people recognise ("checkout-prod"); shown in lists and errors.'),
  team: label.optional().describe('Team that owns the key; recorded on every request as team.'),
  application: label
    .optional()
    .describe("Recorded as the request's application; wins over x-keel-application."),
  environment: label
    .optional()
    .describe("Recorded as the request's environment; wins over x-keel-environment."),
  allowedModels: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      'Aliases or provider/model this key may call ("provider/*": all of one provider); default any.',
    ),
  rateLimits: z
    .strictObject({
      requestsPerMinute: z.number().int().positive().optional(),
      tokensPerMinute: z.number().int().positive().optional(),
    })
    .optional()
    .describe('Per-key limits, enforced by the rate-limit policy.'),
  budget: z
    .strictObject({
      dailyUsd: z.number().positive().optional(),
      monthlyUsd: z.number().positive().optional(),
    })
    .optional()
    .describe('Per-key spend limits, enforced by the budget policy.'),
};

/** POST /api/keys and `keel keys create`. */
export const newKeySchema = z.strictObject(newKeyShape);

const sha256Hex = /^[0-9a-f]{64}$/;

export const staticKeySchema = z
  .strictObject({
    ...newKeyShape,
    secret: z
      .string()
      .optional()
      .describe('The secret, as ${ENV_VAR} (never written in the file); at least 32 characters.'),
    secretHash: z
      .string()
      .optional()
      .describe(
        'SHA-256 of the secret, 64 hex characters (`keel keys generate` prints both); instead of secret.',
      ),
  })
  .superRefine((key, context) => {
    // Issues here never carry `input`: a config error must not print a secret.
    if ((key.secret === undefined) === (key.secretHash === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'set exactly one of secret (as ${ENV_VAR}) or secretHash',
      });
    }
    if (key.secret !== undefined && key.secret.length < 32) {
      context.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'too short for a key (fewer than 32 characters); generate one with `keel keys generate`',
      });
    }
    if (key.secretHash !== undefined && !sha256Hex.test(key.secretHash)) {
      context.addIssue({
        code: 'custom',
        path: ['secretHash'],
        message: 'write the SHA-256 of the secret as 64 lowercase hex characters',
      });
    }
  });

export const keysSchema = z
  .strictObject({
    path: z
      .string()
      .min(1)
      .default('./data/keys.db')
      .describe(
        'SQLite file of the keys made with the CLI or /api/keys (hashes only); its directory is created.',
      ),
    required: z
      .boolean()
      .default(false)
      .describe('Refuse every request while no key exists, instead of running open.'),
    static: z
      .array(staticKeySchema)
      .default([])
      .describe('Keys declared in the config (GitOps); their id is key_static_<name>.'),
  })
  .superRefine((keys, context) => {
    const names = new Set<string>();
    keys.static.forEach((key, index) => {
      if (names.has(key.name)) {
        context.addIssue({
          code: 'custom',
          path: ['static', index, 'name'],
          input: key.name,
          message: 'duplicate key name; each static key needs its own name (it makes the id)',
        });
      }
      names.add(key.name);
    });
  });

export type KeysConfig = z.output<typeof keysSchema>;
export type StaticKeyConfig = KeysConfig['static'][number];
