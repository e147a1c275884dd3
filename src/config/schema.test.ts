import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from './load-config.js';
import { configSchema, type KeelConfigInput } from './schema.js';

const mock = (id: string) => ({ id, type: 'mock' as const });

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    validateConfig(raw, { source: 'test.yaml', env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('configSchema defaults', () => {
  it('fills every default from a config that names only one provider', () => {
    const config = validateConfig({ providers: [mock('sim')] }, { source: 'minimal.yaml', env: {} });
    expect(config).toEqual({
      server: {
        port: 8080,
        host: '127.0.0.1',
        bodyLimitBytes: 4_194_304,
        shutdownGraceMs: 10_000,
        allowDirectModels: true,
      },
      logging: { level: 'info' },
      providers: [
        {
          id: 'sim',
          type: 'mock',
          latencyMs: { p50: 300, p99: 1500 },
          errorRate: 0,
          errorKinds: ['429', '500', '503', 'timeout', 'reset', 'cut'],
          retryAfterMs: 1000,
          outputTokens: 40,
        },
      ],
      models: [],
      reliability: {
        timeoutMs: 30_000,
        idleMs: 60_000,
        retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 10_000 },
        circuitBreaker: {
          consecutiveFailures: 5,
          errorRateThreshold: 0.5,
          minimumRequests: 10,
          windowMs: 60_000,
          cooldownMs: 30_000,
          halfOpenProbes: 1,
        },
      },
      routes: [],
      telemetry: {
        store: {
          enabled: true,
          path: './data/keel.db',
          rawRetentionMs: 7 * 86_400_000,
          rollupRetentionMs: 90 * 86_400_000,
          hourlyRollupRetentionMs: 400 * 86_400_000,
          batchSize: 500,
          flushIntervalMs: 1000,
          spoolPath: './data/spool.jsonl',
        },
        content: { capture: true, redact: true, previewChars: 200 },
        jsonl: { enabled: false, dir: './data/telemetry', maxBytes: 100 * 1024 * 1024, maxFiles: 30 },
        statsd: {
          enabled: false,
          protocol: 'dogstatsd',
          prefix: 'keel.',
          globalTags: {},
          sampleRate: 1,
          metadataTags: { environment: [], application: [] },
          maxBufferBytes: 1432,
          flushIntervalMs: 1000,
        },
        metrics: { enabled: true },
        tracing: {
          enabled: false,
          endpoint: 'http://127.0.0.1:4318/v1/traces',
          headers: {},
          serviceName: 'keel',
          sampleRatio: 1,
          exportTimeoutMs: 10_000,
          maxQueueSize: 2048,
        },
      },
      pricing: { overrides: [] },
      experiments: [],
      cache: {
        enabled: false,
        ttlMs: 3_600_000,
        scope: 'key',
        maxEntryChars: 1_000_000,
        maxEntries: 10_000,
        maxChars: 100_000_000,
      },
      keys: { path: './data/keys.db', required: false, static: [] },
      state: {
        keyPrefix: 'keel:',
        commandTimeoutMs: 200,
        connectTimeoutMs: 2_000,
        breakerSyncIntervalMs: 2_000,
        failureMode: { rateLimits: 'open', budgets: 'closed' },
      },
      rateLimits: { keys: {}, models: [], defaultOutputTokens: 1024 },
      monitors: {
        evaluationIntervalMs: 15_000,
        definitions: [],
        defaultPack: true,
        historyRetentionMs: 604_800_000,
      },
      notifications: { webhooks: [] },
      incidents: { autoResolve: true, quietPeriodMs: 900_000, notify: [] },
      ops: { path: './data/ops.db' },
      quality: {
        judge: {
          enabled: false,
          sampleRate: 0.05,
          maxConcurrent: 2,
          maxQueue: 100,
          timeoutMs: 30_000,
          retentionMs: 2_592_000_000,
        },
      },
      probes: {
        enabled: false,
        mode: 'simple',
        intervalMs: 60_000,
        timeoutMs: 30_000,
        prompt: 'Reply with the single word: pong',
        maxTokens: 16,
        concurrency: 4,
        models: [],
        environments: ['dev', 'test', 'qa', 'prod'].map((name) => ({ name, models: [] })),
        retentionMs: 2_592_000_000,
      },
    });
  });

  it('refuses a price override whose match is not a regular expression', () => {
    const problems = problemsOf({
      providers: [mock('sim')],
      pricing: { overrides: [{ match: 'gpt-4o(', input: 1, output: 2 }] },
    });
    expect(problems).toEqual([
      'pricing.overrides[0].match: got "gpt-4o("; not a valid regular expression; escape special characters such as "." and "("',
    ]);
  });

  it('refuses a state.redis that is not a Redis URL with its password redacted, and rate limits of unknown or repeated models', () => {
    const problems = problemsOf(
      {
        providers: [mock('sim')],
        state: { redis: '${KEEL_REDIS_URL}' },
        models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
        rateLimits: {
          models: [
            { model: 'chat', requestsPerMinute: 5 },
            { model: 'chat', tokensPerMinute: 9 },
            { model: 'sim/any-model', requestsPerMinute: 1 },
            { model: 'caht', requestsPerMinute: 1 },
          ],
        },
      },
      { KEEL_REDIS_URL: 'http://:hunter2@cache:6379' },
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^state\.redis: got "http:\/\/:\*\*\*@cache:6379\/?"; not a Redis URL; write redis:\/\//,
    );
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems[1]).toBe(
      'rateLimits.models[1].model: got "chat"; this model already has limits; merge the two entries into one',
    );
    expect(problems[2]).toBe(
      'rateLimits.models[3].model: got "caht"; no model has this name; use an alias (chat) or provider/model',
    );
    const config = validateConfig(
      { providers: [mock('sim')], state: { redis: '${KEEL_REDIS_URL}', failureMode: { budgets: 'open' } } },
      { source: 'test', env: { KEEL_REDIS_URL: 'redis://:hunter2@cache:6379/1' } },
    );
    expect(config.state).toMatchObject({
      redis: 'redis://:hunter2@cache:6379/1',
      failureMode: { rateLimits: 'open', budgets: 'open' },
    });
  });

  it('refuses StatsD options plain statsd cannot send, naming the fix', () => {
    const problems = problemsOf({
      providers: [mock('sim')],
      telemetry: {
        statsd: {
          protocol: 'statsd',
          durationType: 'distribution',
          globalTags: { env: 'prod' },
          sampleRate: 0,
        },
      },
    });
    expect(problems).toEqual([
      'telemetry.statsd.sampleRate: got 0; use a value above 0',
      'telemetry.statsd.durationType: got "distribution"; plain statsd has no distribution or histogram type; use "timer" or protocol "dogstatsd"',
      'telemetry.statsd.globalTags: plain statsd has no tags; put them in prefix (e.g. "keel.prod.") or use protocol "dogstatsd"',
    ]);
  });

  it('fills the defaults of a partly written section', () => {
    const config = validateConfig(
      {
        providers: [mock('sim')],
        reliability: { retry: { maxAttempts: 4 }, circuitBreaker: { cooldownMs: 5 } },
      },
      { source: 'partial.yaml', env: {} },
    );
    expect(config.reliability.retry).toEqual({
      maxAttempts: 4,
      initialDelayMs: 200,
      maxDelayMs: 5000,
      maxRetryAfterMs: 10_000,
    });
    expect(config.reliability.circuitBreaker.cooldownMs).toBe(5);
    expect(config.reliability.circuitBreaker.consecutiveFailures).toBe(5);
  });

  it('gives each HTTP provider type its documented base URL', () => {
    const config = validateConfig(
      {
        providers: [
          { id: 'o', type: 'openai' },
          { id: 'a', type: 'anthropic' },
          { id: 'g', type: 'gemini' },
          { id: 'h', type: 'huggingface' },
        ],
      },
      { source: 'defaults.yaml', env: {} },
    );
    expect(config.providers).toEqual([
      { id: 'o', type: 'openai', baseUrl: 'https://api.openai.com/v1' },
      {
        id: 'a',
        type: 'anthropic',
        baseUrl: 'https://api.anthropic.com',
        anthropicVersion: '2023-06-01',
        defaultMaxTokens: 4096,
      },
      { id: 'g', type: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com' },
      { id: 'h', type: 'huggingface', api: 'chat', promptTemplate: 'mistral' },
    ]);
  });

  it('fills tracing export headers from the environment', () => {
    const config = validateConfig(
      {
        providers: [mock('sim')],
        telemetry: { tracing: { enabled: true, headers: { authorization: 'Bearer ${OTLP_TOKEN}' } } },
      },
      { source: 'test', env: { OTLP_TOKEN: 'secret' } },
    );
    expect(config.telemetry.tracing).toMatchObject({
      enabled: true,
      headers: { authorization: 'Bearer secret' },
      sampleRatio: 1,
    });
  });

  it('does not let one config change the defaults of the next', () => {
    const first = configSchema.parse({ providers: [mock('a')] });
    const second = configSchema.parse({ providers: [mock('b')] });
    expect(second.reliability).toEqual(first.reliability);
    expect(second.providers[0]).toMatchObject({
      errorKinds: ['429', '500', '503', 'timeout', 'reset', 'cut'],
    });
  });
});

describe('config problems name the option, the bad value and the fix', () => {
  it('a typo in a provider type names the type option, the typo and the valid types', () => {
    const problems = problemsOf({ providers: [mock('sim'), { id: 'primary', type: 'opnai' }] });
    expect(problems).toHaveLength(1);
    // The option at fault is providers[1].type (not providers[1].type.type), and its value is "opnai".
    expect(problems[0]).toMatch(/^providers\[1\]\.type: /);
    expect(problems[0]).toContain('got "opnai"');
    expect(problems[0]).toContain('use one of openai, anthropic, gemini, huggingface, mock');
  });

  it('an unknown option names where it is, the key and what to do', () => {
    expect(problemsOf({ server: { prot: 8080 }, providers: [mock('sim')] })).toEqual([
      'server: unknown option "prot"; remove it or check its spelling in docs/configuration.md',
    ]);
    expect(problemsOf({ providers: [{ ...mock('sim'), latency: 1, errorrate: 0.1 }] })).toEqual([
      'providers[0]: unknown options "latency", "errorrate"; remove it or check its spelling in docs/configuration.md',
    ]);
  });

  it.each([
    // config, option path, bad value as written back, what the fix must mention
    [{ reliability: { timeoutMs: '30s' } }, 'reliability.timeoutMs', '"30s"', /number/],
    [{ reliability: { retry: { maxAttempts: 0 } } }, 'reliability.retry.maxAttempts', '0', /\b1\b/],
    [
      { reliability: { retry: { maxAttempts: 2.5 } } },
      'reliability.retry.maxAttempts',
      '2.5',
      /whole number/,
    ],
    [
      { reliability: { circuitBreaker: { errorRateThreshold: 1.5 } } },
      'reliability.circuitBreaker.errorRateThreshold',
      '1.5',
      /\b1\b/,
    ],
    [{ server: { port: 70_000 } }, 'server.port', '70000', /65535|65_535/],
    [{ telemetry: { tracing: { sampleRatio: 2 } } }, 'telemetry.tracing.sampleRatio', '2', /\b1\b/],
  ])('a bad number %j names %s and the value %s', (section, path, value, fix) => {
    const problems = problemsOf({ ...section, providers: [mock('sim')] });
    expect(problems).toHaveLength(1);
    const prefix = `${path}: got ${value}; `;
    expect(problems[0]?.slice(0, prefix.length)).toBe(prefix);
    expect(problems[0]?.slice(prefix.length)).toMatch(fix);
  });

  it('a target naming an unknown provider lists the providers there are', () => {
    expect(
      problemsOf({
        providers: [mock('primary'), mock('claude')],
        models: [
          {
            name: 'chat',
            targets: [
              { provider: 'primary', model: 'a' },
              { provider: 'openai', model: 'b' },
            ],
          },
        ],
      }),
    ).toEqual([
      'models[0].targets[1].provider: got "openai"; no provider has this id; use one of: primary, claude',
    ]);
  });

  it('duplicate provider ids, model names and route paths are each reported', () => {
    const taken =
      '/, /health, /metrics, /models, /chat/completions, /ui, /docs, /redoc, /openapi.json, /v1, /v1/..., /api, /api/..., /ui/..., /docs/..., /redoc/...';
    expect(
      problemsOf({
        providers: [mock('sim'), mock('other'), mock('sim')],
        models: [
          { name: 'chat', targets: [{ provider: 'sim', model: 'a' }] },
          { name: 'chat', targets: [{ provider: 'other', model: 'b' }] },
        ],
        routes: [
          { path: '/qa', model: 'chat', template: '{{q}}' },
          { path: '/qa', model: 'chat', template: '{{q}}' },
          { path: '/v1/qa', model: 'chat', template: '{{q}}' },
        ],
      }),
    ).toEqual([
      'providers[2].id: got "sim"; duplicate provider id; give each provider its own id',
      'models[1].name: got "chat"; duplicate model name; each alias must be unique',
      `routes[1].path: got "/qa"; path is taken (a duplicate, or one of Keel's own: ${taken}); choose another`,
      `routes[2].path: got "/v1/qa"; path is taken (a duplicate, or one of Keel's own: ${taken}); choose another`,
    ]);
  });

  it('the API documentation paths are reserved', () => {
    const routes = ['/openapi.json', '/redoc', '/redoc/x', '/docs', '/docs/static/x'].map((path) => ({
      path,
      model: 'chat',
      template: '{{q}}',
    }));
    const problems = problemsOf({
      providers: [mock('sim')],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'a' }] }],
      routes,
    });
    const taken = problems.filter((problem) => problem.includes('path is taken'));
    expect(taken.map((problem) => problem.slice(0, problem.indexOf(';')))).toEqual(
      routes.map((route, index) => `routes[${index}].path: got "${route.path}"`),
    );
  });

  it('a missing required option says what to add', () => {
    expect(problemsOf({ providers: [mock('sim')], models: [{ name: 'chat' }] })).toEqual([
      'models[0].targets: required; add a list (see docs/configuration.md)',
    ]);
  });

  it('reports several problems at once, environment ones first', () => {
    const problems = problemsOf({
      server: { prot: 1 },
      providers: [{ id: 'primary', type: 'openai', apiKey: '${OPENAI_KEY}', baseUrl: 'not a url' }],
    });
    expect(problems).toEqual([
      'providers[0].apiKey: environment variable OPENAI_KEY is not set; export OPENAI_KEY=... or write ${OPENAI_KEY:-default}',
      'server: unknown option "prot"; remove it or check its spelling in docs/configuration.md',
      'providers[0].baseUrl: got "not a url"; Invalid URL',
    ]);
  });

  it.each([
    [{ providers: [] }, /^providers: got \[\]; /],
    [
      { providers: [{ ...mock('sim'), latencyMs: { p50: 500, p99: 100 } }] },
      /^providers\[0\]\.latencyMs: .*p99 must be at least p50$/,
    ],
    [{ providers: [{ ...mock('sim'), errorRate: 2 }] }, /^providers\[0\]\.errorRate: got 2; /],
    [
      { providers: [{ ...mock('sim'), script: ['ok', 'explode'] }] },
      /^providers\[0\]\.script\[1\]: got "explode"; /,
    ],
    [
      { providers: [{ id: 'has space', type: 'mock' }] },
      /^providers\[0\]\.id: got "has space"; use letters, digits/,
    ],
    [
      {
        providers: [mock('sim')],
        models: [{ name: 'm', strategy: 'random', targets: [{ provider: 'sim', model: 'x' }] }],
      },
      /^models\[0\]\.strategy: got "random"; /,
    ],
    [
      {
        providers: [mock('sim')],
        models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'x' }] }],
        routes: [{ path: '/qa', model: 'chat-typo', template: '{{q}}' }],
      },
      /^routes\[0\]\.model: got "chat-typo"; no model alias has this name; use one of: chat, or "provider\/model"$/,
    ],
    [
      {
        providers: [mock('sim')],
        models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'x' }] }],
        routes: [{ path: '/chat/completions', model: 'chat', template: '{{q}}' }],
      },
      /^routes\[0\]\.path: got "\/chat\/completions"; path is taken/,
    ],
    [
      { providers: [{ id: 'hf', type: 'huggingface', api: 'generate' }] },
      /^providers\[0\]\.baseUrl: api "generate" talks to a text-generation-inference server; set baseUrl to its root URL$/,
    ],
  ])('rejects %j', (raw, expected) => {
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });
});

describe('KeelConfigInput', () => {
  it('accepts a config object written in TypeScript', () => {
    const input: KeelConfigInput = {
      providers: [{ id: 'sim', type: 'mock', script: ['429', 'ok'] }],
      models: [{ name: 'm', strategy: 'weighted', targets: [{ provider: 'sim', model: 'x', weight: 2 }] }],
    };
    const config = validateConfig(input, { source: 'inline', env: {} });
    expect(config.models[0]?.targets[0]?.weight).toBe(2);
    expect(config.providers[0]).toMatchObject({ script: ['429', 'ok'] });
  });
});
