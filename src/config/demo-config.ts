// The built-in configuration Keel starts with when given no config: simulated providers, no keys.
import type { KeelConfigInput } from './schema.js';

/** Two simulated providers that fail over to each other, three aliases, and the seeds' prompt routes. */
export const demoConfig: KeelConfigInput = {
  providers: [
    {
      id: 'sim-openai',
      type: 'mock',
      latencyMs: { p50: 300, p99: 1500 },
      errorRate: 0.02,
      seed: 1,
    },
    {
      id: 'sim-anthropic',
      type: 'mock',
      latencyMs: { p50: 450, p99: 2000 },
      errorRate: 0.01,
      seed: 2,
    },
  ],
  models: [
    {
      name: 'chat-default',
      strategy: 'fallback',
      targets: [
        { provider: 'sim-openai', model: 'gpt-4o-mini' },
        { provider: 'sim-anthropic', model: 'claude-3-5-haiku-latest' },
      ],
    },
    {
      name: 'chat-claude-first',
      strategy: 'fallback',
      targets: [
        { provider: 'sim-anthropic', model: 'claude-3-5-haiku-latest' },
        { provider: 'sim-openai', model: 'gpt-4o-mini' },
      ],
    },
    {
      name: 'chat-balanced',
      strategy: 'weighted',
      targets: [
        { provider: 'sim-openai', model: 'gpt-4o-mini', weight: 3 },
        { provider: 'sim-anthropic', model: 'claude-3-5-haiku-latest', weight: 1 },
      ],
    },
    {
      name: 'chat-fast',
      strategy: 'least-latency',
      targets: [
        { provider: 'sim-openai', model: 'gpt-4o-mini' },
        { provider: 'sim-anthropic', model: 'claude-3-5-haiku-latest' },
      ],
    },
  ],
  reliability: {
    timeoutMs: 30_000,
    attemptTimeoutMs: 10_000,
    ttftMs: 10_000,
    idleMs: 10_000,
    retry: { maxAttempts: 2, initialDelayMs: 200, maxDelayMs: 5000 },
    circuitBreaker: {
      consecutiveFailures: 5,
      errorRateThreshold: 0.5,
      minimumRequests: 10,
      windowMs: 60_000,
      cooldownMs: 30_000,
    },
  },
  // The simulators answer as gpt-4o-mini and claude-3-5-haiku; price them like those models so the
  // demo's cost figures look like a real bill (list prices per 1M tokens, see the pricing table).
  pricing: {
    overrides: [
      { provider: 'sim-openai', match: 'gpt-4o-mini', input: 0.15, output: 0.6, cachedInput: 0.075 },
      {
        provider: 'sim-anthropic',
        match: 'claude-3-5-haiku-latest',
        input: 0.8,
        output: 4,
        cachedInput: 0.08,
      },
    ],
  },
  routes: [
    {
      path: '/qa',
      model: 'chat-default',
      description: 'Question and answer (seed 002).',
      system: 'You answer questions accurately and briefly.',
      template: '{{question}}',
    },
    {
      path: '/reason',
      model: 'chat-default',
      description: 'Step-by-step reasoning (seed 002).',
      system: 'You reason step by step, then give a final answer.',
      template: 'Problem: {{problem}}',
      maxTokens: 512,
    },
    {
      path: '/stress',
      model: 'chat-balanced',
      description: 'Long answers for cost and latency scenarios (seed 002).',
      system: 'You write long, detailed answers.',
      template: 'Write at length about: {{topic}}',
      maxTokens: 1024,
    },
    {
      path: '/generate',
      model: 'chat-default',
      description: 'Free text generation (seed 004).',
      template: '{{prompt}}',
    },
    {
      path: '/advise',
      model: 'chat-default',
      description: 'Career advice from a profile and market data (seed 001).',
      system: 'You are a career advisor.',
      template:
        'User profile: {{user_profile}}\n\nJob market data: {{job_market_data}}\n\nAdvise this person.',
    },
  ],
};
