import { describe, expect, it } from 'vitest';
import { experimentSchema } from '../config/experiments-schema.js';
import type { ChatRequest } from '../spec/index.js';
import { ExperimentRouter, hashToUnit, pickVariant } from './experiment-router.js';

const request: ChatRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
};

const experiment = experimentSchema.parse({
  id: 'bigger-model',
  model: 'chat',
  variants: [
    { id: 'control', weight: 3 },
    { id: 'large', weight: 1, model: 'chat-large', promptVersion: 'p2', system: 'Answer in detail.' },
  ],
});

describe('pickVariant', () => {
  it.each([
    [0, 'a'],
    [0.249, 'a'],
    [0.25, 'b'],
    [0.999, 'b'],
  ])('point %d lands on %s with weights 1:3', (point, expected) => {
    expect(
      pickVariant(
        [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 3 },
        ],
        point,
      ).id,
    ).toBe(expected);
  });

  it('never picks a variant with weight 0', () => {
    const variants = [
      { id: 'a', weight: 1 },
      { id: 'off', weight: 0 },
    ];
    for (let point = 0; point < 1; point += 0.01) expect(pickVariant(variants, point).id).toBe('a');
  });
});

describe('ExperimentRouter', () => {
  const router = new ExperimentRouter([experiment]);

  it('leaves other models alone', () => {
    expect(router.assign({ model: 'other', request, metadata: {}, requestId: 'r1' })).toBeUndefined();
  });

  it('keeps a user on one variant, and splits users by the weights', () => {
    const counts = { control: 0, large: 0 };
    for (let user = 0; user < 10_000; user++) {
      const first = router.assign({ model: 'chat', request, metadata: { user: `u${user}` }, requestId: 'a' });
      const again = router.assign({ model: 'chat', request, metadata: { user: `u${user}` }, requestId: 'b' });
      expect(again?.variantId).toBe(first?.variantId);
      counts[first?.variantId as 'control' | 'large']++;
    }
    expect(counts.large / 10_000).toBeGreaterThan(0.23);
    expect(counts.large / 10_000).toBeLessThan(0.27);
  });

  it('applies the variant: model, system prompt, and the metadata recorded', () => {
    let assignment;
    for (let user = 0; assignment?.variantId !== 'large'; user++) {
      assignment = router.assign({
        model: 'chat',
        request,
        metadata: { user: `u${user}`, promptVersion: 'p1' },
        requestId: 'r',
      });
    }
    expect(assignment.model).toBe('chat-large');
    expect(assignment.request.messages).toEqual([
      { role: 'system', content: 'Answer in detail.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(assignment.metadata).toMatchObject({
      experimentId: 'bigger-model',
      variantId: 'large',
      promptVersion: 'p2',
    });
  });

  it('falls back from user to key to request for stickiness', () => {
    const byKey = (keyId: string, requestId: string) =>
      router.assign({ model: 'chat', request, metadata: {}, keyId, requestId })?.variantId;
    for (let key = 0; key < 50; key++) expect(byKey(`key_${key}`, 'x')).toBe(byKey(`key_${key}`, 'y'));
    const perRequest = new Set<string | undefined>();
    for (let index = 0; index < 200; index++) {
      perRequest.add(
        router.assign({ model: 'chat', request, metadata: {}, requestId: `r${index}` })?.variantId,
      );
    }
    expect(perRequest).toEqual(new Set(['control', 'large']));
  });

  it('hashes into [0, 1)', () => {
    for (let index = 0; index < 1_000; index++) {
      const value = hashToUnit(`caller-${index}`);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
