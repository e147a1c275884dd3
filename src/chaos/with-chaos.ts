// A ChatModel wrapper that applies the chaos injection of its target to every call.
import { simulateFailure } from '../providers/mock/simulate-failure.js';
import { streamInterrupted } from '../providers/shared/upstream-errors.js';
import type { CallOptions, ChatModel, ChatRequest, ChatResult, Clock, StreamPart } from '../spec/index.js';
import type { ChaosDecision, ChaosInjection } from './chaos-injection.js';
import type { ChaosRegistry } from './chaos-registry.js';
import { decideChaos } from './decide-chaos.js';

/** Retry-After sent with an injected 429: 1 s. */
const CHAOS_RETRY_AFTER_MS = 1000;

export interface WithChaosOptions {
  model: ChatModel;
  registry: ChaosRegistry;
  /** Returns [0, 1); decides which calls fail or are cut. */
  random: () => number;
  /** Waits the injected latency. */
  clock: Pick<Clock, 'sleep'>;
}

/**
 * Wraps a provider's model: a call with no injection on its target goes straight through; one with
 * an injection waits the added latency (the abort signal honoured), then fails with the KeelError a
 * real provider failure of that kind maps to, or is cut after a few parts.
 * @example models.set(id, withChaos({ model, registry: chaos, random: Math.random, clock }))
 */
export function withChaos(options: WithChaosOptions): ChatModel {
  const { model, registry, random, clock } = options;
  const label = (id: string) => `chaos injection ${id}:`;

  const prepare = async (
    injection: ChaosInjection,
    callOptions: CallOptions,
  ): Promise<{ decision: ChaosDecision; id: string }> => {
    const decision = decideChaos(injection, random);
    if (decision.delayMs > 0) await clock.sleep(decision.delayMs, callOptions.signal);
    if (decision.fail !== undefined) {
      await simulateFailure({
        providerId: model.providerId,
        kind: decision.fail,
        retryAfterMs: CHAOS_RETRY_AFTER_MS,
        signal: callOptions.signal,
        label: label(injection.id),
      });
    }
    return { decision, id: injection.id };
  };

  return {
    providerId: model.providerId,
    providerType: model.providerType,
    generate(request: ChatRequest, callOptions: CallOptions): Promise<ChatResult> {
      // No injection, the usual case: the call goes straight through, without an extra await.
      const injection = registry.find(model.providerId, callOptions.modelId);
      if (injection === undefined) return model.generate(request, callOptions);
      return generateWithChaos(request, callOptions, injection);
    },
    stream(request: ChatRequest, callOptions: CallOptions): Promise<AsyncIterable<StreamPart>> {
      const injection = registry.find(model.providerId, callOptions.modelId);
      if (injection === undefined) return model.stream(request, callOptions);
      return streamWithChaos(request, callOptions, injection);
    },
  };

  async function generateWithChaos(
    request: ChatRequest,
    callOptions: CallOptions,
    injection: ChaosInjection,
  ): Promise<ChatResult> {
    const chaos = await prepare(injection, callOptions);
    const result = await model.generate(request, callOptions);
    if (chaos.decision.cutAfterParts !== undefined) {
      // A whole answer cut half-way is, to the caller, a connection reset.
      return simulateFailure({
        providerId: model.providerId,
        kind: 'reset',
        retryAfterMs: CHAOS_RETRY_AFTER_MS,
        signal: callOptions.signal,
        label: label(chaos.id),
      });
    }
    return result;
  }

  async function streamWithChaos(
    request: ChatRequest,
    callOptions: CallOptions,
    injection: ChaosInjection,
  ): Promise<AsyncIterable<StreamPart>> {
    const chaos = await prepare(injection, callOptions);
    const parts = await model.stream(request, callOptions);
    const cutAfterParts = chaos.decision.cutAfterParts;
    if (cutAfterParts === undefined) return parts;
    return cutStream({
      parts,
      cutAfterParts,
      error: () => streamInterrupted(model.providerId, `${label(chaos.id)} connection cut mid-stream`),
    });
  }
}

async function* cutStream(options: {
  parts: AsyncIterable<StreamPart>;
  cutAfterParts: number;
  error: () => Error;
}): AsyncGenerator<StreamPart> {
  let content = 0;
  for await (const part of options.parts) {
    const isContent = part.type === 'text-delta' || part.type === 'tool-call-delta';
    // Cut before the part after the last one let through; leaving the loop closes the upstream.
    if (isContent && content === options.cutAfterParts) throw options.error();
    if (isContent) content++;
    yield part;
  }
}
