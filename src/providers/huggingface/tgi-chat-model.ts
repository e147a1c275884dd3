// Adapter for text-generation-inference's native text API: `/generate` and `/generate_stream`.
import type { CallOptions, ChatModel, ChatRequest, ChatResult, StreamPart } from '../../spec/index.js';
import { joinUrl, UpstreamClient, type HttpProviderSettings } from '../shared/http-client.js';
import { extractErrorMessage, streamInterrupted } from '../shared/upstream-errors.js';
import { convertToTgiRequest, type TgiRequest } from './convert-to-tgi-request.js';
import { mapTgiResponse, mapTgiStreamEvent } from './map-tgi-response.js';
import type { PromptTemplate } from './render-chat-template.js';

export interface TgiChatModelSettings extends HttpProviderSettings {
  /** The chat template the served model was trained on; the messages are rendered with it. */
  promptTemplate: PromptTemplate;
}

/**
 * Calls a TGI server (self-hosted or a Hugging Face Inference Endpoint) with one rendered prompt,
 * `Authorization: Bearer` when an API key is set. TGI serves a single model, so the model id is
 * only reported back, never sent.
 * @example new TgiChatModel({ providerId: 'tgi', baseUrl: 'http://tgi:8080', promptTemplate: 'chatml', dispatcher })
 */
export class TgiChatModel implements ChatModel {
  readonly providerId: string;
  readonly providerType = 'huggingface';
  readonly #settings: TgiChatModelSettings;
  readonly #client: UpstreamClient;

  constructor(settings: TgiChatModelSettings) {
    this.providerId = settings.providerId;
    this.#settings = settings;
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
    const body = this.#body(request);
    const answer = await this.#client.json(joinUrl(this.#settings.baseUrl, 'generate'), body, options.signal);
    return mapTgiResponse(answer, {
      providerId: this.providerId,
      modelId: options.modelId,
      prompt: body.inputs,
    });
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    const body = this.#body(request);
    const events = await this.#client.events(
      joinUrl(this.#settings.baseUrl, 'generate_stream'),
      body,
      options.signal,
    );
    return this.#parts(events, body.inputs);
  }

  #body(request: ChatRequest): TgiRequest {
    return convertToTgiRequest({
      providerId: this.providerId,
      request,
      promptTemplate: this.#settings.promptTemplate,
    });
  }

  async *#parts(events: AsyncIterable<{ data: string }>, prompt: string): AsyncGenerator<StreamPart> {
    const parts: StreamPart[] = [];
    let finished = false;
    for await (const event of events) {
      // TGI sends no [DONE]; some TGI-compatible servers do.
      if (event.data === '[DONE]') break;
      const payload = this.#client.eventObject(event.data);
      // A failure after the 200 arrives as `data:{"error":"...","error_type":"..."}`.
      if (payload.error !== undefined) {
        throw streamInterrupted(this.providerId, extractErrorMessage(JSON.stringify(payload)));
      }
      mapTgiStreamEvent(payload, prompt, parts);
      for (const part of parts) {
        if (part.type === 'finish') finished = true;
        yield part;
      }
      parts.length = 0;
    }
    // Only the last event carries `details`; without it the answer was cut short.
    if (!finished)
      throw streamInterrupted(this.providerId, 'the stream ended before the final details event');
  }
}
