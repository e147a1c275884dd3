// The `probes` config section: defaults, the simple/full cross-checks, names, and probes.expect.
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from './load-config.js';
import { parseExpectation, probesSchema } from './probes-schema.js';

function configOf(probes: Record<string, unknown>) {
  return validateConfig(
    { providers: [{ id: 'sim', type: 'mock' }], probes },
    { source: 'test.yaml', env: {} },
  );
}

function problemsOf(probes: Record<string, unknown>): string[] {
  try {
    configOf(probes);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

const environment = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });

describe('probes config', () => {
  it('defaults to a disabled simple-mode loop over dev, test, qa and prod', () => {
    const expected = {
      enabled: false,
      mode: 'simple',
      intervalMs: 60_000,
      timeoutMs: 30_000,
      prompt: 'Reply with the single word: pong',
      maxTokens: 16,
      concurrency: 4,
      models: [],
      environments: ['dev', 'test', 'qa', 'prod'].map((name) => ({ name, models: [] })),
      retentionMs: 30 * 86_400_000,
    };
    expect(probesSchema.parse({})).toEqual(expected);
    expect(
      validateConfig({ providers: [{ id: 'sim', type: 'mock' }] }, { source: 't', env: {} }).probes,
    ).toEqual(expected);
  });

  it('accepts a full-mode section with its values, defaulting each environment’s models', () => {
    const probes = configOf({
      enabled: true,
      mode: 'full',
      intervalMs: 30_000,
      expect: '/^pong[.!]?$/i',
      apiKeyEnv: 'KEEL_PROBE_KEY',
      models: ['smart'],
      environments: [
        environment('prod', {
          baseUrl: 'https://keel.prod.example.com',
          usageUrl: 'https://keel.prod.example.com/api/stats?group_by=model',
        }),
        environment('dev.eu-1', {
          baseUrl: 'http://127.0.0.1:8080',
          apiKeyEnv: 'DEV_KEY',
          models: ['cheap'],
        }),
      ],
    }).probes;
    expect(probes).toMatchObject({ enabled: true, mode: 'full', intervalMs: 30_000, models: ['smart'] });
    expect(probes.environments).toEqual([
      {
        name: 'prod',
        baseUrl: 'https://keel.prod.example.com',
        usageUrl: 'https://keel.prod.example.com/api/stats?group_by=model',
        models: [],
      },
      { name: 'dev.eu-1', baseUrl: 'http://127.0.0.1:8080', apiKeyEnv: 'DEV_KEY', models: ['cheap'] },
    ]);
  });

  it('accepts simple mode with probes.baseUrl and usageUrl', () => {
    const probes = configOf({
      baseUrl: 'http://keel.internal:8080',
      usageUrl: 'http://keel.internal:8080/api/stats?group_by=model',
      environments: [environment('staging'), environment('prod')],
    }).probes;
    expect(probes).toMatchObject({ mode: 'simple', baseUrl: 'http://keel.internal:8080' });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'full mode without an environment’s baseUrl',
      { mode: 'full', environments: [environment('prod', { baseUrl: 'http://a' }), environment('dev')] },
      ['probes.environments[1].baseUrl: full mode probes each environment at its own baseUrl; write one'],
    ],
    [
      'a per-environment baseUrl in simple mode',
      { environments: [environment('prod', { baseUrl: 'http://a' })] },
      [
        'probes.environments[0].baseUrl: simple mode probes every environment through probes.baseUrl; set that, or use mode: full',
      ],
    ],
    [
      'probes.baseUrl in full mode',
      { mode: 'full', baseUrl: 'http://a', environments: [environment('prod', { baseUrl: 'http://b' })] },
      [
        'probes.baseUrl: full mode uses each environment’s baseUrl; remove probes.baseUrl or use mode: simple',
      ],
    ],
    [
      'probes.usageUrl in full mode (each environment names its own)',
      {
        mode: 'full',
        usageUrl: 'http://a/usage',
        environments: [environment('prod', { baseUrl: 'http://b' })],
      },
      [
        'probes.usageUrl: full mode reads each environment’s usageUrl; move it to probes.environments[].usageUrl or use mode: simple',
      ],
    ],
    [
      'an environment listed twice',
      { environments: [environment('prod'), environment('dev'), environment('prod')] },
      ['probes.environments[2].name: environment "prod" is listed twice'],
    ],
    [
      'a regular expression that does not compile',
      { expect: '/(pong/' },
      ['probes.expect: expect "/(pong/" is not a regular expression'],
    ],
    [
      'repeated regex flags',
      { expect: '/pong/ii' },
      ['probes.expect: expect "/pong/ii" is not a regular expression'],
    ],
    ['no environments', { environments: [] }, ['probes.environments: got []; use a list of at least 1']],
    [
      'a non-http baseUrl',
      { baseUrl: 'ftp://keel' },
      ['probes.baseUrl: got "ftp://keel"; write an http:// or https:// URL'],
    ],
    [
      'a non-http usageUrl',
      { environments: [environment('prod', { usageUrl: 'file:///etc/passwd' })] },
      ['probes.environments[0].usageUrl: got "file:///etc/passwd"; write an http:// or https:// URL'],
    ],
    ['an interval under a second', { intervalMs: 999 }, ['probes.intervalMs: got 999']],
    ['maxTokens over 4096', { maxTokens: 4097 }, ['probes.maxTokens: got 4097']],
    ['concurrency 0', { concurrency: 0 }, ['probes.concurrency: got 0']],
    ['an empty expect', { expect: '' }, ['probes.expect']],
    ['an unknown option', { interval: 5 }, ['probes: unknown option "interval"']],
    [
      'an unknown environment option',
      { environments: [environment('prod', { url: 'http://a' })] },
      ['probes.environments[0]: unknown option "url"'],
    ],
  ])('refuses %s', (_name, probes, expected) => {
    const problems = problemsOf(probes);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((problem, index) => expect(problems[index]).toContain(problem));
  });

  it.each(['', 'bad name', '-leading-dash', '.hidden', 'x'.repeat(65), 'prod/eu', 'ünïcode'])(
    'refuses the environment name %j',
    (name) => {
      const problems = problemsOf({ environments: [environment(name)] });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('probes.environments[0].name');
      expect(problems[0]).toContain('write 1-64 letters, digits, ".", "_" or "-"');
    },
  );

  it.each(['prod', 'dev-2', 'qa_eu', 'v1.2', '0', 'x'.repeat(64)])(
    'accepts the environment name %j',
    (name) => {
      expect(() => configOf({ environments: [environment(name)] })).not.toThrow();
    },
  );

  it.each<[string, Record<string, unknown>, string]>([
    ['lower case', { apiKeyEnv: 'prod_key' }, 'probes.apiKeyEnv'],
    ['a leading digit', { apiKeyEnv: '1KEY' }, 'probes.apiKeyEnv'],
    ['a dash', { apiKeyEnv: 'PROD-KEY' }, 'probes.apiKeyEnv'],
    ['the key itself', { apiKeyEnv: 'sk-abc123' }, 'probes.apiKeyEnv'],
    [
      'an environment’s',
      { environments: [environment('prod', { apiKeyEnv: 'my key' })] },
      'probes.environments[0].apiKeyEnv',
    ],
  ])('refuses an apiKeyEnv with %s', (_name, probes, path) => {
    const problems = problemsOf(probes);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toContain('write an environment variable name, e.g. PROD_KEEL_KEY');
  });

  it('reports every problem of a section at once', () => {
    const problems = problemsOf({
      mode: 'full',
      baseUrl: 'http://a',
      expect: '/[/',
      environments: [environment('prod'), environment('prod', { baseUrl: 'http://b' })],
    });
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'probes.environments[0].baseUrl',
      'probes.environments[1].name',
      'probes.baseUrl',
      'probes.expect',
    ]);
  });
});

