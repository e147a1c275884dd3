// The one schema of Keel's config file, with defaults. Validated once at start, then frozen.
import { z } from 'zod';
import { checkExperiments, experimentsSchema } from './experiments-schema.js';
import { cacheSchema } from './cache-schema.js';
import { checkRateLimitModels, rateLimitsSchema } from './rate-limits-schema.js';
import { stateSchema } from './state-schema.js';
import { budgetsSchema } from './budgets-schema.js';
import { limitsSchema } from './limits-schema.js';
import { telemetrySchema } from './telemetry-schema.js';
import { keysSchema } from './keys-schema.js';
import { checkMonitors } from './check-monitors.js';
import { incidentsSchema, monitorsSchema, notificationsSchema, opsSchema } from './monitors-schema.js';
import { checkQuality, qualitySchema } from './quality-schema.js';
import { probesSchema } from './probes-schema.js';

const id = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'use letters, digits, "_", "." or "-", starting with a letter or digit',
  );

const milliseconds = z.number().int().nonnegative();

const headers = z.record(z.string(), z.string()).optional().describe('Extra headers sent with every call.');

const httpProviderFields = {
  id: id.describe('Name used by model targets and in telemetry.'),
  apiKey: z.string().optional().describe('Secret; write "${ENV_VAR}" to read it from the environment.'),
  headers,
  connections: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Most connections open to this upstream at once; default: no limit (calls never queue in Keel).',
    ),
};

export const openAIProviderSchema = z.strictObject({
  ...httpProviderFields,
  type: z.literal('openai'),
  baseUrl: z
    .url()
    .default('https://api.openai.com/v1')
    .describe('Any OpenAI-compatible base URL, ending in /v1.'),
});

export const anthropicProviderSchema = z.strictObject({
  ...httpProviderFields,
  type: z.literal('anthropic'),
  baseUrl: z.url().default('https://api.anthropic.com'),
  anthropicVersion: z.string().default('2023-06-01'),
  defaultMaxTokens: z
    .number()
    .int()
    .positive()
    .default(4096)
    .describe('Anthropic requires max_tokens; used when the client sends none.'),
});

export const geminiProviderSchema = z.strictObject({
  ...httpProviderFields,
  type: z.literal('gemini'),
  baseUrl: z.url().default('https://generativelanguage.googleapis.com'),
});

export const huggingFaceProviderSchema = z.strictObject({
  ...httpProviderFields,
  type: z.literal('huggingface'),
  baseUrl: z.url().optional().describe('Default: the HF router for api "chat"; required for api "generate".'),
  api: z.enum(['chat', 'generate']).default('chat'),
  promptTemplate: z.enum(['mistral', 'chatml', 'llama3', 'plain']).default('mistral'),
});

export const mockErrorKinds = ['429', '500', '503', 'timeout', 'reset', 'cut'] as const;
export type MockErrorKind = (typeof mockErrorKinds)[number];

export const mockProviderSchema = z.strictObject({
  id,
  type: z.literal('mock'),
  latencyMs: z
    .strictObject({ p50: milliseconds, p99: milliseconds })
    .refine((latency) => latency.p99 >= latency.p50, { message: 'p99 must be at least p50' })
    .default({ p50: 300, p99: 1500 })
    .describe('Log-normal latency of a whole answer; a stream spreads it over its chunks.'),
  errorRate: z.number().min(0).max(1).default(0).describe('Share of calls that fail, 0..1.'),
  errorKinds: z
    .array(z.enum(mockErrorKinds))
    .min(1)
    .default([...mockErrorKinds])
    .describe('Failures to draw from when a call fails.'),
  retryAfterMs: milliseconds.default(1000).describe('Retry-After sent with simulated 429s.'),
  seed: z.number().int().optional().describe('Makes latencies, failures and answers repeatable.'),
  outputTokens: z.number().int().positive().default(40).describe('Typical answer length in tokens.'),
  script: z
    .array(z.enum(['ok', ...mockErrorKinds]))
    .optional()
    .describe('Outcomes to play in order, one per call, before falling back to errorRate.'),
});

export const providerSchema = z.discriminatedUnion('type', [
  openAIProviderSchema,
  anthropicProviderSchema,
  geminiProviderSchema,
  huggingFaceProviderSchema,
  mockProviderSchema,
]);

