// Neutral ChatRequest -> Gemini `generateContent` request body (contents, system instruction, tools, config).
import { invalidRequest, type ChatMessage, type ChatRequest, type ContentPart } from '../../spec/index.js';
import { parseArguments, splitSystem, textOf } from '../shared/messages.js';
import { compact, type JsonRecord } from '../shared/read-json.js';

/** One turn of a Gemini conversation. Gemini knows only two roles; tool results travel as `user`. */
export interface GeminiContent {
  role: 'user' | 'model';
  parts: JsonRecord[];
}

/**
 * The thought-signature value Google documents for replaying a function call whose real signature
 * the client no longer has (https://ai.google.dev/gemini-api/docs/thought-signatures). Keel's
 * neutral ToolCall carries no signature, so every replayed call to a Gemini 3 model needs it.
 */
export const skipThoughtSignatureValidator = 'skip_thought_signature_validator';

/**
 * Gemini 3 and later reject replayed function calls without a thought signature (HTTP 400);
 * 1.x and 2.x do not need one. Aliases without a version (`gemini-flash-latest`) follow the newest.
 */
export function requiresThoughtSignatures(modelId: string): boolean {
  const match = /(?:^|\/)gemini-(\d+)?/.exec(modelId);
  if (match === null) return false;
  return match[1] === undefined || Number(match[1]) >= 3;
}

const dataUrlPattern = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

function convertImage(part: Extract<ContentPart, { type: 'image' }>): JsonRecord {
  const dataUrl = dataUrlPattern.exec(part.url);
  if (dataUrl === null) {
    // Gemini fetches only URIs it can reach (File API, gs://, public https); it decides, not Keel.
    return { fileData: compact({ mimeType: part.mediaType, fileUri: part.url }) };
  }
  const [, urlMediaType = '', parameters = '', payload = ''] = dataUrl;
  const data = parameters.split(';').includes('base64')
    ? payload
    : Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
  const mimeType = part.mediaType ?? (urlMediaType === '' ? 'application/octet-stream' : urlMediaType);
  return { inlineData: { mimeType, data } };
}

function convertContent(content: string | ContentPart[] | null): JsonRecord[] {
  if (content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const parts: JsonRecord[] = [];
  for (const part of content) {
    if (part.type === 'image') parts.push(convertImage(part));
    // Gemini rejects empty text parts.
    else if (part.text !== '') parts.push({ text: part.text });
  }
  return parts;
}

/** A tool result as Gemini's `functionResponse.response`, which must be a JSON object. */
function convertToolResult(text: string): JsonRecord {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as JsonRecord;
  } catch {
    // Plain text: wrapped below.
  }
  return { content: text };
}

interface ConvertState {
  contents: GeminiContent[];
  /** Tool-call id -> function name, from the assistant messages seen so far. */
  callNames: Map<string, string>;
  signFunctionCalls: boolean;
}

function append(state: ConvertState, role: GeminiContent['role'], parts: JsonRecord[]): void {
  if (parts.length === 0) return;
  const last = state.contents.at(-1);
  // Gemini wants turns to alternate; parallel tool results must share one turn.
  if (last !== undefined && last.role === role) last.parts.push(...parts);
  else state.contents.push({ role, parts });
}

function convertAssistant(state: ConvertState, message: ChatMessage): void {
  const parts = convertContent(message.content);
  for (const [position, call] of (message.toolCalls ?? []).entries()) {
    state.callNames.set(call.id, call.name);
    // One signature per step: on its first function call, as Gemini itself returns them.
    const signature = state.signFunctionCalls && position === 0 ? skipThoughtSignatureValidator : undefined;
    parts.push(
      compact({
        functionCall: { name: call.name, args: parseArguments(call.arguments) },
        thoughtSignature: signature,
      }),
    );
  }
  append(state, 'model', parts);
}

function convertTool(state: ConvertState, message: ChatMessage, index: number): void {
  const callId = message.toolCallId ?? '';
  const name = state.callNames.get(callId) ?? message.name;
  if (name === undefined) {
    throw invalidRequest(
      `messages[${index}] answers tool call "${callId}", which no earlier assistant message made`,
      `messages[${index}].tool_call_id`,
    );
  }
  append(state, 'user', [
    { functionResponse: { name, response: convertToolResult(textOf(message.content)) } },
  ]);
}

function convertMessages(request: ChatRequest, modelId: string): GeminiContent[] {
  const state: ConvertState = {
    contents: [],
    callNames: new Map(),
    signFunctionCalls: requiresThoughtSignatures(modelId),
  };
  for (const [index, message] of request.messages.entries()) {
    switch (message.role) {
      case 'system':
      case 'developer':
        break;
      case 'user':
        append(state, 'user', convertContent(message.content));
        break;
      case 'assistant':
        convertAssistant(state, message);
        break;
      case 'tool':
        convertTool(state, message, index);
        break;
    }
  }
  return state.contents;
}

function convertGenerationConfig(request: ChatRequest): JsonRecord | undefined {
  const format = request.responseFormat;
  const json = format?.type === 'json_object' || format?.type === 'json_schema';
  const config = compact({
    maxOutputTokens: request.maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    stopSequences: request.stop,
    seed: request.seed,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    responseMimeType: json ? 'application/json' : undefined,
    // responseJsonSchema takes plain JSON Schema; responseSchema would need an OpenAPI subset.
    responseJsonSchema: format?.type === 'json_schema' ? format.schema : undefined,
  });
  return Object.keys(config).length > 0 ? config : undefined;
}

function convertToolConfig(toolChoice: ChatRequest['toolChoice']): JsonRecord | undefined {
  switch (toolChoice) {
    case undefined:
      return undefined;
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    default:
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [toolChoice.name] } };
  }
}

/**
 * The body for `POST /v1beta/models/{model}:generateContent` (and `:streamGenerateContent`, which
 * takes the same body). The model is part of the URL, not the body. Gemini has no end-user field,
 * so `request.user` is not sent.
 * @example convertToGeminiRequest({ messages: [{ role: 'user', content: 'Hi' }] }, 'gemini-2.0-flash')
 */
export function convertToGeminiRequest(request: ChatRequest, modelId: string): JsonRecord {
  const { system } = splitSystem(request.messages);
  const hasTools = request.tools !== undefined && request.tools.length > 0;
  return compact({
    systemInstruction: system === undefined ? undefined : { parts: [{ text: system }] },
    contents: convertMessages(request, modelId),
    tools: hasTools
      ? [
          {
            functionDeclarations: request.tools?.map((tool) =>
              // parametersJsonSchema takes the client's JSON Schema as is (additionalProperties,
              // $ref...), where `parameters` accepts only an OpenAPI subset and rejects the rest.
              compact({
                name: tool.name,
                description: tool.description,
                parametersJsonSchema: tool.parameters,
              }),
            ),
          },
        ]
      : undefined,
    toolConfig: hasTools ? convertToolConfig(request.toolChoice) : undefined,
    generationConfig: convertGenerationConfig(request),
  });
}
