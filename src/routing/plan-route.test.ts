import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../providers/mock/seeded-random.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { LatencyTracker } from './latency-tracker.js';
import {
  planRoute,
  targetKey,
  type ModelRoute,
  type RouteCatalog,
  type Strategy,
  type Target,
} from './plan-route.js';

function target(providerId: string, modelId: string, weight = 1): Target {
  return { providerId, modelId, weight, key: targetKey(providerId, modelId) };
}

function route(name: string, strategy: Strategy, targets: Target[]): ModelRoute {
  return { name, strategy, targets };
}

function catalog(routes: ModelRoute[], directProviders: string[] = []): RouteCatalog {
  return {
    models: new Map(routes.map((modelRoute) => [modelRoute.name, modelRoute])),
    directProviders: new Set(directProviders),
  };
}

/** Returns the scripted values in order and fails the test if asked for more. */
function scripted(...values: number[]): () => number {
  let index = 0;
  return () => {
    const value = values[index++];
    if (value === undefined)
      throw new Error(`random() called ${index} times; only ${values.length} scripted`);
    return value;
  };
}

const noRandom = () => {
  throw new Error('random() must not be called');
};
const noLatency = () => undefined;

function planError(model: string, models: RouteCatalog): KeelError {
  try {
    planRoute({ model, catalog: models, random: noRandom, latencyMs: noLatency });
  } catch (error) {
    if (error instanceof KeelError) return error;
    throw error;
  }
  throw new Error(`planRoute(${model}) did not throw`);
}

const keys = (targets: readonly Target[]) => targets.map((entry) => entry.key);

describe('planRoute: fallback', () => {
  it('keeps the configured order and draws no random numbers', () => {
    const targets = [target('primary', 'gpt-4o-mini'), target('claude', 'haiku'), target('gemini', 'flash')];
    const models = catalog([route('chat-default', 'fallback', targets)]);
    const plan = planRoute({
      model: 'chat-default',
      catalog: models,
      random: noRandom,
      latencyMs: noLatency,
    });
    expect(plan).toEqual({ requested: 'chat-default', strategy: 'fallback', targets });
    expect(keys(plan.targets)).toEqual(['primary/gpt-4o-mini', 'claude/haiku', 'gemini/flash']);
    // The plan is a copy: the executor may not reorder the catalog by accident.
    expect(plan.targets).not.toBe(targets);
  });
});

