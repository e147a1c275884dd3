// Assigns requests of a model under an A/B experiment to one of its weighted variants, stickily.
import type { ExperimentConfig } from '../config/experiments-schema.js';
import type { ChatRequest } from '../spec/index.js';
import type { RequestMetadata } from '../telemetry/events.js';

/** What the assignment changes about a call. */
export interface ExperimentAssignment {
  experimentId: string;
  variantId: string;
  /** The model to route instead of the one asked for. */
  model: string;
  /** The request to send (a prompt variant replaces the system messages). */
  request: ChatRequest;
  metadata: RequestMetadata;
}

/** FNV-1a over UTF-16 code units, 32 bits: a stable, well-spread hash for bucketing. */
export function hashToUnit(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 4_294_967_296;
}

/** The variant at `point` (0..1) of the cumulative weights; the last variant with weight when rounding leaves a gap. */
export function pickVariant<Variant extends { weight: number }>(
  variants: readonly Variant[],
  point: number,
): Variant {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  let running = 0;
  for (const variant of variants) {
    running += variant.weight;
    if (point * total < running) return variant;
  }
  const weighted = variants.filter((variant) => variant.weight > 0);
  return (weighted.at(-1) ?? variants.at(-1)) as Variant;
}

function withSystem(request: ChatRequest, system: string): ChatRequest {
  return {
    ...request,
    messages: [
      { role: 'system', content: system },
      ...request.messages.filter((message) => message.role !== 'system'),
    ],
  };
}

/**
 * Runs before routing, so a variant that names another model is planned, limited and priced as
 * that model. The same caller (see `stickyBy`) always lands on the same variant of an experiment
 * while its weights stay the same: the variant is the bucket a hash of (experiment id, caller)
 * falls into.
 *
 * @example
 * const router = new ExperimentRouter(config.experiments);
 * const assignment = router.assign({ model: 'chat', request, metadata, keyId, requestId });
 */
export class ExperimentRouter {
  readonly #byModel = new Map<string, ExperimentConfig>();

  constructor(experiments: readonly ExperimentConfig[]) {
    // One running experiment per model: the config check refuses two.
    for (const experiment of experiments)
      if (experiment.enabled) this.#byModel.set(experiment.model, experiment);
  }

  get size(): number {
    return this.#byModel.size;
  }

  assign(call: {
    model: string;
    request: ChatRequest;
    metadata: RequestMetadata;
    keyId?: string | undefined;
    requestId: string;
  }): ExperimentAssignment | undefined {
    const experiment = this.#byModel.get(call.model);
    if (experiment === undefined) return undefined;
    const caller = stickyCaller(experiment.stickyBy, call);
    const variant = pickVariant(experiment.variants, hashToUnit(`${experiment.id}\u0000${caller}`));
    return {
      experimentId: experiment.id,
      variantId: variant.id,
      model: variant.model ?? call.model,
      request: variant.system === undefined ? call.request : withSystem(call.request, variant.system),
      metadata: {
        ...call.metadata,
        experimentId: experiment.id,
        variantId: variant.id,
        promptVersion: variant.promptVersion ?? call.metadata.promptVersion,
      },
    };
  }
}

function stickyCaller(
  stickyBy: ExperimentConfig['stickyBy'],
  call: { metadata: RequestMetadata; keyId?: string | undefined; requestId: string },
): string {
  if (stickyBy === 'user' && call.metadata.user !== undefined) return `user:${call.metadata.user}`;
  if (stickyBy !== 'request' && call.keyId !== undefined) return `key:${call.keyId}`;
  return `request:${call.requestId}`;
}
