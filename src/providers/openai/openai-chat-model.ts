// Adapter for OpenAI Chat Completions and every server that speaks it (vLLM, Ollama, Groq, Mistral...).
import type { CallOptions, ChatModel, ChatRequest, ChatResult, StreamPart } from '../../spec/index.js';
import { joinUrl, UpstreamClient, type HttpProviderSettings } from '../shared/http-client.js';
import { extractErrorMessage, streamInterrupted } from '../shared/upstream-errors.js';
import { convertToOpenAIRequest } from './convert-to-openai-request.js';
import { mapOpenAIChunk, mapOpenAIResponse } from './map-openai-response.js';

export interface OpenAIChatModelSettings extends HttpProviderSettings {
  /** Adapter family reported in telemetry; `huggingface` reuses this adapter for HF's router. */
  providerType?: string | undefined;
}

/**
 * Calls `POST {baseUrl}/chat/completions` with `Authorization: Bearer`.
 * @example new OpenAIChatModel({ providerId: 'primary', baseUrl: 'https://api.openai.com/v1', apiKey, dispatcher })
 */
export class OpenAIChatModel implements ChatModel {
  readonly providerId: string;
  readonly providerType: string;
  readonly #url: string;
  readonly #client: UpstreamClient;

  constructor(settings: OpenAIChatModelSettings) {
    this.providerId = settings.providerId;
    this.providerType = settings.providerType ?? 'openai';
    this.#url = joinUrl(settings.baseUrl, 'chat/completions');
    const headers: Record<string, string> = { ...settings.headers };
    if (settings.apiKey !== undefined && settings.apiKey !== '') {
      headers.authorization = `Bearer ${settings.apiKey}`;
    }
    this.#client = new UpstreamClient({
      providerId: settings.providerId,
      dispatcher: settings.dispatcher,
      headers,
    });
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    const body = await this.#client.json(
      this.#url,
      convertToOpenAIRequest(request, options.modelId, false),
      options.signal,
    );
    return mapOpenAIResponse(this.providerId, body, options.modelId);
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    const events = await this.#client.events(
      this.#url,
      convertToOpenAIRequest(request, options.modelId, true),
      options.signal,
    );
    return this.#parts(events);
  }

  async *#parts(events: AsyncIterable<{ data: string }>): AsyncGenerator<StreamPart> {
    const parts: StreamPart[] = [];
    let first = true;
    let finished = false;
    for await (const event of events) {
      if (event.data === '[DONE]') return;
      const chunk = this.#client.eventObject(event.data);
      if (chunk.error !== undefined) {
        throw streamInterrupted(this.providerId, extractErrorMessage(JSON.stringify(chunk.error)));
      }
      if (first) {
        first = false;
        yield {
          type: 'response-metadata',
          providerResponseId: typeof chunk.id === 'string' && chunk.id !== '' ? chunk.id : undefined,
          model: typeof chunk.model === 'string' ? chunk.model : undefined,
        };
      }
      mapOpenAIChunk(chunk, parts);
      for (const part of parts) {
        if (part.type === 'finish') finished = true;
        yield part;
      }
      parts.length = 0;
    }
    // Some compatible servers omit [DONE]; a stream that never said why it finished was cut.
    if (!finished) throw streamInterrupted(this.providerId, 'the stream ended before a finish reason');
  }
}
