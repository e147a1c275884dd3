import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfigFile,
  parseConfigText,
  substituteEnv,
  validateConfig,
} from './load-config.js';

const exampleYaml = `
server: { port: 8080 }
providers:
  - { id: primary, type: openai, baseUrl: "http://127.0.0.1:9101/v1", apiKey: "\${PRIMARY_KEY}" }
  - { id: claude,  type: anthropic, baseUrl: "http://127.0.0.1:9102", apiKey: "\${CLAUDE_KEY}" }
  - { id: gemini,  type: gemini, baseUrl: "http://127.0.0.1:9103", apiKey: "\${GEMINI_KEY}" }
  - { id: sim,     type: mock, latencyMs: { p50: 300, p99: 1500 }, errorRate: 0.02 }
models:
  - name: chat-default
    strategy: fallback
    targets:
      - { provider: primary, model: gpt-4o-mini }
      - { provider: claude,  model: claude-3-5-haiku-latest }
reliability:
  timeoutMs: 30000
  retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 5000 }
  circuitBreaker: { consecutiveFailures: 5, errorRateThreshold: 0.5, minimumRequests: 10, windowMs: 60000, cooldownMs: 30000 }
`;

const exampleEnv = { PRIMARY_KEY: 'sk-primary', CLAUDE_KEY: 'sk-ant-claude', GEMINI_KEY: 'AIza-gemini' };

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'keel-config-test-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text, 'utf8');
  return path;
}