describe('planRoute: weighted', () => {
  const heavy = target('primary', 'gpt-4o-mini', 3);
  const light = target('claude', 'haiku', 1);
  const models = catalog([route('chat-balanced', 'weighted', [heavy, light])]);

  it.each([
    // first draw (scaled by the total weight 4), expected order
    [0, ['primary/gpt-4o-mini', 'claude/haiku']],
    [0.5, ['primary/gpt-4o-mini', 'claude/haiku']],
    [0.74, ['primary/gpt-4o-mini', 'claude/haiku']],
    [0.75, ['claude/haiku', 'primary/gpt-4o-mini']],
    [0.999, ['claude/haiku', 'primary/gpt-4o-mini']],
  ])('picks first in proportion to weight (random %f)', (draw, expected) => {
    const plan = planRoute({
      model: 'chat-balanced',
      catalog: models,
      random: scripted(draw, 0),
      latencyMs: noLatency,
    });
    expect(plan.strategy).toBe('weighted');
    expect(keys(plan.targets)).toEqual(expected);
  });

  it('draws again among the remaining targets for each later position', () => {
    const three = catalog([
      route('mix', 'weighted', [target('a', 'm', 1), target('b', 'm', 2), target('c', 'm', 1)]),
    ]);
    // 0.3 * 4 = 1.2 lands in b's share [1, 3); then 0.6 * 2 = 1.2 lands in c's share [1, 2) of a, c.
    const plan = planRoute({
      model: 'mix',
      catalog: three,
      random: scripted(0.3, 0.6, 0),
      latencyMs: noLatency,
    });
    expect(keys(plan.targets)).toEqual(['b/m', 'c/m', 'a/m']);
  });

  it('over 10,000 seeded plans, puts each target first about as often as its weight says', () => {
    const five = catalog([
      route('mix', 'weighted', [target('a', 'm', 5), target('b', 'm', 3), target('c', 'm', 2)]),
    ]);
    const random = createSeededRandom(42);
    const firsts = new Map<string, number>();
    const draws = 10_000;
    for (let draw = 0; draw < draws; draw++) {
      const plan = planRoute({ model: 'mix', catalog: five, random, latencyMs: noLatency });
      expect([...keys(plan.targets)].sort()).toEqual(['a/m', 'b/m', 'c/m']);
      const first = plan.targets[0]?.key ?? 'none';
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    // Binomial standard deviation at n = 10,000 is at most 0.005; 0.02 is four of them.
    expect(Math.abs((firsts.get('a/m') ?? 0) / draws - 0.5)).toBeLessThan(0.02);
    expect(Math.abs((firsts.get('b/m') ?? 0) / draws - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((firsts.get('c/m') ?? 0) / draws - 0.2)).toBeLessThan(0.02);
    expect(firsts.get('none')).toBeUndefined();
  });

  it('over 10,000 seeded plans of a 3:1 split, the heavy target leads about 75% of the time', () => {
    const random = createSeededRandom(7);
    let heavyFirst = 0;
    for (let draw = 0; draw < 10_000; draw++) {
      const plan = planRoute({ model: 'chat-balanced', catalog: models, random, latencyMs: noLatency });
      if (plan.targets[0]?.key === heavy.key) heavyFirst++;
    }
    expect(Math.abs(heavyFirst / 10_000 - 0.75)).toBeLessThan(0.02);
  });
});

describe('planRoute: least-latency', () => {
  const targets = [
    target('slow', 'm'),
    target('new-1', 'm'),
    target('fast', 'm'),
    target('tied-1', 'm'),
    target('new-2', 'm'),
    target('tied-2', 'm'),
  ];
  const models = catalog([route('chat-fast', 'least-latency', targets)]);

  it('puts unmeasured targets first, then ascending EWMA latency, ties in configured order', () => {
    const latency = new LatencyTracker();
    latency.record('slow/m', 900);
    latency.record('fast/m', 100);
    latency.record('tied-2/m', 400);
    latency.record('tied-1/m', 400);
    const plan = planRoute({
      model: 'chat-fast',
      catalog: models,
      random: noRandom,
      latencyMs: (key) => latency.get(key),
    });
    expect(plan.strategy).toBe('least-latency');
    expect(keys(plan.targets)).toEqual(['new-1/m', 'new-2/m', 'fast/m', 'tied-1/m', 'tied-2/m', 'slow/m']);
  });

  it('follows the moving average as samples and failures come in', () => {
    const latency = new LatencyTracker(0.5);
    const two = catalog([route('pair', 'least-latency', [target('a', 'm'), target('b', 'm')])]);
    const order = () =>
      keys(
        planRoute({ model: 'pair', catalog: two, random: noRandom, latencyMs: (key) => latency.get(key) })
          .targets,
      );

    latency.record('a/m', 200);
    latency.record('b/m', 300);
    expect(order()).toEqual(['a/m', 'b/m']);
    // A failure counts as at least the penalty: a's average becomes 200 + 0.5 * (5000 - 200).
    latency.recordFailure('a/m', 5_000);
    expect(latency.get('a/m')).toBe(2_600);
    expect(order()).toEqual(['b/m', 'a/m']);
    latency.record('a/m', 0);
    latency.record('a/m', 0);
    latency.record('a/m', 0);
    expect(latency.get('a/m')).toBe(325);
    latency.record('a/m', 0);
    expect(latency.get('a/m')).toBe(162.5);
    expect(order()).toEqual(['a/m', 'b/m']);
  });
});

describe('LatencyTracker', () => {
  it('starts at the first sample and smooths later ones by alpha (default 0.2)', () => {
    const latency = new LatencyTracker();
    expect(latency.get('x/y')).toBeUndefined();
    latency.record('x/y', 100);
    expect(latency.get('x/y')).toBe(100);
    latency.record('x/y', 200);
    expect(latency.get('x/y')).toBeCloseTo(120, 10);
    expect(latency.get('other/y')).toBeUndefined();
  });

  it('never lets a failure lower the average', () => {
    const latency = new LatencyTracker(1);
    latency.record('x/y', 8_000);
    latency.recordFailure('x/y', 1_000);
    expect(latency.get('x/y')).toBe(8_000);
    latency.recordFailure('new/y', 1_000);
    expect(latency.get('new/y')).toBe(1_000);
  });
});

describe('planRoute: direct "provider/model"', () => {
  const models = catalog(
    [
      route('chat-default', 'fallback', [target('primary', 'gpt-4o-mini')]),
      route('team/chat', 'fallback', [target('claude', 'haiku')]),
    ],
    ['primary', 'hf'],
  );

  it('routes "provider/model" to that single target', () => {
    expect(
      planRoute({ model: 'primary/gpt-4o', catalog: models, random: noRandom, latencyMs: noLatency }),
    ).toEqual({
      requested: 'primary/gpt-4o',
      strategy: 'fallback',
      targets: [{ providerId: 'primary', modelId: 'gpt-4o', weight: 1, key: 'primary/gpt-4o' }],
    });
  });

  it('splits at the first slash, so model ids may hold slashes', () => {
    const plan = planRoute({
      model: 'hf/meta-llama/Llama-3.1-8B-Instruct',
      catalog: models,
      random: noRandom,
      latencyMs: noLatency,
    });
    expect(plan.targets).toEqual([
      {
        providerId: 'hf',
        modelId: 'meta-llama/Llama-3.1-8B-Instruct',
        weight: 1,
        key: 'hf/meta-llama/Llama-3.1-8B-Instruct',
      },
    ]);
  });

  it('prefers an alias that happens to contain a slash', () => {
    const plan = planRoute({ model: 'team/chat', catalog: models, random: noRandom, latencyMs: noLatency });
    expect(keys(plan.targets)).toEqual(['claude/haiku']);
  });

  it.each(['claude/haiku', 'primary/', '/gpt-4o', 'gpt-4o'])(
    'refuses %j (provider not allowed directly, or no provider/model part)',
    (model) => {
      expect(planError(model, models)).toMatchObject({ code: 'KEEL_UNKNOWN_MODEL', status: 404 });
    },
  );
});

describe('planRoute: unknown model', () => {
  it('is a 404 KEEL_UNKNOWN_MODEL listing the aliases and direct providers', () => {
    const error = planError(
      'gpt-5',
      catalog(
        [
          route('chat-default', 'fallback', [target('p', 'm')]),
          route('chat-fast', 'least-latency', [target('p', 'm')]),
        ],
        ['primary', 'claude'],
      ),
    );
    expect(error.code).toBe(ErrorCodes.unknownModel);
    expect(error.code).toBe('KEEL_UNKNOWN_MODEL');
    expect(error.status).toBe(404);
    expect(error.param).toBe('model');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'The model "gpt-5" does not exist here. Use one of: chat-default, chat-fast, ' +
        'or "provider/model" with a provider among: primary, claude.',
    );
  });

  it('lists only the aliases when direct models are off', () => {
    const error = planError(
      'primary/gpt-4o',
      catalog([route('chat-default', 'fallback', [target('p', 'm')])]),
    );
    expect(error.message).toBe('The model "primary/gpt-4o" does not exist here. Use one of: chat-default.');
  });

  it('says when no aliases are configured', () => {
    const error = planError('anything', catalog([], ['primary']));
    expect(error.message).toContain('Use one of: (no aliases configured)');
    expect(error.message).toContain('a provider among: primary.');
  });
});
