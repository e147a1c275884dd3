// Gemini GenerateContentResponse JSON and stream chunks -> neutral results and stream parts.
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from '../../spec/index.js';
import { asArray, asNumber, asRecord, asString, type JsonRecord } from '../shared/read-json.js';
import { badResponse } from '../shared/upstream-errors.js';

/**
 * Gemini `finishReason` -> FinishReason. Gemini says STOP after function calls too, so a candidate
 * that called a tool is `tool_calls` whatever the reason.
 */
export function mapGeminiFinishReason(reason: unknown, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool_calls';
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    default:
      return 'other';
  }
}

/**
 * Gemini `usageMetadata` -> Usage. Gemini counts thinking apart from the answer
 * (`thoughtsTokenCount`), but bills it as output, so it is added to outputTokens.
 */
export function mapGeminiUsage(value: unknown): Usage | undefined {
  const usage = asRecord(value);
  if (usage === undefined) return undefined;
  const thoughtsTokens = asNumber(usage.thoughtsTokenCount);
  // Results of Gemini's own tools (search, code execution) are billed as prompt tokens.
  const inputTokens =
    (asNumber(usage.promptTokenCount) ?? 0) + (asNumber(usage.toolUsePromptTokenCount) ?? 0);
  const outputTokens = (asNumber(usage.candidatesTokenCount) ?? 0) + (thoughtsTokens ?? 0);
  return {
    inputTokens,
    outputTokens,
    totalTokens: asNumber(usage.totalTokenCount) ?? inputTokens + outputTokens,
    cachedInputTokens: asNumber(usage.cachedContentTokenCount),
    reasoningTokens: thoughtsTokens,
  };
}

/** A `functionCall` part as a ToolCall; `position` numbers the calls of one answer from 0. */
function mapFunctionCall(functionCall: JsonRecord, position: number): ToolCall {
  return {
    // The Gemini API gives calls no id unless asked to; tool results are matched by name and order.
    id: asString(functionCall.id) ?? `call_${position}`,
    name: asString(functionCall.name) ?? '',
    arguments: JSON.stringify(asRecord(functionCall.args) ?? {}),
  };
}

interface CandidateContent {
  /** Answer text in order; thought summaries (`thought: true`) left out. */
  texts: string[];
  functionCalls: JsonRecord[];
}

function readCandidateContent(candidate: JsonRecord | undefined): CandidateContent {
  const content: CandidateContent = { texts: [], functionCalls: [] };
  for (const item of asArray(asRecord(candidate?.content)?.parts)) {
    const part = asRecord(item);
    if (part === undefined || part.thought === true) continue;
    const text = asString(part.text);
    if (text !== undefined && text !== '') content.texts.push(text);
    const functionCall = asRecord(part.functionCall);
    if (functionCall !== undefined) content.functionCalls.push(functionCall);
  }
  return content;
}

function promptBlockReason(response: JsonRecord): string | undefined {
  return asString(asRecord(response.promptFeedback)?.blockReason);
}

export interface MapGeminiResponseOptions {
  providerId: string;
  body: unknown;
  /** Reported as the model when the response names none. */
  requestedModel: string;
}

/**
 * A whole `GenerateContentResponse` -> ChatResult. A prompt Gemini refused to answer
 * (`promptFeedback.blockReason`, no candidates) is a `content_filter` result, not an error.
 */
export function mapGeminiResponse(options: MapGeminiResponseOptions): ChatResult {
  const response = asRecord(options.body);
  if (response === undefined) throw badResponse(options.providerId, 'the response is not a JSON object');
  const candidate = asRecord(asArray(response.candidates)[0]);
  const common = {
    providerResponseId: asString(response.responseId),
    model: asString(response.modelVersion) ?? options.requestedModel,
    usage: mapGeminiUsage(response.usageMetadata),
  };
  if (candidate === undefined) {
    if (promptBlockReason(response) === undefined) {
      throw badResponse(
        options.providerId,
        'no candidates and no promptFeedback.blockReason in the response',
      );
    }
    return { ...common, text: null, toolCalls: [], finishReason: 'content_filter' };
  }
  const content = readCandidateContent(candidate);
  const toolCalls = content.functionCalls.map(mapFunctionCall);
  return {
    ...common,
    text: content.texts.length > 0 ? content.texts.join('') : null,
    toolCalls,
    finishReason: mapGeminiFinishReason(candidate.finishReason, toolCalls.length > 0),
  };
}

/** What a stream has told so far; one per stream, updated by `mapGeminiChunk`. */
export interface GeminiStreamState {
  toolCallCount: number;
  finished: boolean;
  /** The last `usageMetadata` seen; Gemini repeats it, growing, on every chunk. */
  usage: Usage | undefined;
}

export function createGeminiStreamState(): GeminiStreamState {
  return { toolCallCount: 0, finished: false, usage: undefined };
}

/**
 * One streamed `GenerateContentResponse` chunk -> the parts it carries, in order. Gemini sends
 * each function call whole, so each becomes one delta with all its arguments. Usage is kept in
 * `state` for the caller to send once the stream has ended.
 */
export function mapGeminiChunk(chunk: JsonRecord, state: GeminiStreamState): StreamPart[] {
  const parts: StreamPart[] = [];
  state.usage = mapGeminiUsage(chunk.usageMetadata) ?? state.usage;
  const candidate = asRecord(asArray(chunk.candidates)[0]);
  if (candidate === undefined) {
    if (promptBlockReason(chunk) !== undefined && !state.finished) {
      state.finished = true;
      parts.push({ type: 'finish', finishReason: 'content_filter' });
    }
    return parts;
  }
  const content = readCandidateContent(candidate);
  for (const text of content.texts) parts.push({ type: 'text-delta', text });
  for (const functionCall of content.functionCalls) {
    const call = mapFunctionCall(functionCall, state.toolCallCount);
    parts.push({
      type: 'tool-call-delta',
      index: state.toolCallCount,
      id: call.id,
      name: call.name,
      argumentsDelta: call.arguments,
    });
    state.toolCallCount += 1;
  }
  const finishReason = asString(candidate.finishReason);
  if (finishReason !== undefined && finishReason !== '' && !state.finished) {
    state.finished = true;
    parts.push({
      type: 'finish',
      finishReason: mapGeminiFinishReason(finishReason, state.toolCallCount > 0),
    });
  }
  return parts;
}