async function loadError(path: string, env: Record<string, string | undefined> = {}): Promise<ConfigError> {
  try {
    await loadConfigFile(path, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without a ConfigError`);
}

describe('loadConfigFile: the example config', () => {
  it('parses, fills the keys from the environment and the defaults', async () => {
    const path = await writeConfig('example.yaml', exampleYaml);
    const config = await loadConfigFile(path, exampleEnv);

    expect(config.server).toEqual({
      port: 8080,
      host: '127.0.0.1',
      bodyLimitBytes: 4 * 1024 * 1024,
      shutdownGraceMs: 10_000,
      allowDirectModels: true,
    });
    expect(config.logging).toEqual({ level: 'info' });
    expect(config.providers).toEqual([
      {
        id: 'primary',
        type: 'openai',
        baseUrl: 'http://127.0.0.1:9101/v1',
        apiKey: 'sk-primary',
      },
      {
        id: 'claude',
        type: 'anthropic',
        baseUrl: 'http://127.0.0.1:9102',
        apiKey: 'sk-ant-claude',
        anthropicVersion: '2023-06-01',
        defaultMaxTokens: 4096,
      },
      {
        id: 'gemini',
        type: 'gemini',
        baseUrl: 'http://127.0.0.1:9103',
        apiKey: 'AIza-gemini',
      },
      {
        id: 'sim',
        type: 'mock',
        latencyMs: { p50: 300, p99: 1500 },
        errorRate: 0.02,
        errorKinds: ['429', '500', '503', 'timeout', 'reset', 'cut'],
        retryAfterMs: 1000,
        outputTokens: 40,
      },
    ]);
    expect(config.models).toEqual([
      {
        name: 'chat-default',
        strategy: 'fallback',
        targets: [
          { provider: 'primary', model: 'gpt-4o-mini', weight: 1 },
          { provider: 'claude', model: 'claude-3-5-haiku-latest', weight: 1 },
        ],
      },
    ]);
    expect(config.reliability).toEqual({
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
    });
    expect(config.routes).toEqual([]);
  });

  it('returns a deeply frozen config', async () => {
    const path = await writeConfig('frozen.yaml', exampleYaml);
    const config = await loadConfigFile(path, exampleEnv);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.providers[3])).toBe(true);
    expect(Object.isFrozen(config.models[0]?.targets[1])).toBe(true);
    expect(Object.isFrozen(config.reliability.retry)).toBe(true);
    expect(Object.isFrozen(config.reliability.circuitBreaker)).toBe(true);
    // ES modules run in strict mode: writes to frozen objects throw.
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.providers as unknown[]).push({});
    }).toThrow(TypeError);
    expect(config.server.port).toBe(8080);
  });

  it('reports every unset environment variable, naming the option and the variable', async () => {
    const path = await writeConfig('no-env.yaml', exampleYaml);
    const error = await loadError(path, { CLAUDE_KEY: 'set' });
    expect(error.problems).toEqual([
      'providers[0].apiKey: environment variable PRIMARY_KEY is not set; export PRIMARY_KEY=... or write ${PRIMARY_KEY:-default}',
      'providers[2].apiKey: environment variable GEMINI_KEY is not set; export GEMINI_KEY=... or write ${GEMINI_KEY:-default}',
    ]);
  });
});

describe('environment substitution', () => {
  const config = (apiKey: string, headers: Record<string, string> = {}) =>
    JSON.stringify({ providers: [{ id: 'primary', type: 'openai', apiKey, headers }] });

  it.each([
    // written, env, expected value
    ['${KEY}', { KEY: 'sk-1' }, 'sk-1'],
    ['${KEY:-fallback}', { KEY: 'sk-1' }, 'sk-1'],
    ['${KEY:-fallback}', {}, 'fallback'],
    ['${KEY:-fallback}', { KEY: '' }, 'fallback'],
    ['${KEY:-}', {}, ''],
    ['prefix-${A}-${B:-b}-suffix', { A: 'a' }, 'prefix-a-b-suffix'],
    ['no placeholders: $KEY {KEY}', { KEY: 'x' }, 'no placeholders: $KEY {KEY}'],
  ])('%s with %j gives %j', (written, env, expected) => {
    const loaded = parseConfigText(config(written), { source: 'inline.json', env });
    expect(loaded.providers[0]).toMatchObject({ apiKey: expected });
  });

  it('fills placeholders inside nested records too', () => {
    const loaded = parseConfigText(config('k', { Authorization: 'Bearer ${TOKEN}' }), {
      source: 'inline.json',
      env: { TOKEN: 't0ken' },
    });
    expect(loaded.providers[0]).toMatchObject({ headers: { Authorization: 'Bearer t0ken' } });
  });

  it('treats an empty variable without a default as unset', () => {
    expect(() => parseConfigText(config('${KEY}'), { source: 'inline.json', env: { KEY: '' } })).toThrow(
      'providers[0].apiKey: environment variable KEY is not set',
    );
  });

  it('substituteEnv leaves non-strings alone and records the path of each missing variable', () => {
    const problems: string[] = [];
    const result = substituteEnv(
      { a: [1, true, null, '${X}', { b: '${Y:-y}' }], c: '${Z}' },
      { X: 'x' },
      problems,
    );
    expect(result).toEqual({ a: [1, true, null, 'x', { b: 'y' }], c: '' });
    expect(problems).toEqual(['c: environment variable Z is not set; export Z=... or write ${Z:-default}']);
  });
});

describe('loadConfigFile: file formats and unreadable files', () => {
  it('reads a .json config as JSON', async () => {
    const path = await writeConfig(
      'keel.json',
      JSON.stringify({
        server: { port: 9000 },
        providers: [{ id: 'sim', type: 'mock', seed: 3 }],
        models: [{ name: 'm', targets: [{ provider: 'sim', model: 'x' }] }],
      }),
    );
    const config = await loadConfigFile(path, {});
    expect(config.server.port).toBe(9000);
    expect(config.providers[0]).toMatchObject({ id: 'sim', type: 'mock', seed: 3 });
    expect(config.models[0]?.targets).toEqual([{ provider: 'sim', model: 'x', weight: 1 }]);
  });

  it('rejects a .json file that is not JSON', async () => {
    const path = await writeConfig('broken.json', 'providers:\n  - { id: sim, type: mock }\n');
    const error = await loadError(path);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^the file is not valid YAML or JSON: /);
  });

  it('rejects invalid YAML with one problem naming the file', async () => {
    const path = await writeConfig('broken.yaml', 'providers:\n  - { id: sim, type: mock\nmodels: [\n');
    const error = await loadError(path);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('KEEL_CONFIG_INVALID');
    expect(error.status).toBe(500);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^the file is not valid YAML or JSON: \S/);
    expect(error.message).toBe(`invalid config (${path}):\n  - ${error.problems[0]}`);
  });

  it('reports a missing file and how to fix it', async () => {
    const path = join(directory, 'does-not-exist.yaml');
    const error = await loadError(path);
    expect(error.problems).toEqual([
      'cannot read the config file: no such file; pass an existing file to --config',
    ]);
    expect(error.message).toContain(path);
  });

  it('reports an empty file as missing its providers', async () => {
    const path = await writeConfig('empty.yaml', '');
    const error = await loadError(path);
    expect(error.problems).toEqual(['providers: required; add a list (see docs/configuration.md)']);
  });

  it('reports a file that is not a mapping', async () => {
    const path = await writeConfig('scalar.yaml', 'just some text\n');
    const error = await loadError(path);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^\(top level\): got "just some text"; .*object/);
  });
});

describe('config errors never echo a secret', () => {
  const sim = { id: 'sim', type: 'mock' };
  const http = { id: 'up', type: 'openai', baseUrl: 'http://127.0.0.1:9101/v1' };
  const problemsOf = (raw: Record<string, unknown>): string[] => {
    try {
      validateConfig(raw, { source: 'test', env: {} });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('the config was accepted');
  };
  const hidden = 'got a value (hidden: it may hold a secret)';

  it.each([
    [
      'a webhook URL without its scheme',
      {
        providers: [sim],
        notifications: { webhooks: [{ id: 'slack', url: 'hooks.slack.com/services/T/B/SECRETTOKEN' }] },
      },
      `notifications.webhooks[0].url: ${hidden}; Invalid URL`,
    ],
    [
      'a webhook URL with a bad scheme',
      {
        providers: [sim],
        notifications: { webhooks: [{ id: 'slack', url: 'ftp://hooks.example.com/SECRETTOKEN' }] },
      },
      `notifications.webhooks[0].url: ${hidden}; Invalid URL`,
    ],
    [
      'a webhook written as its URL alone',
      { providers: [sim], notifications: { webhooks: ['https://hooks.slack.com/services/T/B/SECRETTOKEN'] } },
      `notifications.webhooks[0]: ${hidden}; write an object instead`,
    ],
    [
      'a webhook header value that is not a string',
      {
        providers: [sim],
        notifications: {
          webhooks: [
            { id: 'hook', url: 'http://127.0.0.1:9/h', headers: { authorization: ['Bearer SECRETTOKEN'] } },
          ],
        },
      },
      `notifications.webhooks[0].headers.authorization: ${hidden}; write a string instead`,
    ],
    [
      'a provider apiKey that is not a string',
      { providers: [{ ...http, apiKey: ['SECRETTOKEN'] }] },
      `providers[0].apiKey: ${hidden}; write a string instead`,
    ],
    [
      'provider headers written as a list',
      { providers: [{ ...http, headers: ['x-api-key: SECRETTOKEN'] }] },
      `providers[0].headers: ${hidden}; write a record instead`,
    ],
    [
      'a tracing header that is not a string',
      { providers: [sim], telemetry: { tracing: { headers: { authorization: ['SECRETTOKEN'] } } } },
      `telemetry.tracing.headers.authorization: ${hidden}; write a string instead`,
    ],
  ])('hides %s', (_name, raw, expected) => {
    const problems = problemsOf(raw);
    expect(problems).toContain(expected);
    expect(problems.join('\n')).not.toContain('SECRETTOKEN');
  });

  it('shows a Redis URL with its password masked, and hides one that does not parse', () => {
    expect(problemsOf({ providers: [sim], state: { redis: 'http://:SECRETTOKEN@cache:6379' } })).toEqual([
      expect.stringMatching(/^state\.redis: got "http:\/\/:\*\*\*@cache:6379\/?"; not a Redis URL/),
    ]);
    const unparseable = problemsOf({ providers: [sim], state: { redis: 'SECRETTOKEN@cache' } });
    expect(unparseable.join('\n')).not.toContain('SECRETTOKEN');
  });

  it('still echoes values that are not secrets', () => {
    expect(
      problemsOf({
        providers: [sim],
        notifications: { webhooks: [{ id: 'hook', url: 'http://127.0.0.1:9/h', format: 'teams' }] },
      }),
    ).toEqual(['notifications.webhooks[0].format: got "teams"; use one of "json", "slack"']);
  });
});
