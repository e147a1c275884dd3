// Turns the model a client asked for into a flat, ordered list of targets to try.
import { ErrorCodes, KeelError } from '../spec/index.js';

export type Strategy = 'fallback' | 'weighted' | 'least-latency';

/** One provider + model pair a request can be sent to. */
export interface Target {
  providerId: string;
  modelId: string;
  weight: number;
  /** "provider/model": the key of its breaker and latency stats. */
  key: string;
}

export interface ModelRoute {
  name: string;
  strategy: Strategy;
  targets: readonly Target[];
}

export interface RouteCatalog {
  /** Aliases clients may ask for. */
  models: ReadonlyMap<string, ModelRoute>;
  /** Provider ids accepted in "provider/model" requests; empty to refuse them. */
  directProviders: ReadonlySet<string>;
}

export interface RoutePlan {
  /** The alias asked for, or the "provider/model" text. */
  requested: string;
  strategy: Strategy;
  /** Targets in the order they will be tried. */
  targets: Target[];
}

export function targetKey(providerId: string, modelId: string): string {
  return `${providerId}/${modelId}`;
}

function weightedOrder(targets: readonly Target[], random: () => number): Target[] {
  const remaining = [...targets];
  const order: Target[] = [];
  while (remaining.length > 0) {
    let total = 0;
    for (const target of remaining) total += target.weight;
    let point = random() * total;
    let chosen = remaining.length - 1;
    for (let index = 0; index < remaining.length; index++) {
      point -= (remaining[index] as Target).weight;
      if (point < 0) {
        chosen = index;
        break;
      }
    }
    order.push(...remaining.splice(chosen, 1));
  }
  return order;
}

function latencyOrder(targets: readonly Target[], latencyMs: (key: string) => number | undefined): Target[] {
  // Targets never measured go first so they get measured; ties keep the configured order.
  return targets
    .map((target, index) => ({ target, index, latency: latencyMs(target.key) ?? -1 }))
    .sort((a, b) => a.latency - b.latency || a.index - b.index)
    .map((entry) => entry.target);
}

/**
 * Plans a request: an alias expands by its strategy; "provider/model" is a single target.
 * @throws KeelError KEEL_UNKNOWN_MODEL when neither matches.
 */
export function planRoute(options: {
  model: string;
  catalog: RouteCatalog;
  random: () => number;
  latencyMs: (key: string) => number | undefined;
}): RoutePlan {
  const { model, catalog } = options;
  const route = catalog.models.get(model);
  if (route !== undefined) {
    const targets =
      route.strategy === 'weighted'
        ? weightedOrder(route.targets, options.random)
        : route.strategy === 'least-latency'
          ? latencyOrder(route.targets, options.latencyMs)
          : [...route.targets];
    return { requested: model, strategy: route.strategy, targets };
  }
  const slash = model.indexOf('/');
  if (slash > 0) {
    const providerId = model.slice(0, slash);
    const modelId = model.slice(slash + 1);
    if (modelId !== '' && catalog.directProviders.has(providerId)) {
      return {
        requested: model,
        strategy: 'fallback',
        targets: [{ providerId, modelId, weight: 1, key: targetKey(providerId, modelId) }],
      };
    }
  }
  const known = [...catalog.models.keys()];
  throw new KeelError({
    code: ErrorCodes.unknownModel,
    status: 404,
    param: 'model',
    message:
      `The model "${model}" does not exist here. Use one of: ${known.join(', ') || '(no aliases configured)'}` +
      (catalog.directProviders.size > 0
        ? `, or "provider/model" with a provider among: ${[...catalog.directProviders].join(', ')}.`
        : '.'),
  });
}
