// Builds the Hugging Face adapter: the OpenAI-compatible router/Messages API, or TGI's native API.
import type { Dispatcher } from 'undici';
import { ErrorCodes, KeelError, type ChatModel } from '../../spec/index.js';
import { OpenAIChatModel } from '../openai/openai-chat-model.js';
import { promptTemplates, type PromptTemplate } from './render-chat-template.js';
import { TgiChatModel } from './tgi-chat-model.js';

/** Hugging Face's OpenAI-compatible router, the default base URL of `api: 'chat'`. */
export const huggingFaceRouterBaseUrl = 'https://router.huggingface.co/v1';

/** The template `api: 'generate'` renders with when none is set (the config file's default too). */
export const defaultPromptTemplate: PromptTemplate = 'mistral';

export interface HuggingFaceChatModelSettings {
  /** Config id of this provider, used in errors and labels. */
  providerId: string;
  /**
   * `api: 'chat'`: an OpenAI-compatible base ending in `/v1` (the HF router by default, or a TGI
   * server's `http://host:8080/v1`). `api: 'generate'`: the TGI server or Inference Endpoint root;
   * required.
   */
  baseUrl?: string | undefined;
  /** A Hugging Face token (`hf_...`), sent as `Authorization: Bearer` by both APIs. */
  apiKey?: string | undefined;
  /** Extra headers sent with every call. */
  headers?: Record<string, string> | undefined;
  /** undici dispatcher (connection pool); injectable for tests. */
  dispatcher: Dispatcher;
  /** `chat` (default): `/chat/completions`. `generate`: TGI's `/generate` with a rendered prompt. */
  api?: 'chat' | 'generate' | undefined;
  /** `api: 'generate'` only: the chat template of the served model. Default `mistral`. */
  promptTemplate?: PromptTemplate | undefined;
}

function configError(message: string): KeelError {
  return new KeelError({ code: ErrorCodes.configInvalid, status: 500, message });
}

/**
 * The ChatModel for one `type: huggingface` provider; both kinds report providerType `huggingface`.
 * Throws KEEL_CONFIG_INVALID for an unknown `api` or template, or `api: 'generate'` without a baseUrl.
 * @example
 * createHuggingFaceChatModel({ providerId: 'hf', apiKey: process.env.HF_TOKEN, dispatcher })
 * createHuggingFaceChatModel({ providerId: 'tgi', api: 'generate', baseUrl: 'http://tgi:8080', promptTemplate: 'llama3', dispatcher })
 */
export function createHuggingFaceChatModel(settings: HuggingFaceChatModelSettings): ChatModel {
  const { providerId, apiKey, headers, dispatcher } = settings;
  const api = settings.api ?? 'chat';
  if (api === 'chat') {
    return new OpenAIChatModel({
      providerId,
      baseUrl: settings.baseUrl ?? huggingFaceRouterBaseUrl,
      apiKey,
      headers,
      dispatcher,
      providerType: 'huggingface',
    });
  }
  if (api !== 'generate') {
    throw configError(`providers.${providerId}.api: got "${String(api)}"; write "chat" or "generate"`);
  }
  if (settings.baseUrl === undefined || settings.baseUrl === '') {
    throw configError(
      `providers.${providerId}.baseUrl: required with api "generate"; write the TGI server or ` +
        `Inference Endpoint URL, e.g. "http://tgi:8080"`,
    );
  }
  const promptTemplate = settings.promptTemplate ?? defaultPromptTemplate;
  if (!promptTemplates.includes(promptTemplate)) {
    throw configError(
      `providers.${providerId}.promptTemplate: got "${String(promptTemplate)}"; write one of ` +
        promptTemplates.map((name) => `"${name}"`).join(', '),
    );
  }
  return new TgiChatModel({
    providerId,
    baseUrl: settings.baseUrl,
    apiKey,
    headers,
    dispatcher,
    promptTemplate,
  });
}
