// Adapter for Anthropic's Messages API (`POST /v1/messages`), whole answers and SSE streams.
import type { CallOptions, ChatModel, ChatRequest, ChatResult, StreamPart } from '../../spec/index.js';
import { joinUrl, UpstreamClient, type HttpProviderSettings } from '../shared/http-client.js';
import { asRecord, asString } from '../shared/read-json.js';
import { streamInterrupted } from '../shared/upstream-errors.js';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.js';
import {
  createAnthropicStreamState,
  mapAnthropicResponse,
  mapAnthropicStreamEvent,
} from './map-anthropic-response.js';

/** API version sent in `anthropic-version` unless the settings name another. */
export const defaultAnthropicVersion = '2023-06-01';

export interface AnthropicChatModelSettings extends HttpProviderSettings {
  /** The `anthropic-version` header. Default `2023-06-01`. */
  anthropicVersion?: string | undefined;
  /** max_tokens when the client sends none (Anthropic requires it). Default 4096. */
  defaultMaxTokens?: number | undefined;
}

/**
 * Calls `POST {baseUrl}/v1/messages` with `x-api-key` and `anthropic-version`.
 * @example new AnthropicChatModel({ providerId: 'claude', baseUrl: 'https://api.anthropic.com', apiKey, dispatcher })
 */
export class AnthropicChatModel implements ChatModel {
  readonly providerId: string;
  readonly providerType = 'anthropic';
  readonly #settings: AnthropicChatModelSettings;
  readonly #url: string;
  readonly #client: UpstreamClient;

  constructor(settings: AnthropicChatModelSettings) {
    this.providerId = settings.providerId;
    this.#settings = settings;
    this.#url = joinUrl(settings.baseUrl, 'v1/messages');
    const headers: Record<string, string> = {
      'anthropic-version': settings.anthropicVersion ?? defaultAnthropicVersion,
      ...settings.headers,
    };
    if (settings.apiKey !== undefined && settings.apiKey !== '') headers['x-api-key'] = settings.apiKey;
    this.#client = new UpstreamClient({
      providerId: settings.providerId,
      dispatcher: settings.dispatcher,
      headers,
    });
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    const body = await this.#client.json(
      this.#url,
      this.#body(request, options.modelId, false),
      options.signal,
    );
    return mapAnthropicResponse(this.providerId, body, options.modelId);
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    const events = await this.#client.events(
      this.#url,
      this.#body(request, options.modelId, true),
      options.signal,
    );
    return this.#parts(events);
  }

  #body(request: ChatRequest, modelId: string, stream: boolean): unknown {
    return convertToAnthropicMessages({
      request,
      modelId,
      stream,
      defaultMaxTokens: this.#settings.defaultMaxTokens,
    });
  }

  async *#parts(
    events: AsyncIterable<{ event?: string | undefined; data: string }>,
  ): AsyncGenerator<StreamPart> {
    const state = createAnthropicStreamState();
    const parts: StreamPart[] = [];
    for await (const event of events) {
      const data = this.#client.eventObject(event.data);
      if (data.type === 'error') {
        // Anthropic reports failures after the 200 (e.g. overloaded_error) as an `error` event.
        const error = asRecord(data.error);
        const errorType = asString(error?.type) ?? 'error';
        throw streamInterrupted(this.providerId, `${errorType}: ${asString(error?.message) ?? 'no message'}`);
      }
      mapAnthropicStreamEvent(data, state, parts);
      for (const part of parts) yield part;
      parts.length = 0;
      if (data.type === 'message_stop') return;
    }
    // message_stop is the only proof the answer is whole; without it the stream was cut.
    throw streamInterrupted(this.providerId, 'the stream ended before message_stop');
  }
}
