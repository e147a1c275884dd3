// The internal chat contract every provider adapter speaks: request, result, stream parts, usage.

/** Who wrote a message. `developer` is OpenAI's newer name for a system message. */
export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

/** One part of a multi-part message content. */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string; mediaType?: string | undefined; detail?: string | undefined };

/** A tool call the model made, with its JSON arguments as text. */
export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, exactly as the model produced it. */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  /** Plain text, parts, or null for an assistant message that only calls tools. */
  content: string | ContentPart[] | null;
  name?: string | undefined;
  /** Assistant messages: the tools it called. */
  toolCalls?: ToolCall[] | undefined;
  /** Tool messages: the call this message answers. */
  toolCallId?: string | undefined;
}

export interface ToolDefinition {
  name: string;
  description?: string | undefined;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** A provider-neutral chat request. Adapters map it onto their own wire format. */
export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  topP?: number | undefined;
  stop?: string[] | undefined;
  seed?: number | undefined;
  presencePenalty?: number | undefined;
  frequencyPenalty?: number | undefined;
  tools?: ToolDefinition[] | undefined;
  toolChoice?: ToolChoice | undefined;
  /** `json_object` or a JSON schema the answer must follow, where the provider supports it. */
  responseFormat?: ResponseFormat | undefined;
  /** End-user id, forwarded where the provider accepts one. */
  user?: string | undefined;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean | undefined };

/** Why generation stopped, normalized across providers. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error' | 'other';

/** Token usage. Cached and reasoning tokens are parts of input and output, not additions. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Input tokens served from the provider's prompt cache (included in inputTokens). */
  cachedInputTokens?: number | undefined;
  /** Input tokens written to the provider's prompt cache (Anthropic; included in inputTokens). */
  cacheWriteInputTokens?: number | undefined;
  /** Output tokens spent on hidden reasoning (included in outputTokens). */
  reasoningTokens?: number | undefined;
}

/** A whole (non-streamed) answer. */
export interface ChatResult {
  /** The provider's own response id, if it gave one. */
  providerResponseId?: string | undefined;
  /** The model that answered, as the provider named it. */
  model: string;
  text: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage | undefined;
}

/** One typed piece of a streamed answer. Only the HTTP edge turns these into `data:` lines. */
export type StreamPart =
  | { type: 'text-delta'; text: string }
  | {
      type: 'tool-call-delta';
      /** Position of the call in this answer, stable across its deltas. */
      index: number;
      id?: string | undefined;
      name?: string | undefined;
      argumentsDelta: string;
    }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: FinishReason }
  | { type: 'response-metadata'; providerResponseId?: string | undefined; model?: string | undefined };

/** Per-call settings the executor hands an adapter. */
export interface CallOptions {
  /** The provider's model id to call, e.g. `gpt-4o-mini`. */
  modelId: string;
  /** Aborts the upstream call (deadline or client gone). */
  signal: AbortSignal;
}

/**
 * One provider endpoint. `generate` resolves with a whole answer; `stream` resolves once the
 * upstream accepted the call (HTTP status known), with an iterable of parts that throws a
 * `KeelError` if the stream breaks. Both throw `KeelError`s with stable codes.
 */
export interface ChatModel {
  readonly providerId: string;
  /** The adapter family, e.g. `openai`, `anthropic`, `mock`. */
  readonly providerType: string;
  generate(request: ChatRequest, options: CallOptions): Promise<ChatResult>;
  stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>>;
}
