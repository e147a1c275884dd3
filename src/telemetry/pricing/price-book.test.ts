import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PriceOverride as ConfigPriceOverride } from '../../config/index.js';
import { KeelError } from '../../spec/index.js';
import { createPriceBook, defaultPricingTable, type PricingTable } from './price-book.js';

const knownProviders = new Set(['openai', 'anthropic', 'gemini', 'huggingface', 'mistral', 'mock']);

function thrownBy(action: () => unknown): KeelError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the shipped pricing table', () => {
  it('loads, with its version, currency and unit', () => {
    const prices = createPriceBook();
    expect(prices.version).toBe('2026-11-01');
    expect(defaultPricingTable.currency).toBe('USD');
    expect(defaultPricingTable.unit).toBe('per 1M tokens');
    expect(defaultPricingTable.models.length).toBeGreaterThan(30);
  });

  it.each(defaultPricingTable.models.map((entry, index) => ({ index, ...entry })))(
    'models[$index] ($provider $match) is anchored, compiles and has sane prices',
    (entry) => {
      expect(entry.match.startsWith('^')).toBe(true);
      expect(entry.match.endsWith('$')).toBe(true);
      expect(() => new RegExp(entry.match)).not.toThrow();
      expect(knownProviders.has(entry.provider)).toBe(true);
      for (const price of [entry.input, entry.output, entry.cachedInput, entry.cacheWrite ?? 0]) {
        expect(Number.isFinite(price) && price >= 0).toBe(true);
      }
      // A cache read never costs more than a plain input token.
      expect(entry.cachedInput).toBeLessThanOrEqual(entry.input);
    },
  );

  it('prices Anthropic cache reads at 0.1x input and cache writes at 1.25x, Haiku 3 excepted', () => {
    for (const entry of defaultPricingTable.models) {
      if (entry.provider !== 'anthropic' || entry.match.startsWith('^claude-3-haiku')) continue;
      expect(entry.cachedInput).toBeCloseTo(entry.input * 0.1, 10);
      expect(entry.cacheWrite).toBeCloseTo(entry.input * 1.25, 10);
    }
  });
});