export const retrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(10).default(2).describe('Calls per target, the first included.'),
  initialDelayMs: milliseconds.default(200),
  maxDelayMs: milliseconds.default(5000),
  maxRetryAfterMs: milliseconds
    .default(10_000)
    .describe('Longest Retry-After honoured; a longer one fails over instead of waiting.'),
});

export const circuitBreakerSchema = z.strictObject({
  consecutiveFailures: z.number().int().positive().default(5),
  errorRateThreshold: z.number().gt(0).max(1).default(0.5),
  minimumRequests: z.number().int().positive().default(10),
  windowMs: z.number().int().positive().default(60_000),
  cooldownMs: z.number().int().positive().default(30_000),
  halfOpenProbes: z.number().int().positive().default(1).describe('Calls let through while half-open.'),
});

export const reliabilitySchema = z.strictObject({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe(
      'Deadline per request, all attempts and backoff; a stream is bound by it until its first token.',
    ),
  attemptTimeoutMs: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Deadline per attempt (for streams: until the first token); default: none.'),
  ttftMs: z.number().int().positive().optional().describe('Streams: deadline for the first token.'),
  idleMs: z
    .number()
    .int()
    .positive()
    .default(60_000)
    .describe('Streams: longest silence between chunks once the stream has started.'),
  retry: retrySchema.prefault({}),
  circuitBreaker: circuitBreakerSchema.prefault({}),
});

export const targetSchema = z.strictObject({
  provider: id,
  model: z.string().min(1),
  weight: z.number().positive().default(1).describe('Share of traffic under the weighted strategy.'),
});

export const modelSchema = z.strictObject({
  name: z.string().min(1).describe('The alias clients send as "model".'),
  strategy: z.enum(['fallback', 'weighted', 'least-latency']).default('fallback'),
  targets: z.array(targetSchema).min(1),
});

export const routeSchema = z.strictObject({
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'a URL path such as "/qa"'),
  model: z.string().min(1),
  system: z.string().optional(),
  template: z.string().min(1).describe('Prompt with {{variable}} placeholders filled from the JSON body.'),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  description: z.string().optional(),
});

export const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(8080),
  host: z.string().default('127.0.0.1'),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  shutdownGraceMs: milliseconds
    .default(10_000)
    .describe('How long in-flight requests may finish on SIGTERM.'),
  allowDirectModels: z.boolean().default(true).describe('Accept "provider/model" as well as aliases.'),
});

/** Paths Keel serves or keeps for its own endpoints (dashboard, metrics, docs); prompt routes may not take them. */
export const reservedPaths = [
  '/',
  '/health',
  '/metrics',
  '/models',
  '/chat/completions',
  '/ui',
  '/docs',
  '/redoc',
  '/openapi.json',
] as const;

function isReservedPath(path: string): boolean {
  return (
    (reservedPaths as readonly string[]).includes(path) ||
    path.startsWith('/v1/') ||
    path === '/v1' ||
    path.startsWith('/api/') ||
    path === '/api' ||
    path.startsWith('/ui/') ||
    path.startsWith('/docs/') ||
    path.startsWith('/redoc/')
  );
}

export const priceOverrideSchema = z.strictObject({
  provider: z.string().min(1).optional().describe('Provider type or id; any provider when absent.'),
  match: z.string().min(1).describe('Regular expression matched against the model id.'),
  input: z.number().min(0).describe('USD per 1M input tokens.'),
  output: z.number().min(0).describe('USD per 1M output tokens.'),
  cachedInput: z.number().min(0).optional().describe('USD per 1M cached input tokens; default: input.'),
  cacheWrite: z.number().min(0).optional().describe('USD per 1M cache-write tokens; default: input.'),
});

