import { describe, expect, it } from 'vitest';
import { demoConfig } from './demo-config.js';
import { validateConfig } from './load-config.js';

describe('demoConfig', () => {
  // An empty environment: the demo must start with no keys and no variables set.
  const config = validateConfig(demoConfig, { source: 'demo', env: {} });

  it('passes validation with no environment', () => {
    expect(config.providers.map((provider) => [provider.id, provider.type])).toEqual([
      ['sim-openai', 'mock'],
      ['sim-anthropic', 'mock'],
    ]);
    expect(config.models.map((model) => [model.name, model.strategy])).toEqual([
      ['chat-default', 'fallback'],
      ['chat-claude-first', 'fallback'],
      ['chat-balanced', 'weighted'],
      ['chat-fast', 'least-latency'],
    ]);
    expect(config.routes.map((route) => route.path)).toEqual([
      '/qa',
      '/reason',
      '/stress',
      '/generate',
      '/advise',
    ]);
  });

  it('routes only to providers and aliases it defines', () => {
    const providerIds = new Set(config.providers.map((provider) => provider.id));
    const aliases = new Set(config.models.map((model) => model.name));
    for (const model of config.models) {
      for (const target of model.targets) expect(providerIds.has(target.provider)).toBe(true);
    }
    for (const route of config.routes) expect(aliases.has(route.model)).toBe(true);
  });

  it('keeps its simulators repeatable and the reliability settings it documents', () => {
    expect(config.providers).toEqual([
      expect.objectContaining({
        id: 'sim-openai',
        seed: 1,
        errorRate: 0.02,
        latencyMs: { p50: 300, p99: 1500 },
      }),
      expect.objectContaining({
        id: 'sim-anthropic',
        seed: 2,
        errorRate: 0.01,
        latencyMs: { p50: 450, p99: 2000 },
      }),
    ]);
    expect(config.reliability).toMatchObject({
      timeoutMs: 30_000,
      ttftMs: 10_000,
      idleMs: 10_000,
      retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 10_000 },
      circuitBreaker: { consecutiveFailures: 5, minimumRequests: 10, halfOpenProbes: 1 },
    });
    expect(
      config.models.find((model) => model.name === 'chat-balanced')?.targets.map((t) => t.weight),
    ).toEqual([3, 1]);
  });

  it('validating does not freeze or change the demo object itself', () => {
    expect(Object.isFrozen(demoConfig)).toBe(false);
    expect(demoConfig.reliability?.retry).not.toHaveProperty('maxRetryAfterMs');
    expect(Object.isFrozen(config)).toBe(true);
  });
});
