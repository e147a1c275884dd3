// The scripted two-provider setup the metrics suites share: every call's outcome is known in advance.
import type { KeelConfigInput } from '../../src/config/index.js';

/**
 * `chat-default` falls back from `primary/sim-small` to `backup/sim-large`. Each mock plays its
 * script, one outcome per call, then answers ok: primary ok, 500, 429; backup ok, 500. No retries
 * and a breaker that traffic cannot trip, so every call is planned exactly. Made-up prices
 * (USD 2 and 8 per 1M input and output tokens) make cost follow the tokens.
 */
export function scriptedFailoverConfig(): KeelConfigInput {
  return {
    pricing: { overrides: [{ provider: 'mock', match: 'sim-.*', input: 2, output: 8 }] },
    providers: [
      {
        id: 'primary',
        type: 'mock',
        latencyMs: { p50: 0, p99: 0 },
        seed: 1,
        outputTokens: 6,
        script: ['ok', '500', '429'],
      },
      {
        id: 'backup',
        type: 'mock',
        latencyMs: { p50: 0, p99: 0 },
        seed: 2,
        outputTokens: 9,
        script: ['ok', '500'],
      },
    ],
    models: [
      {
        name: 'chat-default',
        strategy: 'fallback',
        targets: [
          { provider: 'primary', model: 'sim-small' },
          { provider: 'backup', model: 'sim-large' },
        ],
      },
    ],
    reliability: {
      retry: { maxAttempts: 1 },
      circuitBreaker: { consecutiveFailures: 100, minimumRequests: 100 },
    },
  };
}
