// The `probes` section: synthetic calls per environment and model, on an interval, measured and stored.
import { z } from 'zod';

/** The metadata application probe calls carry (x-keel-application), so a Keel can tell them from traffic. */
export const PROBE_APPLICATION = 'keel-probe';

const url = z
  .url({ protocol: /^https?$/, error: 'write an http:// or https:// URL' })
  .refine(
    (text) => {
      const parsed = new URL(text);
      return parsed.username === '' && parsed.password === '';
    },
    {
      message:
        'credentials in the URL are not sent; name the variable holding them in apiKeyEnv or usageApiKeyEnv',
    },
  )
  .describe('An http(s) URL.');

const envName = z
  .string()
  .regex(/^[A-Za-z0-9][\w.-]{0,63}$/, 'write 1-64 letters, digits, ".", "_" or "-"')
  .describe('Environment name, e.g. prod.');

const modelName = z.string().min(1).max(200);

const envVariable = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'write an environment variable name, e.g. PROD_KEEL_KEY')
  .optional();
const apiKeyEnv = envVariable.describe(
  'Environment variable holding the bearer key sent with the probe calls (never the key itself).',
);
const usageApiKeyEnv = envVariable.describe(
  'Environment variable holding the bearer token sent to the usage endpoint, e.g. a Keel’s admin token; default: the apiKeyEnv one.',
);

export const probeEnvironmentSchema = z.strictObject({
  name: envName,
  baseUrl: url
    .optional()
    .describe(
      'Full mode: this environment’s OpenAI-compatible base URL (a Keel or a provider), without /v1. Simple mode: leave out.',
    ),
  apiKeyEnv,
  usageApiKeyEnv,
  usageUrl: url
    .optional()
    .describe(
      'A usage endpoint listing the models this environment uses (docs/operations.md#probes); probed models follow it.',
    ),
  models: z
    .array(modelName)
    .default([])
    .describe('Models probed in this environment in addition to the usage endpoint’s and probes.models.'),
});

export const probesSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Run the probe loop.'),
    mode: z
      .enum(['simple', 'full'])
      .default('simple')
      .describe(
        'simple: one set of endpoints (probes.baseUrl, default this Keel) measured for every environment, labelled with it; full: each environment has its own baseUrl.',
      ),
    intervalMs: z.number().int().min(1000).default(60_000).describe('Time between probe cycles (ms).'),
    timeoutMs: z.number().int().positive().default(30_000).describe('Deadline of one probe call (ms).'),
    prompt: z
      .string()
      .min(1)
      .max(4000)
      .default('Reply with the single word: pong')
      .describe('The user message each probe sends.'),
    expect: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Expected answer: a case-insensitive substring, or /pattern/flags for a regular expression. Without it any non-empty answer passes.',
      ),
    maxTokens: z.number().int().positive().max(4096).default(16).describe('max_tokens of a probe call.'),
    concurrency: z.number().int().min(1).max(64).default(4).describe('Most probe calls in flight at once.'),
    baseUrl: url
      .optional()
      .describe('Simple mode: the base URL probed for every environment, without /v1; default this Keel.'),
    apiKeyEnv,
    usageApiKeyEnv,
    usageUrl: url
      .optional()
      .describe('Simple mode: the usage endpoint listing the models to probe (e.g. a Keel’s /api/stats).'),
    models: z.array(modelName).default([]).describe('Models probed in every environment.'),
    environments: z
      .array(probeEnvironmentSchema)
      .min(1)
      .default([{ name: 'dev' }, { name: 'test' }, { name: 'qa' }, { name: 'prod' }].map(withDefaults))
      .describe('The environments probed; default dev, test, qa and prod (seed 003’s four).'),
    retentionMs: z
      .number()
      .int()
      .positive()
      .default(30 * 86_400_000)
      .describe('How long measurements are kept in the ops database (ms); default 30 days.'),
  })
  .superRefine((probes, context) => {
    const seen = new Set<string>();
    probes.environments.forEach((environment, index) => {
      const path = ['environments', index];
      if (seen.has(environment.name)) {
        context.addIssue({
          code: 'custom',
          path: [...path, 'name'],
          message: `environment ${JSON.stringify(environment.name)} is listed twice`,
        });
      }
      seen.add(environment.name);
      if (probes.mode === 'full' && environment.baseUrl === undefined) {
        context.addIssue({
          code: 'custom',
          path: [...path, 'baseUrl'],
          message: 'full mode probes each environment at its own baseUrl; write one',
        });
      }
      if (probes.mode === 'simple' && environment.baseUrl !== undefined) {
        context.addIssue({
          code: 'custom',
          path: [...path, 'baseUrl'],
          message: 'simple mode probes every environment through probes.baseUrl; set that, or use mode: full',
        });
      }
    });
    if (probes.mode === 'full' && probes.baseUrl !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['baseUrl'],
        message: 'full mode uses each environment’s baseUrl; remove probes.baseUrl or use mode: simple',
      });
    }
    // The runner reads probes.usageUrl in simple mode only: in full mode it would be ignored silently.
    if (probes.mode === 'full' && probes.usageUrl !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['usageUrl'],
        message:
          'full mode reads each environment’s usageUrl; move it to probes.environments[].usageUrl or use mode: simple',
      });
    }
    if (probes.expect !== undefined) {
      try {
        parseExpectation(probes.expect);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['expect'], message: (error as Error).message });
      }
    }
  });

function withDefaults(environment: { name: string }): z.output<typeof probeEnvironmentSchema> {
  return { ...environment, models: [] };
}

/** The validated `probes` section. */
export type ProbesConfig = z.output<typeof probesSchema>;
/** One validated `probes.environments` entry. */
export type ProbeEnvironmentConfig = z.output<typeof probeEnvironmentSchema>;

/**
 * Turns `expect` into a test of an answer: `/pattern/flags` is a regular expression, anything else a
 * case-insensitive substring.
 *
 * @throws SyntaxError when a /pattern/ does not compile.
 * @example parseExpectation('pong')('PONG!') // true
 */
export function parseExpectation(expect: string): (answer: string) => boolean {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(expect);
  if (regex?.[1] !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(regex[1], (regex[2] ?? '').replace('g', ''));
    } catch (error) {
      throw new SyntaxError(
        `expect ${JSON.stringify(expect)} is not a regular expression: ${(error as Error).message}`,
      );
    }
    return (answer) => {
      // A sticky (y) pattern moves lastIndex on each test: start every answer from its beginning.
      pattern.lastIndex = 0;
      return pattern.test(answer);
    };
  }
  const needle = expect.toLowerCase();
  return (answer) => answer.toLowerCase().includes(needle);
}