describe('parseExpectation', () => {
  it('refuses a /pattern/ with an unknown flag rather than reading it as a substring', () => {
    expect(() => parseExpectation('/pong/x')).toThrow(/not a regular expression/);
  });

  it.each<[string, string, boolean]>([
    ['pong', 'pong', true],
    ['pong', 'PONG!', true],
    ['PONG', 'well, pong.', true],
    ['pong', 'ping', false],
    ['/^pong$/', 'pong', true],
    ['/^pong$/', 'pong!', false],
    ['/^pong$/', 'PONG', false],
    ['/^pong$/i', 'PONG', true],
    ['/po+ng/', 'poooong', true],
    ['/a/b/', 'a/b', true],
    // Without a closing slash and flags it is a substring.
    ['/pong', 'say /pong', true],
    ['/pong', 'pong', false],
  ])('%j on %j is %s', (expectation, answer, matches) => {
    expect(parseExpectation(expectation)(answer)).toBe(matches);
  });

  it.each(['/pong/g', '/pong/gi', '/^pong/y', '/pong/gy'])(
    'gives the same answer every time with %s (no state kept between answers)',
    (expectation) => {
      const test = parseExpectation(expectation);
      expect([test('pong'), test('pong'), test('pong'), test('PONG')]).toEqual([
        true,
        true,
        true,
        expectation.includes('i'),
      ]);
    },
  );

  it('throws a SyntaxError naming the expectation for a pattern that does not compile', () => {
    expect(() => parseExpectation('/(a/')).toThrow(SyntaxError);
    expect(() => parseExpectation('/(a/')).toThrow(/^expect "\/\(a\/" is not a regular expression/);
  });
});
