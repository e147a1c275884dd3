// Finds what a served model costs: config overrides first, then the pricing table Keel ships.
import { z } from 'zod';
import { ErrorCodes, KeelError } from '../../spec/index.js';
import type { TokenPrices } from './compute-cost.js';
import shippedPricingTable from './pricing-table.json' with { type: 'json' };

/** One row of a pricing table: the provider it applies to and a pattern of model ids. */
export interface PricingTableEntry extends TokenPrices {
  /** A provider type (`openai`, `anthropic`, `gemini`, `mistral`, `mock`...) or provider id. */
  provider: string;
  /** Regular expression for the model id, written anchored (`^...$`); matched case-insensitively. */
  match: string;
  cachedInput: number;
  /** Why a price is what it is, or what is unsure about it. */
  note?: string | undefined;
}

/** A versioned table of list prices, USD per 1M tokens. */
export interface PricingTable {
  /** The date the prices were checked, e.g. `2026-11-01`. */
  version: string;
  currency: string;
  unit: string;
  sources?: string[] | undefined;
  models: PricingTableEntry[];
}

/** A price from Keel's config (`pricing.overrides`); wins over the shipped table. */
export interface PriceOverride extends TokenPrices {
  /** A provider type or provider id; any provider when absent. */
  provider?: string | undefined;
  /** Regular expression for the whole model id (implicitly anchored), matched case-insensitively. */
  match: string;
}

/** The price that applies to one model, with where it came from so a cost can be explained. */
export interface ModelPrice extends Readonly<TokenPrices> {
  readonly source: 'override' | 'table';
  /** The entry's provider; undefined for an override that applies to any provider. */
  readonly provider: string | undefined;
  /** The pattern that matched, as written. */
  readonly match: string;
  readonly note: string | undefined;
}

/** What a price is looked up by: the provider that answered and the model it reported. */
export interface PriceLookup {
  providerType: string;
  providerId: string;
  model: string;
}

export interface PriceBookOptions {
  /** Default: the table shipped beside this file (`pricing-table.json`). */
  table?: PricingTable | undefined;
  /** Checked before the table, in order; the first match wins. */
  overrides?: readonly PriceOverride[] | undefined;
  /** Most lookups remembered; the oldest is forgotten past this. Default 1,000. */
  memoSize?: number | undefined;
}

export interface PriceBook {
  /** The table's version, for stamping on reports. */
  readonly version: string;
  /** The price of a model, or undefined when neither the overrides nor the table know it. */
  priceFor(lookup: PriceLookup): ModelPrice | undefined;
}

/** The pricing table Keel ships. */
export const defaultPricingTable: PricingTable = shippedPricingTable;

const defaultMemoSize = 1_000;

const rate = z.number().min(0);

const tableSchema = z.object({
  version: z.string().min(1),
  currency: z.literal('USD'),
  unit: z.literal('per 1M tokens'),
  models: z.array(
    z.object({
      provider: z.string().min(1),
      match: z.string().min(1),
      input: rate,
      output: rate,
      cachedInput: rate,
      cacheWrite: rate.optional(),
      note: z.string().optional(),
    }),
  ),
});

const overridesSchema = z.array(
  z.object({
    provider: z.string().min(1).optional(),
    match: z.string().min(1),
    input: rate,
    output: rate,
    cachedInput: rate.optional(),
    cacheWrite: rate.optional(),
  }),
);

interface CompiledEntry {
  provider: string | undefined;
  pattern: RegExp;
  price: ModelPrice;
}

function pricingError(message: string): KeelError {
  return new KeelError({ code: ErrorCodes.configInvalid, status: 500, message });
}

function check<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
    return `${where}${path}: ${issue.message}`;
  });
  throw pricingError(`invalid pricing: ${problems.join('; ')}`);
}