export const pricingSchema = z.strictObject({
  overrides: z.array(priceOverrideSchema).default([]),
});

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    server: serverSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    providers: z.array(providerSchema).min(1),
    models: z.array(modelSchema).default([]),
    reliability: reliabilitySchema.prefault({}),
    routes: z.array(routeSchema).default([]),
    telemetry: telemetrySchema.prefault({}),
    pricing: pricingSchema.prefault({}),
    experiments: experimentsSchema,
    cache: cacheSchema.prefault({}),
    keys: keysSchema.prefault({}),
    state: stateSchema.prefault({}),
    rateLimits: rateLimitsSchema.prefault({}),
    limits: limitsSchema.optional(),
    budgets: budgetsSchema.optional(),
    monitors: monitorsSchema.prefault({}),
    notifications: notificationsSchema.prefault({}),
    incidents: incidentsSchema.prefault({}),
    ops: opsSchema.prefault({}),
    quality: qualitySchema.prefault({}),
    probes: probesSchema.prefault({}),
  })
  .superRefine((config, context) => {
    const providerIds = new Set<string>();
    config.providers.forEach((provider, index) => {
      if (provider.type === 'huggingface' && provider.api === 'generate' && provider.baseUrl === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['providers', index, 'baseUrl'],
          message: 'api "generate" talks to a text-generation-inference server; set baseUrl to its root URL',
        });
      }
      if (providerIds.has(provider.id)) {
        context.addIssue({
          code: 'custom',
          path: ['providers', index, 'id'],
          input: provider.id,
          message: 'duplicate provider id; give each provider its own id',
        });
      }
      providerIds.add(provider.id);
    });
    const modelNames = new Set<string>();
    config.models.forEach((model, modelIndex) => {
      if (modelNames.has(model.name)) {
        context.addIssue({
          code: 'custom',
          path: ['models', modelIndex, 'name'],
          input: model.name,
          message: 'duplicate model name; each alias must be unique',
        });
      }
      modelNames.add(model.name);
      model.targets.forEach((target, targetIndex) => {
        if (!providerIds.has(target.provider)) {
          context.addIssue({
            code: 'custom',
            path: ['models', modelIndex, 'targets', targetIndex, 'provider'],
            input: target.provider,
            message: `no provider has this id; use one of: ${[...providerIds].join(', ')}`,
          });
        }
      });
    });
    config.pricing.overrides.forEach((override, index) => {
      try {
        new RegExp(override.match);
      } catch {
        context.addIssue({
          code: 'custom',
          path: ['pricing', 'overrides', index, 'match'],
          input: override.match,
          message: 'not a valid regular expression; escape special characters such as "." and "("',
        });
      }
    });
    checkExperiments(config, modelNames, context);
    checkMonitors(config, context);
    checkQuality(config, context);
    checkRateLimitModels(config, { modelNames, providerIds }, context);
    const paths = new Set<string>();
    config.routes.forEach((route, index) => {
      const normalized = route.path.replace(/\/+$/, '') || '/';
      if (paths.has(normalized) || isReservedPath(normalized)) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'path'],
          input: route.path,
          message: `path is taken (a duplicate, or one of Keel's own: ${reservedPaths.join(', ')}, /v1, /v1/..., /api, /api/..., /ui/..., /docs/..., /redoc/...); choose another`,
        });
      }
      paths.add(normalized);
      const slash = route.model.indexOf('/');
      const direct =
        config.server.allowDirectModels &&
        slash > 0 &&
        slash < route.model.length - 1 &&
        providerIds.has(route.model.slice(0, slash));
      if (!modelNames.has(route.model) && !direct) {
        const aliases = [...modelNames].join(', ') || '(none defined)';
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'model'],
          input: route.model,
          message: `no model alias has this name; use one of: ${aliases}${config.server.allowDirectModels ? ', or "provider/model"' : ''}`,
        });
      }
    });
  });

/** The config as written (before defaults). */
export type KeelConfigInput = z.input<typeof configSchema>;
/** The config after validation and defaults. */
export type KeelConfig = z.output<typeof configSchema>;
export type ProviderConfig = KeelConfig['providers'][number];
export type MockProviderConfig = z.output<typeof mockProviderSchema>;
export type ModelConfig = KeelConfig['models'][number];
export type RouteConfig = KeelConfig['routes'][number];
export type ReliabilityConfig = KeelConfig['reliability'];
export type RetryConfig = ReliabilityConfig['retry'];
export type CircuitBreakerConfig = ReliabilityConfig['circuitBreaker'];
export type { StatsdConfig } from './statsd-schema.js';
export type { CacheConfig } from './cache-schema.js';
export type { KeysConfig, StaticKeyConfig } from './keys-schema.js';
export type { TokenAverageConfig, TokenLimitsConfig } from './limits-schema.js';
export type { BudgetsConfig, SpendLimitConfig } from './budgets-schema.js';
export type {
  IncidentsConfig,
  MonitorDefinition,
  MonitorsConfig,
  NotificationsConfig,
} from './monitors-schema.js';
export type TelemetryConfig = KeelConfig['telemetry'];
export type PriceOverride = KeelConfig['pricing']['overrides'][number];
