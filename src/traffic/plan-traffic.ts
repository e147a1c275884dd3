// The traffic generator's schedule: when each request goes out and what it carries, from a seeded random.
import { longFormPassage, promptCorpus } from './prompt-corpus.js';
import type { TrafficProfile } from './traffic-options.js';

/** What a planned request is: a realistic chat call, an oversized one, or one kind of malformed call. */
export type TrafficRequestKind =
  | 'chat'
  | 'oversized'
  | 'invalid-json'
  | 'missing-messages'
  | 'unknown-model'
  | 'huge-max-tokens'
  | 'empty-content';

/** The malformed kinds the `noisy` profile mixes in. */
export const noisyKinds: readonly TrafficRequestKind[] = [
  'invalid-json',
  'missing-messages',
  'unknown-model',
  'huge-max-tokens',
  'empty-content',
];

/** One request of the schedule. */
export interface PlannedRequest {
  /** Send time, from the start of the run. */
  atMs: number;
  kind: TrafficRequestKind;
  stream: boolean;
  /** The exact body sent to `/v1/chat/completions` (not always JSON, on purpose). */
  body: string;
}

/** Burst shape: in each 10 s cycle, the last 3 s run at five times the rate (capped at 1000 rps). */
const burstCycleMs = 10_000;
const burstSpikeMs = 3_000;
const burstFactor = 5;

/** The send rate at `atMs` of the run, in requests per second. */
export function rateAt(options: { profile: TrafficProfile; rps: number; atMs: number }): number {
  const spiky = options.profile === 'burst' || options.profile === 'mixed';
  if (!spiky || options.atMs % burstCycleMs < burstCycleMs - burstSpikeMs) return options.rps;
  return Math.min(options.rps * burstFactor, 1000);
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.min(items.length - 1, Math.floor(random() * items.length))];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function chooseKind(profile: TrafficProfile, random: () => number): TrafficRequestKind {
  const roll = random();
  switch (profile) {
    case 'oversized':
      return 'oversized';
    case 'noisy':
      return roll < 0.4 ? pick(noisyKinds, random) : 'chat';
    case 'mixed':
      if (roll < 0.1) return 'oversized';
      return roll < 0.25 ? pick(noisyKinds, random) : 'chat';
    default:
      return 'chat';
  }
}

function chatBody(options: {
  model: string;
  stream: boolean;
  random: () => number;
}): Record<string, unknown> {
  const prompt = pick(promptCorpus, options.random);
  const messages = [
    ...(prompt.system === undefined ? [] : [{ role: 'system', content: prompt.system }]),
    { role: 'user', content: prompt.user },
  ];
  return {
    model: options.model,
    messages,
    max_tokens: 64 + Math.floor(options.random() * 448),
    ...(options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

/** The body of one request of `kind`. Oversized prompts run to roughly 7,500-12,000 tokens. */
export function buildRequestBody(options: {
  kind: TrafficRequestKind;
  model: string;
  stream: boolean;
  random: () => number;
}): string {
  const base = chatBody(options);
  switch (options.kind) {
    case 'chat':
      return JSON.stringify(base);
    case 'oversized': {
      const copies = 50 + Math.floor(options.random() * 30);
      const content = `Summarize the following report in five bullet points.\n\n${longFormPassage.repeat(copies)}`;
      return JSON.stringify({ ...base, messages: [{ role: 'user', content }] });
    }
    case 'invalid-json':
      return JSON.stringify(base).slice(0, 40);
    case 'missing-messages':
      return JSON.stringify({ ...base, messages: undefined });
    case 'unknown-model':
      return JSON.stringify({ ...base, model: 'keel-traffic-no-such-model' });
    case 'huge-max-tokens':
      return JSON.stringify({ ...base, max_tokens: 10_000_000 });
    case 'empty-content':
      return JSON.stringify({ ...base, messages: [{ role: 'user', content: '' }] });
  }
}

/**
 * The run's requests in send order, made one at a time so an hour at 1000 rps stays small in memory.
 * Deterministic for a given `random`.
 * @example [...planTraffic({ profile: 'normal', rps: 2, durationMs: 1000, model: 'm', streamShare: 0, random: Math.random })]
 */
export function* planTraffic(options: {
  profile: TrafficProfile;
  rps: number;
  durationMs: number;
  model: string;
  /** Share of requests sent with `stream: true` (0..1). */
  streamShare: number;
  random: () => number;
}): Generator<PlannedRequest> {
  let atMs = 0;
  while (atMs < options.durationMs) {
    const kind = chooseKind(options.profile, options.random);
    const stream = options.random() < options.streamShare;
    yield {
      atMs,
      kind,
      stream,
      body: buildRequestBody({ kind, model: options.model, stream, random: options.random }),
    };
    atMs += 1000 / rateAt({ profile: options.profile, rps: options.rps, atMs });
  }
}
