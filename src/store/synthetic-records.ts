// Deterministic, realistic-looking request records for store tests and the ingest benchmark.
import type { RequestRecord } from '../telemetry/request-record.js';

export interface SyntheticRecordsOptions {
  count: number;
  /** Time of the first record, epoch ms. */
  startMs: number;
  /** Records are spread evenly over [startMs, startMs + spanMs). Default 1 hour. */
  spanMs?: number | undefined;
  /** Same seed, same records. Default 1. */
  seed?: number | undefined;
  /** Prefix of every requestId. Default 'req'. */
  idPrefix?: string | undefined;
  /** Random UUID-shaped requestIds (as Keel's edge makes them) instead of `${idPrefix}-${index}`. */
  uuidIds?: boolean | undefined;
  /** Prompt and response previews of up to this many characters, as stored by default (200). Default none. */
  previewChars?: number | undefined;
}

const PREVIEW_WORDS = ['the', 'gateway', 'failed', 'over', 'to', 'a', 'backup', 'model', 'answer', 'with'];

/** Text of about `chars` characters made of common words. */
function previewText(random: () => number, chars: number): string {
  let text = '';
  while (text.length < chars) text += `${PREVIEW_WORDS[Math.floor(random() * PREVIEW_WORDS.length)] ?? ''} `;
  return text.slice(0, chars);
}

const PROVIDERS = [
  { provider: 'openai', providerType: 'openai', model: 'gpt-4o-mini', usdPerToken: 0.000_000_6 },
  {
    provider: 'anthropic',
    providerType: 'anthropic',
    model: 'claude-3-5-haiku-latest',
    usdPerToken: 0.000_001,
  },
  { provider: 'gemini', providerType: 'gemini', model: 'gemini-2.0-flash', usdPerToken: 0.000_000_4 },
] as const;
const ENVIRONMENTS = ['production', 'staging'] as const;
const APPLICATIONS = ['chat', 'search', 'support'] as const;

/** Mostly clean answers (score 1), some truncated or refused ones. */
function syntheticQuality(roll: number): { score: number; flags: string[] } {
  if (roll < 0.05) return { score: 0.6, flags: ['truncated'] };
  if (roll < 0.08) return { score: 0.4, flags: ['refusal'] };
  if (roll < 0.09) return { score: 0, flags: ['empty'] };
  return { score: 1, flags: [] };
}

/** mulberry32: small, fast and good enough to make test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A UUID v4-shaped id from the generator. */
function seededUuid(random: () => number): string {
  let hex = '';
  for (let index = 0; index < 4; index++) {
    hex += Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A log-normal sample: exp(mu + sigma * N(0, 1)), by Box-Muller. */
export function logNormal(random: () => number, mu: number, sigma: number): number {
  const u1 = Math.max(random(), Number.MIN_VALUE);
  const u2 = random();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}

/**
 * `count` records: three providers, two environments, three applications, about 90 % ok, 4 % 429,
 * 3 % 502, 3 % 400 (no provider reached), half of them streams with a TTFT, log-normal latencies.
 */
export function makeSyntheticRecords(options: SyntheticRecordsOptions): RequestRecord[] {
  const random = seededRandom(options.seed ?? 1);
  const spanMs = options.spanMs ?? 3_600_000;
  const prefix = options.idPrefix ?? 'req';
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const records: RequestRecord[] = [];
  for (let index = 0; index < options.count; index++) {
    const target = pick(PROVIDERS);
    const roll = random();
    const status = roll < 0.9 ? 200 : roll < 0.94 ? 429 : roll < 0.97 ? 502 : 400;
    const ok = status === 200;
    const refused = status === 400;
    const stream = random() < 0.5;
    const upstreamMs = refused ? 0 : logNormal(random, Math.log(400), 0.6);
    const overheadMs = logNormal(random, Math.log(0.3), 0.5);
    const inputTokens = refused ? 0 : 20 + Math.floor(random() * 500);
    const outputTokens = ok ? 10 + Math.floor(random() * 300) : 0;
    const priced = random() < 0.95;
    // About 5 % fail over from another provider; successful answers carry a quality score.
    const failover = random() < 0.05;
    const backup = pick(PROVIDERS);
    const qualityRoll = random();
    records.push({
      timeMs: options.startMs + Math.floor((index * spanMs) / options.count),
      requestId:
        options.uuidIds === true ? seededUuid(random) : `${prefix}-${String(index).padStart(8, '0')}`,
      traceId: undefined,
      environment: pick(ENVIRONMENTS),
      application: pick(APPLICATIONS),
      route: undefined,
      requestedModel: `${target.provider}/${target.model}`,
      provider: refused ? undefined : target.provider,
      providerType: refused ? undefined : target.providerType,
      servedModel: ok ? target.model : undefined,
      stream,
      status,
      outcome: ok ? 'ok' : 'error',
      errorCode: ok
        ? undefined
        : status === 429
          ? 'KEEL_ALL_TARGETS_FAILED'
          : status === 502
            ? 'KEEL_UPSTREAM_SERVER_ERROR'
            : 'KEEL_INVALID_REQUEST',
      errorType: ok ? undefined : status === 400 ? 'invalid_request_error' : 'server_error',
      totalMs: upstreamMs + overheadMs,
      upstreamMs,
      overheadMs,
      ttftMs: stream && ok ? upstreamMs * 0.3 : undefined,
      inputTokens,
      outputTokens,
      totalTokens: inputTokens + outputTokens,
      cachedInputTokens: 0,
      reasoningTokens: 0,
      costUsd: priced ? (inputTokens + outputTokens) * target.usdPerToken : undefined,
      cacheHit: false,
      attempts: ok ? 1 : 2,
      failoverPath: refused
        ? []
        : failover
          ? [
              `${backup.provider}/${backup.model}:error`,
              `${target.provider}/${target.model}:${ok ? 'ok' : 'error'}`,
            ]
          : [`${target.provider}/${target.model}:${ok ? 'ok' : 'error'}`],
      breakerState: refused ? undefined : 'closed',
      featureVersion: index % 2 === 0 ? 'v1' : 'v2',
      promptVersion: 'p1',
      experimentId: index % 10 === 0 ? 'exp-1' : undefined,
      variantId: index % 10 === 0 ? (index % 20 === 0 ? 'a' : 'b') : undefined,
      promptChars: 100 + Math.floor(random() * 2_000),
      responseChars: ok ? 50 + Math.floor(random() * 1_500) : 0,
      promptPreview:
        options.previewChars === undefined ? undefined : previewText(random, options.previewChars),
      responsePreview:
        options.previewChars === undefined || !ok ? undefined : previewText(random, options.previewChars),
      quality: ok ? syntheticQuality(qualityRoll) : undefined,
    });
  }
  return records;
}
