// Builds one adapter per configured provider, each with its own keep-alive connection pool.
import { Agent, type Dispatcher } from 'undici';
import type { ProviderConfig } from '../config/index.js';
import { AnthropicChatModel } from '../providers/anthropic/anthropic-chat-model.js';
import { GeminiChatModel } from '../providers/gemini/gemini-chat-model.js';
import { createHuggingFaceChatModel } from '../providers/huggingface/create-huggingface-chat-model.js';
import { MockChatModel } from '../providers/mock/mock-chat-model.js';
import { OpenAIChatModel } from '../providers/openai/openai-chat-model.js';
import type { ChaosRegistry } from '../chaos/chaos-registry.js';
import { withChaos } from '../chaos/with-chaos.js';
import type { ChatModel, Clock } from '../spec/index.js';

/** Creates the dispatcher for one provider; tests may pass their own. */
export type DispatcherFactory = (provider: Exclude<ProviderConfig, { type: 'mock' }>) => Dispatcher;

export const defaultDispatcherFactory: DispatcherFactory = (provider) =>
  new Agent({
    // null: no cap, so a burst of long streams never waits inside Keel for a free connection.
    connections: provider.connections ?? null,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // The executor owns deadlines; undici's own 300 s timeouts would only hide them.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

export interface ChatModels {
  models: Map<string, ChatModel>;
  /** Closes every connection pool. */
  close(): Promise<void>;
}

export function createChatModels(options: {
  providers: readonly ProviderConfig[];
  clock: Clock;
  dispatcherFactory?: DispatcherFactory | undefined;
  /** Runtime fault injection (/api/chaos): every model is wrapped to apply its target's injection. */
  chaos?: { registry: ChaosRegistry; random: () => number } | undefined;
}): ChatModels {
  const models = new Map<string, ChatModel>();
  const dispatchers: Dispatcher[] = [];
  const makeDispatcher = options.dispatcherFactory ?? defaultDispatcherFactory;
  for (const provider of options.providers) {
    if (provider.type === 'mock') {
      models.set(
        provider.id,
        new MockChatModel({
          providerId: provider.id,
          latencyMs: provider.latencyMs,
          errorRate: provider.errorRate,
          errorKinds: provider.errorKinds,
          retryAfterMs: provider.retryAfterMs,
          seed: provider.seed,
          outputTokens: provider.outputTokens,
          script: provider.script,
          clock: options.clock,
        }),
      );
      continue;
    }
    const dispatcher = makeDispatcher(provider);
    dispatchers.push(dispatcher);
    const common = {
      providerId: provider.id,
      apiKey: provider.apiKey,
      headers: provider.headers,
      dispatcher,
    };
    switch (provider.type) {
      case 'openai':
        models.set(provider.id, new OpenAIChatModel({ ...common, baseUrl: provider.baseUrl }));
        break;
      case 'anthropic':
        models.set(
          provider.id,
          new AnthropicChatModel({
            ...common,
            baseUrl: provider.baseUrl,
            anthropicVersion: provider.anthropicVersion,
            defaultMaxTokens: provider.defaultMaxTokens,
          }),
        );
        break;
      case 'gemini':
        models.set(provider.id, new GeminiChatModel({ ...common, baseUrl: provider.baseUrl }));
        break;
      case 'huggingface':
        models.set(
          provider.id,
          createHuggingFaceChatModel({
            ...common,
            baseUrl: provider.baseUrl,
            api: provider.api,
            promptTemplate: provider.promptTemplate,
          }),
        );
        break;
    }
  }
  const { chaos } = options;
  if (chaos !== undefined) {
    for (const [id, model] of models) {
      models.set(
        id,
        withChaos({ model, registry: chaos.registry, random: chaos.random, clock: options.clock }),
      );
    }
  }
  return {
    models,
    close: async () => {
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
    },
  };
}
