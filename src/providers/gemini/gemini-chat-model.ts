// Adapter for the Google Gemini API (generativelanguage.googleapis.com): generateContent and its SSE stream.
import type { CallOptions, ChatModel, ChatRequest, ChatResult, StreamPart } from '../../spec/index.js';
import { joinUrl, UpstreamClient, type HttpProviderSettings } from '../shared/http-client.js';
import { extractErrorMessage, streamInterrupted } from '../shared/upstream-errors.js';
import { convertToGeminiRequest } from './convert-to-gemini-request.js';
import { createGeminiStreamState, mapGeminiChunk, mapGeminiResponse } from './map-gemini-response.js';

/**
 * Calls `POST {baseUrl}/v1beta/models/{model}:generateContent` (and `:streamGenerateContent?alt=sse`)
 * with the `x-goog-api-key` header. A `baseUrl` that already ends in an API version (`/v1beta`,
 * `/v1`) is used as is.
 * @example new GeminiChatModel({ providerId: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com', apiKey, dispatcher })
 */
export class GeminiChatModel implements ChatModel {
  readonly providerId: string;
  readonly providerType = 'gemini';
  readonly #versionUrl: string;
  readonly #client: UpstreamClient;

  constructor(settings: HttpProviderSettings) {
    this.providerId = settings.providerId;
    this.#versionUrl = /\/v1(?:alpha|beta)?\/*$/.test(settings.baseUrl)
      ? settings.baseUrl
      : joinUrl(settings.baseUrl, 'v1beta');
    const headers: Record<string, string> = { ...settings.headers };
    if (settings.apiKey !== undefined && settings.apiKey !== '') {
      headers['x-goog-api-key'] = settings.apiKey;
    }
    this.#client = new UpstreamClient({
      providerId: settings.providerId,
      dispatcher: settings.dispatcher,
      headers,
    });
  }

  /** `models/gemini-2.0-flash:generateContent`; ids with a collection (`tunedModels/x`) keep it. */
  #url(modelId: string, method: string): string {
    const modelPath = modelId.includes('/') ? modelId : `models/${modelId}`;
    return joinUrl(this.#versionUrl, `${modelPath}:${method}`);
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    const body = await this.#client.json(
      this.#url(options.modelId, 'generateContent'),
      convertToGeminiRequest(request, options.modelId),
      options.signal,
    );
    return mapGeminiResponse({ providerId: this.providerId, body, requestedModel: options.modelId });
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    // Without alt=sse Gemini streams one JSON array, not server-sent events.
    const events = await this.#client.events(
      `${this.#url(options.modelId, 'streamGenerateContent')}?alt=sse`,
      convertToGeminiRequest(request, options.modelId),
      options.signal,
    );
    return this.#parts(events);
  }

  async *#parts(events: AsyncIterable<{ data: string }>): AsyncGenerator<StreamPart> {
    const state = createGeminiStreamState();
    let first = true;
    for await (const event of events) {
      const chunk = this.#client.eventObject(event.data);
      if (chunk.error !== undefined) {
        throw streamInterrupted(this.providerId, extractErrorMessage(JSON.stringify(chunk.error)));
      }
      if (first) {
        first = false;
        yield {
          type: 'response-metadata',
          providerResponseId: typeof chunk.responseId === 'string' ? chunk.responseId : undefined,
          model: typeof chunk.modelVersion === 'string' ? chunk.modelVersion : undefined,
        };
      }
      yield* mapGeminiChunk(chunk, state);
    }
    // Gemini has no end-of-stream marker: a stream that never gave a finish reason was cut.
    if (!state.finished) throw streamInterrupted(this.providerId, 'the stream ended before a finish reason');
    if (state.usage !== undefined) yield { type: 'usage', usage: state.usage };
  }
}
