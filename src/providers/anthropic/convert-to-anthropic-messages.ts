// Neutral ChatRequest -> body of Anthropic's `POST /v1/messages` (Messages API).
import {
  invalidRequest,
  type ChatMessage,
  type ChatRequest,
  type ContentPart,
  type ToolChoice,
} from '../../spec/index.js';
import { parseArguments, splitSystem } from '../shared/messages.js';
import { compact, type JsonRecord } from '../shared/read-json.js';

/** max_tokens sent when neither the request nor the provider settings name one. */
export const defaultAnthropicMaxTokens = 4096;

export interface ConvertToAnthropicMessagesOptions {
  request: ChatRequest;
  /** Anthropic's model id, e.g. `claude-sonnet-4-20250514`. */
  modelId: string;
  stream: boolean;
  /** Anthropic requires max_tokens; this fills it when the request has none. Default 4096. */
  defaultMaxTokens?: number | undefined;
}

interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: JsonRecord[];
}

// `data:image/png;base64,iVBOR...`: Anthropic wants the media type and the bare base64 apart.
const base64DataUrlPattern = /^data:([^;,]+);base64,(.*)$/s;

function convertImage(part: Extract<ContentPart, { type: 'image' }>, param: string): JsonRecord {
  const dataUrl = base64DataUrlPattern.exec(part.url);
  if (dataUrl !== null) {
    const [, mediaType, data] = dataUrl;
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data } };
  }
  if (/^https?:\/\//i.test(part.url)) return { type: 'image', source: { type: 'url', url: part.url } };
  throw invalidRequest(
    `Anthropic accepts images as http(s) URLs or base64 data URLs, not "${part.url.slice(0, 40)}"`,
    param,
  );
}

// Anthropic rejects empty text blocks, so empty strings and parts are dropped.
function convertContent(content: string | ContentPart[] | null, param: string): JsonRecord[] {
  if (content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: JsonRecord[] = [];
  for (const part of content) {
    if (part.type === 'image') blocks.push(convertImage(part, param));
    else if (part.text !== '') blocks.push({ type: 'text', text: part.text });
  }
  return blocks;
}

function convertToolResult(message: ChatMessage, param: string): JsonRecord {
  if (message.toolCallId === undefined || message.toolCallId === '') {
    throw invalidRequest(
      'a tool message needs the tool_call_id of the call it answers',
      `${param}.tool_call_id`,
    );
  }
  const blocks = convertContent(message.content, `${param}.content`);
  // A plain string stays a string; Anthropic also takes text and image blocks here.
  const content =
    typeof message.content === 'string'
      ? message.content === ''
        ? undefined
        : message.content
      : blocks.length > 0
        ? blocks
        : undefined;
  return compact({ type: 'tool_result', tool_use_id: message.toolCallId, content });
}

function convertMessage(message: ChatMessage, param: string): AnthropicMessage {
  if (message.role === 'tool') return { role: 'user', content: [convertToolResult(message, param)] };
  const content = convertContent(message.content, `${param}.content`);
  if (message.role === 'assistant') {
    for (const call of message.toolCalls ?? []) {
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
    }
    return { role: 'assistant', content };
  }
  return { role: 'user', content };
}

/**
 * The conversation without system/developer messages, as alternating user/assistant turns.
 * Anthropic rejects two turns of the same role in a row, so they are merged; tool results
 * travel in user turns and must lead their turn's content.
 */
function convertConversation(messages: ChatMessage[]): AnthropicMessage[] {
  const turns: AnthropicMessage[] = [];
  messages.forEach((message, index) => {
    if (message.role === 'system' || message.role === 'developer') return;
    const turn = convertMessage(message, `messages[${index}]`);
    if (turn.content.length === 0) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === turn.role) last.content.push(...turn.content);
    else turns.push(turn);
  });
  for (const turn of turns) {
    if (turn.role !== 'user') continue;
    const toolResults = turn.content.filter((block) => block.type === 'tool_result');
    if (toolResults.length === 0) continue;
    turn.content = [...toolResults, ...turn.content.filter((block) => block.type !== 'tool_result')];
  }
  return turns;
}

/** OpenAI-style tool_choice -> Anthropic's: `required` is `any`, a named tool is `tool`. */
export function convertToolChoice(choice: ToolChoice | undefined): JsonRecord | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  return { type: 'tool', name: choice.name };
}

/**
 * The body for `POST /v1/messages`. Fields Anthropic has no equivalent for (seed, presence and
 * frequency penalties, response_format) are not sent.
 * @example convertToAnthropicMessages({ request, modelId: 'claude-sonnet-4-20250514', stream: false })
 */
export function convertToAnthropicMessages(options: ConvertToAnthropicMessagesOptions): JsonRecord {
  const { request } = options;
  const { system } = splitSystem(request.messages);
  return compact({
    model: options.modelId,
    system: system === '' ? undefined : system,
    messages: convertConversation(request.messages),
    max_tokens: request.maxTokens ?? options.defaultMaxTokens ?? defaultAnthropicMaxTokens,
    temperature: request.temperature,
    top_p: request.topP,
    stop_sequences: request.stop === undefined || request.stop.length === 0 ? undefined : request.stop,
    tools: request.tools?.map((tool) =>
      compact({ name: tool.name, description: tool.description, input_schema: tool.parameters }),
    ),
    tool_choice: convertToolChoice(request.toolChoice),
    metadata: request.user === undefined || request.user === '' ? undefined : { user_id: request.user },
    stream: options.stream ? true : undefined,
  });
}