function compilePattern(match: string, where: string): RegExp {
  try {
    // Checked as written first: wrapping can turn an invalid pattern such as `a)|(b` into a valid one.
    new RegExp(match);
    // The whole id must match, so an override for `gpt-4o` never prices `gpt-4o-mini` too.
    return new RegExp(`^(?:${match})$`, 'i');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw pricingError(
      `${where}.match: got ${JSON.stringify(match)}; not a valid regular expression (${reason}); escape special characters such as "." and "("`,
    );
  }
}

function compileEntry(options: {
  entry: TokenPrices & { provider?: string | undefined; match: string; note?: string | undefined };
  source: ModelPrice['source'];
  where: string;
}): CompiledEntry {
  const { entry, source, where } = options;
  const price: ModelPrice = Object.freeze({
    input: entry.input,
    output: entry.output,
    cachedInput: entry.cachedInput,
    cacheWrite: entry.cacheWrite,
    source,
    provider: entry.provider,
    match: entry.match,
    note: entry.note,
  });
  return { provider: entry.provider, pattern: compilePattern(entry.match, where), price };
}

function providerMatches(provider: string | undefined, lookup: PriceLookup): boolean {
  if (provider === undefined) return true;
  if (provider === lookup.providerType || provider === lookup.providerId) return true;
  // Mistral's models are also reached through OpenAI-compatible endpoints (api.mistral.ai speaks
  // the OpenAI wire format) and through Hugging Face, where Keel's provider type is not `mistral`.
  return (
    provider === 'mistral' && (lookup.providerType === 'openai' || lookup.providerType === 'huggingface')
  );
}

function findPrice(entries: readonly CompiledEntry[], lookup: PriceLookup): ModelPrice | undefined {
  for (const entry of entries) {
    if (providerMatches(entry.provider, lookup) && entry.pattern.test(lookup.model)) return entry.price;
  }
  return undefined;
}

/**
 * Builds the price book Keel's cost accounting reads. Every pattern is compiled here, once; an
 * invalid one throws a `KEEL_CONFIG_INVALID` error naming it. Lookups are remembered per
 * (providerType, providerId, model), so after the first call for a model the request path does
 * no regular-expression work.
 * @example
 * const prices = createPriceBook({ overrides: config.pricing.overrides });
 * const price = prices.priceFor({ providerType: 'openai', providerId: 'primary', model: 'gpt-4o-2024-08-06' });
 * const costUsd = price === undefined ? undefined : computeCostUsd(usage, price);
 */
export function createPriceBook(options: PriceBookOptions = {}): PriceBook {
  const table = check(tableSchema, options.table ?? defaultPricingTable, 'pricing table');
  const overrides = check(overridesSchema, options.overrides ?? [], 'pricing.overrides');
  const memoSize = options.memoSize ?? defaultMemoSize;
  if (!Number.isInteger(memoSize) || memoSize < 1) {
    throw pricingError(`price book memoSize: got ${memoSize}; use a whole number of at least 1`);
  }

  const entries: CompiledEntry[] = [
    ...overrides.map((entry, index) =>
      compileEntry({ entry, source: 'override', where: `pricing.overrides[${index}]` }),
    ),
    ...table.models.map((entry, index) =>
      compileEntry({ entry, source: 'table', where: `pricing table ${table.version} models[${index}]` }),
    ),
  ];

  // null remembers "no price", so unknown models are not searched again either.
  const memo = new Map<string, ModelPrice | null>();

  return {
    version: table.version,
    priceFor(lookup) {
      const key = `${lookup.providerType}\n${lookup.providerId}\n${lookup.model}`;
      const known = memo.get(key);
      if (known !== undefined) return known ?? undefined;
      const price = findPrice(entries, lookup);
      if (memo.size >= memoSize) {
        // Map iterates in insertion order: the first key is the oldest.
        const oldest = memo.keys().next();
        if (oldest.done !== true) memo.delete(oldest.value);
      }
      memo.set(key, price ?? null);
      return price;
    },
  };
}