describe('priceFor with the shipped table', () => {
  // [providerType, model, input, output, cachedInput]
  const cases: [string, string, number, number, number][] = [
    ['openai', 'gpt-4o', 2.5, 10, 1.25],
    ['openai', 'gpt-4o-2024-08-06', 2.5, 10, 1.25],
    ['openai', 'gpt-4o-2024-11-20', 2.5, 10, 1.25],
    ['openai', 'gpt-4o-2024-05-13', 5, 15, 5],
    ['openai', 'gpt-4o-mini', 0.15, 0.6, 0.075],
    ['openai', 'gpt-4o-mini-2024-07-18', 0.15, 0.6, 0.075],
    ['openai', 'gpt-4.1-2025-04-14', 2, 8, 0.5],
    ['openai', 'gpt-4.1-mini', 0.4, 1.6, 0.1],
    ['openai', 'gpt-4.1-nano-2025-04-14', 0.1, 0.4, 0.025],
    ['openai', 'o1-2024-12-17', 15, 60, 7.5],
    ['openai', 'o3', 2, 8, 0.5],
    ['openai', 'o3-mini-2025-01-31', 1.1, 4.4, 0.55],
    ['openai', 'o4-mini-2025-04-16', 1.1, 4.4, 0.275],
    ['openai', 'gpt-5', 1.25, 10, 0.125],
    ['openai', 'gpt-5-mini-2025-08-07', 0.25, 2, 0.025],
    ['openai', 'gpt-5-nano', 0.05, 0.4, 0.005],
    ['anthropic', 'claude-3-haiku-20240307', 0.25, 1.25, 0.03],
    ['anthropic', 'claude-3-opus-20240229', 15, 75, 1.5],
    ['anthropic', 'claude-3-5-haiku-20241022', 0.8, 4, 0.08],
    ['anthropic', 'claude-3-5-sonnet-latest', 3, 15, 0.3],
    ['anthropic', 'claude-3-7-sonnet-20250219', 3, 15, 0.3],
    ['anthropic', 'claude-sonnet-4-20250514', 3, 15, 0.3],
    ['anthropic', 'claude-opus-4-1-20250805', 15, 75, 1.5],
    ['anthropic', 'claude-opus-4-5-20251101', 5, 25, 0.5],
    ['gemini', 'gemini-2.0-flash-001', 0.1, 0.4, 0.025],
    ['gemini', 'gemini-2.0-flash-lite-001', 0.075, 0.3, 0.075],
    ['gemini', 'gemini-1.5-flash-002', 0.075, 0.3, 0.01875],
    ['gemini', 'gemini-1.5-flash-8b', 0.0375, 0.15, 0.01],
    ['gemini', 'gemini-1.5-pro-002', 1.25, 5, 0.3125],
    ['gemini', 'gemini-2.5-flash', 0.3, 2.5, 0.03],
    ['gemini', 'gemini-2.5-flash-preview-05-20', 0.3, 2.5, 0.03],
    ['gemini', 'gemini-2.5-flash-lite', 0.1, 0.4, 0.01],
    ['gemini', 'models/gemini-2.5-pro', 1.25, 10, 0.125],
    ['openai', 'mistral-large-latest', 0.5, 1.5, 0.5],
    ['openai', 'mistral-large-2411', 2, 6, 2],
    ['openai', 'mistral-small-latest', 0.1, 0.3, 0.1],
    ['openai', 'codestral-2501', 0.3, 0.9, 0.3],
    ['openai', 'open-mistral-7b', 0.25, 0.25, 0.25],
    ['huggingface', 'mistralai/Mistral-7B-Instruct-v0.3', 0.25, 0.25, 0.25],
    ['mock', 'mock-echo', 0, 0, 0],
  ];

  it.each(cases)(
    '%s %s costs %s in, %s out, %s cached',
    (providerType, model, input, output, cachedInput) => {
      const prices = createPriceBook();
      const price = prices.priceFor({ providerType, providerId: `${providerType}-main`, model });
      expect(price).toMatchObject({ source: 'table', input, output, cachedInput });
    },
  );

  it('gives Anthropic models a cache-write price and others none', () => {
    const prices = createPriceBook();
    const sonnet = prices.priceFor({
      providerType: 'anthropic',
      providerId: 'claude',
      model: 'claude-sonnet-4-0',
    });
    expect(sonnet?.cacheWrite).toBe(3.75);
    const gpt = prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-4.1' });
    expect(gpt?.cacheWrite).toBeUndefined();
  });

  it('tells apart models whose ids share a prefix', () => {
    const prices = createPriceBook();
    const priceOf = (providerType: string, model: string) =>
      prices.priceFor({ providerType, providerId: 'p', model })?.input;
    expect(priceOf('openai', 'gpt-4o-mini')).toBe(0.15);
    expect(priceOf('openai', 'gpt-4o')).toBe(2.5);
    expect(priceOf('openai', 'o3-mini')).toBe(1.1);
    expect(priceOf('gemini', 'gemini-2.0-flash-lite')).toBe(0.075);
    expect(priceOf('gemini', 'gemini-2.0-flash')).toBe(0.1);
    expect(priceOf('gemini', 'gemini-2.5-flash-lite-preview-06-17')).toBe(0.1);
    expect(priceOf('anthropic', 'claude-opus-4-5')).toBe(5);
    expect(priceOf('anthropic', 'claude-opus-4-20250514')).toBe(15);
  });

  it('returns undefined for a model it does not know', () => {
    const prices = createPriceBook();
    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-9-ultra' }),
    ).toBeUndefined();
    expect(
      prices.priceFor({
        providerType: 'huggingface',
        providerId: 'hf',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
      }),
    ).toBeUndefined();
    // Snapshot ids with another price than the one in the table are left unpriced, not mispriced.
    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'm', model: 'mistral-large-2402' }),
    ).toBeUndefined();
  });

  it("applies an entry only to its provider's type or id", () => {
    const prices = createPriceBook();
    expect(
      prices.priceFor({ providerType: 'anthropic', providerId: 'claude', model: 'gpt-4o' }),
    ).toBeUndefined();
    expect(
      prices.priceFor({ providerType: 'gemini', providerId: 'g', model: 'codestral-latest' }),
    ).toBeUndefined();
    // An OpenAI-compatible provider whose id names the provider it really is.
    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'gemini', model: 'gemini-2.5-pro' })?.input,
    ).toBe(1.25);
  });
});

describe('overrides', () => {
  it('win over the table, first match first, and take config overrides as they are typed there', () => {
    const overrides: ConfigPriceOverride[] = [
      { provider: 'azure-east', match: 'gpt-4o', input: 2.75, output: 11, cachedInput: 1.375 },
      { match: 'gpt-4o', input: 1, output: 2 },
      { provider: 'openai', match: 'gpt-4o.*', input: 9, output: 9 },
    ];
    const prices = createPriceBook({ overrides });

    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'azure-east', model: 'gpt-4o' }),
    ).toMatchObject({
      source: 'override',
      provider: 'azure-east',
      input: 2.75,
      cachedInput: 1.375,
    });
    expect(prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-4o' })).toMatchObject(
      {
        source: 'override',
        provider: undefined,
        input: 1,
        output: 2,
        cachedInput: undefined,
      },
    );
    // Overrides match the whole id: `gpt-4o` does not capture gpt-4o-mini, which falls to the third.
    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-4o-mini' })?.input,
    ).toBe(9);
    // Models no override names still get the table's price.
    expect(
      prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-4.1' }),
    ).toMatchObject({
      source: 'table',
      input: 2,
    });
  });

  it('match case-insensitively, like the table', () => {
    const prices = createPriceBook({ overrides: [{ match: 'My-Model', input: 1, output: 1 }] });
    expect(prices.priceFor({ providerType: 'openai', providerId: 'x', model: 'my-model' })?.input).toBe(1);
  });

  it('let a mistral entry price Mistral models served through openai- or huggingface-type providers', () => {
    const prices = createPriceBook({
      overrides: [{ provider: 'mistral', match: 'mistral-tiny', input: 0.01, output: 0.02 }],
    });
    for (const providerType of ['openai', 'huggingface', 'mistral']) {
      expect(prices.priceFor({ providerType, providerId: 'x', model: 'mistral-tiny' })?.input).toBe(0.01);
    }
    expect(
      prices.priceFor({ providerType: 'anthropic', providerId: 'x', model: 'mistral-tiny' }),
    ).toBeUndefined();
  });
});

