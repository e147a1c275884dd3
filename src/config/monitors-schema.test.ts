import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, validateConfig } from './load-config.js';
import { parseGoodExpression } from './monitors-schema.js';

const issueExample = `
providers:
  - { id: sim, type: mock }
monitors:
  evaluationIntervalMs: 15000
  definitions:
    - { id: p95-latency, type: threshold, metric: latency.p95, groupBy: [provider], window: 5m, warn: 2000, critical: 4000, runbook: "Check the provider's status page; fail over if one target is slow." }
    - { id: availability, type: slo, objective: 0.99, window: 30d, good: "status=ok and latency<5000" }
notifications:
  webhooks:
    - { id: oncall, url: "https://hooks.example.com/keel", format: slack }   # format: json | slack
`;

const threshold = {
  id: 'p95-latency',
  type: 'threshold',
  metric: 'latency.p95',
  window: '5m',
  warn: 2000,
  critical: 4000,
};

function problemsOf(sections: Record<string, unknown>): string[] {
  try {
    validateConfig(
      { providers: [{ id: 'sim', type: 'mock' }], ...sections },
      { source: 'test.yaml', env: {} },
    );
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('monitors config', () => {
  it('accepts the example from issue 5 with its values and defaults', () => {
    const config = parseConfigText(issueExample, { source: 'keel.yaml', env: {} });
    expect(config.monitors?.evaluationIntervalMs).toBe(15_000);
    expect(config.monitors?.definitions).toEqual([
      {
        id: 'p95-latency',
        type: 'threshold',
        metric: 'latency.p95',
        groupBy: ['provider'],
        window: '5m',
        warn: 2000,
        critical: 4000,
        direction: 'above',
        minRequests: 0,
        noData: 'no-data',
        priority: 3,
        tags: [],
        notify: [],
        muted: false,
        runbook: "Check the provider's status page; fail over if one target is slow.",
      },
      {
        id: 'availability',
        type: 'slo',
        objective: 0.99,
        window: '30d',
        good: 'status=ok and latency<5000',
        noData: 'no-data',
        priority: 3,
        tags: [],
        notify: [],
        muted: false,
      },
    ]);
    expect(config.notifications?.webhooks).toEqual([
      { id: 'oncall', url: 'https://hooks.example.com/keel', format: 'slack' },
    ]);
  });

  it('defaults to no definitions (so the default pack runs) and no webhooks when not written', () => {
    const config = validateConfig(
      { providers: [{ id: 'sim', type: 'mock' }] },
      { source: 'test.yaml', env: {} },
    );
    expect(config.monitors.definitions).toEqual([]);
    expect(config.monitors.defaultPack).toBe(true);
    expect(config.notifications.webhooks).toEqual([]);
  });

  it('defaults the interval, webhook format and anomaly fields', () => {
    const config = validateConfig(
      {
        providers: [{ id: 'sim', type: 'mock' }],
        monitors: {
          definitions: [
            { id: 'errors', type: 'anomaly', metric: 'error_rate', window: '5m', notify: ['hook'] },
          ],
        },
        notifications: { webhooks: [{ id: 'hook', url: 'http://127.0.0.1:9000/hook' }] },
      },
      { source: 'test.yaml', env: {} },
    );
    expect(config.monitors?.evaluationIntervalMs).toBe(15_000);
    expect(config.notifications?.webhooks[0]?.format).toBe('json');
    expect(config.monitors?.definitions[0]).toMatchObject({
      deviations: 3,
      history: '7d',
      seasonality: 'daily',
    });
  });

  it.each([
    [
      'an unknown metric',
      { ...threshold, metric: 'latency.p42' },
      'monitors.definitions[0].metric',
      'latency.p42',
    ],
    ['a bad window', { ...threshold, window: '5 minutes' }, 'monitors.definitions[0].window', 'e.g. 5m'],
    [
      'an unknown webhook id',
      { ...threshold, notify: ['pager'] },
      'monitors.definitions[0].notify[0]',
      'oncall',
    ],
    ['warn above critical', { ...threshold, warn: 5000 }, 'monitors.definitions[0].warn', 'at most 4000'],
    [
      'a threshold monitor without critical',
      { ...threshold, critical: undefined },
      'monitors.definitions[0].critical',
      'critical: 4000',
    ],
    [
      'a forecast monitor without a budget',
      { id: 'cost', type: 'forecast', metric: 'cost.sum', window: '1h' },
      'monitors.definitions[0].budgetUsd',
      'budgetUsd: 100',
    ],
    [
      'a garbage good expression',
      { id: 'slo', type: 'slo', objective: 0.99, good: 'latency > fast' },
      'monitors.definitions[0].good',
      'status=ok and latency<5000',
    ],
    [
      'an objective of 1',
      { id: 'slo', type: 'slo', objective: 1, good: 'status=ok' },
      'monitors.definitions[0].objective',
      'below 1',
    ],
  ])('rejects %s, naming the option', (_name, definition, path, hint) => {
    const problems = problemsOf({
      monitors: { definitions: [definition] },
      notifications: { webhooks: [{ id: 'oncall', url: 'https://hooks.example.com/keel' }] },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(path);
    expect(problems[0]).toContain(hint);
  });

  it('rejects a duplicate monitor id at the second one', () => {
    const problems = problemsOf({ monitors: { definitions: [threshold, threshold] } });
    expect(problems).toEqual([expect.stringContaining('monitors.definitions[1].id')]);
    expect(problems[0]).toContain('duplicate monitor id');
  });

  it('accepts warn below critical when direction is below, and rejects the reverse', () => {
    const below = { ...threshold, metric: 'cache_hit_rate', direction: 'below', warn: 0.5, critical: 0.2 };
    expect(() =>
      validateConfig(
        { providers: [{ id: 'sim', type: 'mock' }], monitors: { definitions: [below] } },
        { source: 't', env: {} },
      ),
    ).not.toThrow();
    const problems = problemsOf({ monitors: { definitions: [{ ...below, warn: 0.1 }] } });
    expect(problems).toEqual([expect.stringContaining('monitors.definitions[0].warn')]);
  });

  it('rejects an unknown monitor type, listing the monitor types', () => {
    const problems = problemsOf({ monitors: { definitions: [{ ...threshold, type: 'magic' }] } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('monitors.definitions[0].type');
    expect(problems[0]).toContain('threshold, anomaly, forecast, slo');
  });
});

describe('parseGoodExpression', () => {
  it.each([
    ['status=ok and latency<5000', { status: 'ok', latencyMs: 5000 }],
    ['latency < 800', { latencyMs: 800 }],
    ['status = ok', { status: 'ok' }],
  ])('reads %j', (text, expected) => {
    expect(parseGoodExpression(text)).toEqual(expected);
  });

  it.each(['', 'status=error', 'latency>5000', 'status=ok or latency<5000', 'status=ok and status=ok'])(
    'rejects %j',
    (text) => {
      expect(() => parseGoodExpression(text)).toThrow(/status=ok and latency<5000/);
    },
  );
});

describe('monitor definitions the evaluator could not judge', () => {
  const forecast = { id: 'spend', type: 'forecast', metric: 'cost.sum', window: '1h' };
  it.each<[string, Record<string, unknown>, string]>([
    [
      'recoveryWarn without warn',
      { ...threshold, warn: undefined, recoveryWarn: 1000 },
      'monitors.definitions[0].recoveryWarn: got 1000; recoveryWarn needs warn; set warn or remove recoveryWarn',
    ],
    [
      'a forecast warn above its budget',
      { ...forecast, warn: 50, budgetUsd: 10 },
      'monitors.definitions[0].warn: got 50; warn is above critical (10) with direction above; write a warn at most 10, or set direction: below',
    ],
    [
      'a forecast horizon of more than 10,000 windows',
      { ...forecast, window: '1m', horizon: '20000d', budgetUsd: 10 },
      'monitors.definitions[0].horizon: got "20000d"; horizon is more than 10000 windows of 1m; shorten it or widen window',
    ],
    [
      'threshold levels on an anomaly monitor',
      { id: 'odd', type: 'anomaly', metric: 'error_rate', window: '5m', critical: 0.1 },
      'monitors.definitions[0]: unknown option "critical"; remove it or check its spelling in docs/configuration.md',
    ],
    [
      'a runbook longer than 16,000 characters',
      { ...threshold, runbook: 'x'.repeat(16_001) },
      'use a value at most 16000',
    ],
  ])('refuses %s', (_name, definition, problem) => {
    const problems = problemsOf({ monitors: { definitions: [definition] } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });
});

describe('monitors on probe metrics', () => {
  const probeThreshold = { id: 'probe-failures', type: 'threshold', window: '10m', warn: 0.2, critical: 0.5 };

  it.each<[string, Record<string, unknown>]>([
    [
      'probe.failure_rate by environment and model',
      { metric: 'probe.failure_rate', groupBy: ['environment', 'model'] },
    ],
    [
      'probe.latency.p95 by model, filtered to one environment',
      { metric: 'probe.latency.p95', groupBy: ['model'], filters: { environment: 'prod' } },
    ],
    [
      'probe.count without groupBy, filtered to one model',
      { metric: 'probe.count', filters: { model: 'gpt-4o' }, direction: 'below', warn: 2, critical: 1 },
    ],
  ])('accepts a threshold on %s', (_name, overrides) => {
    const config = validateConfig(
      {
        providers: [{ id: 'sim', type: 'mock' }],
        monitors: { definitions: [{ ...probeThreshold, ...overrides }] },
      },
      { source: 't', env: {} },
    );
    expect(config.monitors?.definitions[0]).toMatchObject(overrides);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a probe metric grouped by provider',
      { ...probeThreshold, metric: 'probe.failure_rate', groupBy: ['environment', 'provider'] },
      'monitors.definitions[0].groupBy: got ["environment","provider"]; probe.failure_rate groups by environment and model only',
    ],
    [
      'a probe metric filtered by application',
      { ...probeThreshold, metric: 'probe.latency.p95', filters: { application: 'checkout' } },
      'monitors.definitions[0].filters: probe.latency.p95 filters by environment and model only',
    ],
    [
      'an anomaly monitor on probe.latency.p95 (probes keep no series)',
      { id: 'probe-anomaly', type: 'anomaly', metric: 'probe.latency.p95', window: '5m' },
      'monitors.definitions[0].metric: got "probe.latency.p95"; anomaly monitors need a metric with a stored series',
    ],
    [
      'a forecast monitor on probe.count',
      { id: 'probe-forecast', type: 'forecast', metric: 'probe.count', window: '1h', budgetUsd: 10 },
      'monitors.definitions[0].metric: got "probe.count"; forecast monitors need a metric with a stored series',
    ],
  ])('refuses %s', (_name, definition, problem) => {
    const problems = problemsOf({ monitors: { definitions: [definition] } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });
});
