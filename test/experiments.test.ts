// A/B experiments end to end: sticky assignment, the variant's model served, and the per-variant report.
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig, type KeelConfigInput } from '../src/config/index.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const config: KeelConfigInput = {
  pricing: { overrides: [{ provider: 'mock', match: 'sim-.*', input: 2, output: 8 }] },
  providers: [
    { id: 'small', type: 'mock', latencyMs: { p50: 1, p99: 3 }, seed: 1, outputTokens: 5 },
    { id: 'large', type: 'mock', latencyMs: { p50: 1, p99: 3 }, seed: 2, outputTokens: 20 },
  ],
  models: [
    { name: 'chat', targets: [{ provider: 'small', model: 'sim-small' }] },
    { name: 'chat-large', targets: [{ provider: 'large', model: 'sim-large' }] },
  ],
  experiments: [
    {
      id: 'bigger-model',
      model: 'chat',
      stickyBy: 'user',
      variants: [
        { id: 'control', weight: 1 },
        { id: 'large', weight: 1, model: 'chat-large', promptVersion: 'v2' },
      ],
    },
  ],
};

interface VariantFigures {
  variant: string;
  requests: number;
  outputTokens: number;
  costUsd: number;
  weightShare: number;
  vsControl: { costPerRequestRatio: number | null } | null;
}

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('A/B experiments', () => {
  it('splits a model between variants stickily, serves each variant’s model, and reports per variant', async () => {
    harness = await startKeel(config);
    const seen = new Map<string, string>();
    const tally: Record<string, { requests: number; outputTokens: number }> = {};
    for (let round = 0; round < 2; round++) {
      for (let user = 0; user < 20; user++) {
        const { data, response } = await harness.client.chat.completions
          .create({ model: 'chat', user: `user-${user}`, messages: [{ role: 'user', content: 'Hi' }] })
          .withResponse();
        const variant = response.headers.get('x-keel-variant') ?? '';
        expect(response.headers.get('x-keel-experiment')).toBe('bigger-model');
        expect(response.headers.get('x-keel-provider')).toBe(variant === 'large' ? 'large' : 'small');
        // The same user always gets the same variant.
        expect(seen.get(`user-${user}`) ?? variant).toBe(variant);
        seen.set(`user-${user}`, variant);
        const figures = (tally[variant] ??= { requests: 0, outputTokens: 0 });
        figures.requests++;
        figures.outputTokens += data.usage?.completion_tokens ?? 0;
      }
    }
    expect(Object.keys(tally).sort()).toEqual(['control', 'large']);

    // Each record carries the experiment and variant (and the variant's prompt version).
    const page = (await (
      await fetch(`${harness.url}/api/requests?window=1h&experiment_id=bigger-model&variant_id=large`)
    ).json()) as {
      items: { variantId: string; promptVersion: string; requestedModel: string; provider: string }[];
    };
    expect(page.items).toHaveLength(tally.large?.requests ?? -1);
    expect(page.items[0]).toMatchObject({
      variantId: 'large',
      promptVersion: 'v2',
      requestedModel: 'chat',
      provider: 'large',
    });

    const response = await fetch(`${harness.url}/api/experiments/bigger-model/report?window=1h`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { control: string; variants: VariantFigures[] };
    expect(report.control).toBe('control');
    for (const figures of report.variants) {
      expect(figures.requests).toBe(tally[figures.variant]?.requests);
      expect(figures.outputTokens).toBe(tally[figures.variant]?.outputTokens);
      expect(figures.weightShare).toBe(0.5);
    }
    const large = report.variants.find((figures) => figures.variant === 'large');
    // 20 output tokens against 5 at the same price: the large variant costs more per request.
    expect(large?.vsControl?.costPerRequestRatio).toBeGreaterThan(1);
    expect(report.variants.find((figures) => figures.variant === 'control')?.vsControl).toBeNull();

    expect((await fetch(`${harness.url}/api/experiments/nope/report`)).status).toBe(404);
  });

  it('refuses an experiment on a model that does not exist, naming the option', () => {
    expect(() =>
      validateConfig(
        { ...config, experiments: [{ id: 'x', model: 'nope', variants: [{ id: 'a' }, { id: 'b' }] }] },
        { source: 'test', env: {} },
      ),
    ).toThrow(/experiments\[0\]\.model: got "nope"; not a model alias/);
  });
});
