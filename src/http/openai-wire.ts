// OpenAI Chat Completions wire format at the edge: parse the request body, encode answers and chunks.
import { z } from 'zod';
import {
  invalidRequest,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type ContentPart,
  type FinishReason,
  type ToolChoice,
  type Usage,
} from '../spec/index.js';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string(), detail: z.string().optional() }),
});
const contentSchema = z.union([z.string(), z.array(z.union([textPart, imagePart])), z.null()]);

const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: contentSchema.optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
});

const toolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const toolChoiceSchema = z.union([
  z.enum(['auto', 'none', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
]);

const responseFormatSchema = z.union([
  z.looseObject({ type: z.enum(['text', 'json_object']) }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

/** Lenient: names only the fields Keel uses; unknown fields are ignored, as OpenAI-compatible servers do. */
const chatBodySchema = z.looseObject({
  model: z.string().min(1, 'model must not be empty'),
  messages: z.array(messageSchema).min(1, 'messages must hold at least one message'),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().positive().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  response_format: responseFormatSchema.optional(),
  user: z.string().optional(),
});

/** A validated chat call, ready for the gateway. */
export interface ParsedChatCall {
  model: string;
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
}

function convertContent(content: z.infer<typeof contentSchema> | undefined): string | ContentPart[] | null {
  if (content === undefined || content === null || typeof content === 'string') return content ?? null;
  return content.map((part): ContentPart =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : { type: 'image', url: part.image_url.url, detail: part.image_url.detail },
  );
}

function convertMessage(message: z.infer<typeof messageSchema>): ChatMessage {
  return {
    role: message.role,
    content: convertContent(message.content),
    name: message.name,
    toolCalls: message.tool_calls?.map((call) => ({
      id: call.id,
      name: call.function.name,
      arguments: call.function.arguments,
    })),
    toolCallId: message.tool_call_id,
  };
}

function convertToolChoice(choice: z.infer<typeof toolChoiceSchema> | undefined): ToolChoice | undefined {
  if (choice === undefined || typeof choice === 'string') return choice;
  return { name: choice.function.name };
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const key of path)
    text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  return text;
}

/**
 * Validates an OpenAI chat completion body and converts it to the internal request.
 * @throws KeelError KEEL_INVALID_REQUEST naming the field at fault.
 */
export function parseChatBody(body: unknown): ParsedChatCall {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object with "model" and "messages".');
  }
  const parsed = chatBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue === undefined ? undefined : fieldPath(issue.path);
    const message =
      issue === undefined
        ? 'invalid request body'
        : issue.code === 'invalid_type' && issue.input === undefined
          ? `Missing required parameter: '${param}'.`
          : `Invalid '${param}': ${issue.message}.`;
    throw invalidRequest(message, param);
  }
  const data = parsed.data;
  if (data.n !== undefined && data.n !== null && data.n > 1) {
    throw invalidRequest("Keel answers one choice per request; set 'n' to 1 or leave it out.", 'n');
  }
  data.messages.forEach((message, index) => {
    const noContent = message.content === undefined || message.content === null;
    if (noContent && !(message.role === 'assistant' && (message.tool_calls?.length ?? 0) > 0)) {
      throw invalidRequest(
        `Missing required parameter: 'messages[${index}].content'.`,
        `messages[${index}].content`,
      );
    }
    if (message.role === 'tool' && message.tool_call_id === undefined) {
      throw invalidRequest(
        `Missing required parameter: 'messages[${index}].tool_call_id'.`,
        `messages[${index}].tool_call_id`,
      );
    }
  });
  const format = data.response_format;
  const request: ChatRequest = {
    messages: data.messages.map(convertMessage),
    maxTokens: data.max_completion_tokens ?? data.max_tokens ?? undefined,
    temperature: data.temperature ?? undefined,
    topP: data.top_p ?? undefined,
    stop: typeof data.stop === 'string' ? [data.stop] : (data.stop ?? undefined),
    seed: data.seed ?? undefined,
    presencePenalty: data.presence_penalty ?? undefined,
    frequencyPenalty: data.frequency_penalty ?? undefined,
    tools: data.tools?.map((tool) => ({
      name: tool.function.name,
      description: tool.function.description,
      parameters: tool.function.parameters ?? { type: 'object', properties: {} },
    })),
    toolChoice: convertToolChoice(data.tool_choice),
    responseFormat:
      format === undefined
        ? undefined
        : format.type === 'json_schema'
          ? {
              type: 'json_schema',
              name: format.json_schema.name,
              schema: format.json_schema.schema ?? {},
              strict: format.json_schema.strict ?? undefined,
            }
          : { type: format.type },
    user: data.user,
  };
  return {
    model: data.model,
    request,
    stream: data.stream === true,
    includeUsage: data.stream_options?.include_usage === true,
  };
}

/** FinishReason -> OpenAI finish_reason ("other" and "error" have no OpenAI name; "stop" is closest). */
export function toOpenAIFinishReason(reason: FinishReason): string {
  return reason === 'other' || reason === 'error' ? 'stop' : reason;
}

export function toOpenAIUsage(usage: Usage | undefined): Record<string, unknown> | undefined {
  if (usage === undefined) return undefined;
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** A `chat.completion` object for a whole answer. */
export function toCompletionJson(options: {
  id: string;
  created: number;
  result: ChatResult;
}): Record<string, unknown> {
  const { result } = options;
  const message: Record<string, unknown> = { role: 'assistant', content: result.text, refusal: null };
  if (result.toolCalls.length > 0) {
    message.tool_calls = result.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: options.id,
    object: 'chat.completion',
    created: options.created,
    model: result.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(result.finishReason) },
    ],
    usage: toOpenAIUsage(result.usage),
  };
}