describe('invalid input', () => {
  it('throws a config error naming an override whose pattern does not compile', () => {
    const error = thrownBy(() =>
      createPriceBook({
        overrides: [
          { match: 'gpt-4o', input: 1, output: 1 },
          { match: 'gpt-4o(', input: 1, output: 1 },
        ],
      }),
    );
    expect(error.code).toBe('KEEL_CONFIG_INVALID');
    expect(error.message).toContain(
      'pricing.overrides[1].match: got "gpt-4o("; not a valid regular expression',
    );
  });

  it('rejects a pattern that is only valid once wrapped in ^(?:...)$', () => {
    const error = thrownBy(() => createPriceBook({ overrides: [{ match: 'a)|(b', input: 1, output: 1 }] }));
    expect(error.message).toContain('pricing.overrides[0].match');
  });

  it('throws naming a table entry whose pattern does not compile', () => {
    const table: PricingTable = {
      version: 'test',
      currency: 'USD',
      unit: 'per 1M tokens',
      models: [
        { provider: 'openai', match: '^ok$', input: 1, output: 1, cachedInput: 1 },
        { provider: 'openai', match: '^[broken$', input: 1, output: 1, cachedInput: 1 },
      ],
    };
    const error = thrownBy(() => createPriceBook({ table }));
    expect(error.message).toContain('pricing table test models[1].match: got "^[broken$"');
  });

  it('rejects negative prices and a table in another unit', () => {
    const negative = thrownBy(() => createPriceBook({ overrides: [{ match: 'x', input: -1, output: 1 }] }));
    expect(negative.message).toContain('pricing.overrides[0].input');
    const perThousand = thrownBy(() =>
      createPriceBook({ table: { ...defaultPricingTable, unit: 'per 1K tokens' } }),
    );
    expect(perThousand.message).toContain('pricing table.unit');
  });
});

describe('memoization', () => {
  const lookup = { providerType: 'openai', providerId: 'primary', model: 'gpt-4o-2024-08-06' };

  it('returns the same object for the same lookup, with no regex work the second time', () => {
    const prices = createPriceBook();
    const test = vi.spyOn(RegExp.prototype, 'test');
    const first = prices.priceFor(lookup);
    const callsForFirst = test.mock.calls.length;
    const second = prices.priceFor({ ...lookup });
    const callsForSecond = test.mock.calls.length - callsForFirst;
    test.mockRestore();

    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(callsForFirst).toBeGreaterThan(0);
    expect(callsForSecond).toBe(0);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('remembers unknown models too', () => {
    const prices = createPriceBook();
    const unknown = { providerType: 'openai', providerId: 'primary', model: 'not-a-model' };
    prices.priceFor(unknown);
    const test = vi.spyOn(RegExp.prototype, 'test');
    expect(prices.priceFor(unknown)).toBeUndefined();
    expect(test).not.toHaveBeenCalled();
  });

  it('keys on provider id as well as model', () => {
    const prices = createPriceBook({
      overrides: [{ provider: 'azure', match: 'gpt-4o', input: 3, output: 12 }],
    });
    expect(prices.priceFor({ ...lookup, model: 'gpt-4o', providerId: 'azure' })?.input).toBe(3);
    expect(prices.priceFor({ ...lookup, model: 'gpt-4o', providerId: 'primary' })?.input).toBe(2.5);
  });

  it('forgets the oldest lookup past memoSize', () => {
    const prices = createPriceBook({ memoSize: 2 });
    const at = (model: string) => ({ ...lookup, model });
    prices.priceFor(at('gpt-4o'));
    prices.priceFor(at('gpt-4.1'));
    prices.priceFor(at('o3')); // evicts gpt-4o

    const test = vi.spyOn(RegExp.prototype, 'test');
    prices.priceFor(at('o3'));
    expect(test).not.toHaveBeenCalled();
    expect(prices.priceFor(at('gpt-4o'))?.input).toBe(2.5);
    expect(test).toHaveBeenCalled();
  });

  it('rejects a memoSize that is not a whole number of at least 1', () => {
    expect(thrownBy(() => createPriceBook({ memoSize: 0 })).message).toContain('memoSize');
  });
});
