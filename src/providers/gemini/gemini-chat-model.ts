// Adapter for the Google Gemini API (generativelanguage.googleapis.com): generateContent and its SSE stream.
import type { CallOptions, ChatModel, ChatRequest, ChatResult, StreamPart } from '../../spec/index.js';
import {
  joinUrl,
  parseEventJson,
  postForEvents,
  postJson,
  type HttpProviderSettings,
} from '../shared/http-client.js';
import { asRecord } from '../shared/read-json.js';
import { badResponse, extractErrorMessage, streamInterrupted } from '../shared/upstream-errors.js';
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
  readonly #settings: HttpProviderSettings;
  readonly #versionUrl: string;
  readonly #headers: Record<string, string>;

  constructor(settings: HttpProviderSettings) {
    this.providerId = settings.providerId;
    this.#settings = settings;
    this.#versionUrl = /\/v1(?:alpha|beta)?\/*$/.test(settings.baseUrl)
      ? settings.baseUrl
      : joinUrl(settings.baseUrl, 'v1beta');
    this.#headers = { ...settings.headers };
    if (settings.apiKey !== undefined && settings.apiKey !== '') {
      this.#headers['x-goog-api-key'] = settings.apiKey;
    }
  }

  /** `models/gemini-2.0-flash:generateContent`; ids with a collection (`tunedModels/x`) keep it. */
  #url(modelId: string, method: string): string {
    const modelPath = modelId.includes('/') ? modelId : `models/${modelId}`;
    return joinUrl(this.#versionUrl, `${modelPath}:${method}`);
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    const body = await postJson({
      providerId: this.providerId,
      dispatcher: this.#settings.dispatcher,
      url: this.#url(options.modelId, 'generateContent'),
      headers: this.#headers,
      body: convertToGeminiRequest(request, options.modelId),
      signal: options.signal,
    });
    return mapGeminiResponse({ providerId: this.providerId, body, requestedModel: options.modelId });
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    const events = await postForEvents({
      providerId: this.providerId,
      dispatcher: this.#settings.dispatcher,
      // Without alt=sse Gemini streams one JSON array, not server-sent events.
      url: `${this.#url(options.modelId, 'streamGenerateContent')}?alt=sse`,
      headers: this.#headers,
      body: convertToGeminiRequest(request, options.modelId),
      signal: options.signal,
    });
    return this.#parts(events);
  }

  async *#parts(events: AsyncIterable<{ data: string }>): AsyncGenerator<StreamPart> {
    const state = createGeminiStreamState();
    let first = true;
    for await (const event of events) {
      const chunk = asRecord(parseEventJson(this.providerId, event.data));
      if (chunk === undefined) throw badResponse(this.providerId, 'stream chunk is not an object');
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
