// Neutral ChatRequest -> text-generation-inference `/generate` and `/generate_stream` request body.
import { ErrorCodes, KeelError, type ChatRequest } from '../../spec/index.js';
import { compact, type JsonRecord } from '../shared/read-json.js';
import { renderChatTemplate, type PromptTemplate } from './render-chat-template.js';

/** The `/generate` request body: the rendered prompt and the sampling parameters. */
export interface TgiRequest {
  inputs: string;
  parameters: JsonRecord;
}

export interface ConvertToTgiRequestOptions {
  providerId: string;
  request: ChatRequest;
  promptTemplate: PromptTemplate;
}

/** The request field a prompt template cannot express, if any. */
function findUnsupportedField(request: ChatRequest): string | undefined {
  if (request.tools !== undefined && request.tools.length > 0) return 'tools';
  for (const message of request.messages) {
    if (message.role === 'tool' || (message.toolCalls !== undefined && message.toolCalls.length > 0)) {
      return 'messages';
    }
    if (Array.isArray(message.content) && message.content.some((part) => part.type !== 'text')) {
      return 'messages';
    }
  }
  return undefined;
}

function convertResponseFormat(format: ChatRequest['responseFormat']): JsonRecord | undefined {
  // TGI constrains decoding with a JSON-schema grammar ("guidance"); plain text needs none.
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json', value: { type: 'object' } };
  return { type: 'json', value: format.schema };
}

/**
 * The body for `POST {baseUrl}/generate` (and `/generate_stream`, which takes the same body).
 * Throws a KEEL_INVALID_REQUEST KeelError, with failover allowed, for tools, tool messages and
 * images: a prompt template cannot carry them, but another target may.
 *
 * TGI validates more strictly than OpenAI: `temperature` must be > 0 and `top_p` inside (0, 1),
 * so temperature 0 becomes greedy decoding (`do_sample: false`) and an out-of-range top_p is left
 * out. `presence_penalty` and `user` have no TGI counterpart and are dropped.
 */
export function convertToTgiRequest(options: ConvertToTgiRequestOptions): TgiRequest {
  const { request } = options;
  const unsupported = findUnsupportedField(request);
  if (unsupported !== undefined) {
    throw new KeelError({
      code: ErrorCodes.invalidRequest,
      status: 400,
      retryable: false,
      failover: true,
      countsAsFailure: false,
      param: unsupported,
      message:
        `${options.providerId} uses TGI's text API (api: 'generate'), which takes no tools, tool ` +
        `messages or images; send text only, or set api: 'chat' for this provider`,
    });
  }
  const sampling = request.temperature !== undefined && request.temperature > 0;
  const topP = request.topP !== undefined && request.topP > 0 && request.topP < 1 ? request.topP : undefined;
  return {
    inputs: renderChatTemplate(request.messages, options.promptTemplate),
    parameters: compact({
      max_new_tokens: request.maxTokens,
      temperature: sampling ? request.temperature : undefined,
      top_p: topP,
      stop: request.stop,
      seed: request.seed,
      frequency_penalty: request.frequencyPenalty,
      grammar: convertResponseFormat(request.responseFormat),
      details: true,
      return_full_text: false,
      do_sample: sampling,
    }),
  };
}
