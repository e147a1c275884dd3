// The schedule: rates, burst spikes, kinds per profile, and the malformed bodies of the noisy profile.
import { describe, expect, it } from 'vitest';
import { planTraffic, rateAt, type PlannedRequest } from './plan-traffic.js';
import { promptCorpus } from './prompt-corpus.js';
import type { TrafficProfile } from './traffic-options.js';
import { seededRandom } from '../../test/support/seeded-random.js';

function plan(
  profile: TrafficProfile,
  overrides: { rps?: number; durationMs?: number; streamShare?: number } = {},
) {
  return [
    ...planTraffic({
      profile,
      rps: overrides.rps ?? 10,
      durationMs: overrides.durationMs ?? 10_000,
      model: 'chat-default',
      streamShare: overrides.streamShare ?? 0.5,
      random: seededRandom(7),
    }),
  ];
}

function parse(request: PlannedRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown>;
}

describe('planTraffic', () => {
  it('spreads a flat rate evenly over the run', () => {
    const requests = plan('normal', { rps: 4, durationMs: 2000 });
    expect(requests.map((request) => request.atMs)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
    expect(requests.every((request) => request.kind === 'chat')).toBe(true);
  });

  it('spikes to five times the rate in the last 3 s of each 10 s cycle, capped at 1000 rps', () => {
    expect(rateAt({ profile: 'burst', rps: 10, atMs: 6_999 })).toBe(10);
    expect(rateAt({ profile: 'burst', rps: 10, atMs: 7_000 })).toBe(50);
    expect(rateAt({ profile: 'burst', rps: 500, atMs: 9_000 })).toBe(1000);
    expect(rateAt({ profile: 'normal', rps: 10, atMs: 8_000 })).toBe(10);
    const requests = plan('burst', { rps: 10, durationMs: 10_000 });
    expect(requests.filter((request) => request.atMs < 7_000)).toHaveLength(70);
    expect(requests.filter((request) => request.atMs >= 7_000)).toHaveLength(150);
  });

  it('sends well-formed chat requests from the corpus, streaming the given share with usage', () => {
    const requests = plan('normal', { rps: 10, durationMs: 20_000, streamShare: 0.5 });
    const streamed = requests.filter((request) => request.stream);
    expect(streamed.length).toBeGreaterThan(60);
    expect(streamed.length).toBeLessThan(140);
    for (const request of requests) {
      const body = parse(request);
      expect(body.model).toBe('chat-default');
      const messages = body.messages as { content: string }[];
      expect(promptCorpus.some((prompt) => prompt.user === messages.at(-1)?.content)).toBe(true);
      if (request.stream) expect(body.stream_options).toEqual({ include_usage: true });
      else expect(body.stream).toBeUndefined();
    }
  });

  it('builds oversized prompts of many thousand tokens', () => {
    for (const request of plan('oversized', { rps: 1, durationMs: 5_000 })) {
      const content = (parse(request).messages as { content: string }[])[0]?.content ?? '';
      // About four characters a token: well over 7,000 tokens.
      expect(content.length).toBeGreaterThan(28_000);
    }
  });

  it('mixes every malformed kind into the noisy profile', () => {
    const requests = plan('noisy', { rps: 20, durationMs: 20_000 });
    const kinds = new Set(requests.map((request) => request.kind));
    expect([...kinds].sort()).toEqual(
      [
        'chat',
        'empty-content',
        'huge-max-tokens',
        'invalid-json',
        'missing-messages',
        'unknown-model',
      ].sort(),
    );
    for (const request of requests) {
      if (request.kind === 'invalid-json') expect(() => JSON.parse(request.body) as unknown).toThrow();
      if (request.kind === 'missing-messages') expect(parse(request).messages).toBeUndefined();
      if (request.kind === 'unknown-model') expect(parse(request).model).toBe('keel-traffic-no-such-model');
      if (request.kind === 'huge-max-tokens') expect(parse(request).max_tokens).toBe(10_000_000);
      if (request.kind === 'empty-content')
        expect(parse(request).messages).toEqual([{ role: 'user', content: '' }]);
    }
  });

  it('is the same plan for the same random, and the corpus has about forty prompts', () => {
    expect(plan('mixed')).toEqual(plan('mixed'));
    expect(promptCorpus.length).toBeGreaterThanOrEqual(38);
  });
});
