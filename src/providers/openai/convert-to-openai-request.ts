// Neutral ChatRequest -> OpenAI Chat Completions request body.
import type { ChatMessage, ChatRequest, ContentPart } from '../../spec/index.js';
import { compact, type JsonRecord } from '../shared/read-json.js';

function convertContent(content: string | ContentPart[] | null): unknown {
  if (content === null || typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : { type: 'image_url', image_url: compact({ url: part.url, detail: part.detail }) },
  );
}

function convertMessage(message: ChatMessage): JsonRecord {
  return compact({
    role: message.role,
    content: convertContent(message.content),
    name: message.name,
    tool_calls:
      message.toolCalls === undefined || message.toolCalls.length === 0
        ? undefined
        : message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function',
            function: { name: call.name, arguments: call.arguments },
          })),
    tool_call_id: message.toolCallId,
  });
}

function convertResponseFormat(format: ChatRequest['responseFormat']): unknown {
  if (format === undefined || format.type !== 'json_schema') return format;
  return {
    type: 'json_schema',
    json_schema: compact({ name: format.name, schema: format.schema, strict: format.strict }),
  };
}

/** The body for `POST /chat/completions`. Streams always ask for usage so Keel can count tokens. */
export function convertToOpenAIRequest(request: ChatRequest, modelId: string, stream: boolean): JsonRecord {
  return compact({
    model: modelId,
    messages: request.messages.map(convertMessage),
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    stop: request.stop,
    seed: request.seed,
    presence_penalty: request.presencePenalty,
    frequency_penalty: request.frequencyPenalty,
    tools: request.tools?.map((tool) => ({
      type: 'function',
      function: compact({ name: tool.name, description: tool.description, parameters: tool.parameters }),
    })),
    tool_choice:
      request.toolChoice === undefined || typeof request.toolChoice === 'string'
        ? request.toolChoice
        : { type: 'function', function: { name: request.toolChoice.name } },
    response_format: convertResponseFormat(request.responseFormat),
    user: request.user,
    stream: stream ? true : undefined,
    stream_options: stream ? { include_usage: true } : undefined,
  });
}
