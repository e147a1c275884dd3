// OpenAI Chat Completions response JSON and stream chunks -> neutral results and stream parts.
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from '../../spec/index.js';
import { badResponse } from '../shared/upstream-errors.js';
import { asArray, asNumber, asRecord, asString, type JsonRecord } from '../shared/read-json.js';

/** OpenAI finish_reason -> FinishReason. `function_call` is the legacy name of `tool_calls`. */
export function mapOpenAIFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

/** OpenAI usage object -> Usage (cached and reasoning tokens are already inside the totals). */
export function mapOpenAIUsage(value: unknown): Usage | undefined {
  const usage = asRecord(value);
  if (usage === undefined) return undefined;
  const inputTokens = asNumber(usage.prompt_tokens) ?? 0;
  const outputTokens = asNumber(usage.completion_tokens) ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: asNumber(usage.total_tokens) ?? inputTokens + outputTokens,
    cachedInputTokens: asNumber(asRecord(usage.prompt_tokens_details)?.cached_tokens),
    reasoningTokens: asNumber(asRecord(usage.completion_tokens_details)?.reasoning_tokens),
  };
}

function mapToolCalls(value: unknown): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const item of asArray(value)) {
    const call = asRecord(item);
    const fn = asRecord(call?.function);
    if (call === undefined || fn === undefined) continue;
    calls.push({
      id: asString(call.id) ?? '',
      name: asString(fn.name) ?? '',
      arguments: asString(fn.arguments) ?? '',
    });
  }
  return calls;
}

/** A whole `chat.completion` object -> ChatResult. */
export function mapOpenAIResponse(providerId: string, body: unknown, requestedModel: string): ChatResult {
  const response = asRecord(body);
  const choice = asRecord(asArray(response?.choices)[0]);
  const message = asRecord(choice?.message);
  if (response === undefined || message === undefined) {
    throw badResponse(providerId, 'no choices[0].message in the completion');
  }
  return {
    // TGI-backed servers send "id": ""; an empty id is no id.
    providerResponseId: asString(response.id) || undefined,
    model: asString(response.model) ?? requestedModel,
    text: asString(message.content) ?? null,
    toolCalls: mapToolCalls(message.tool_calls),
    finishReason: mapOpenAIFinishReason(choice?.finish_reason),
    usage: mapOpenAIUsage(response.usage),
  };
}

/** One `chat.completion.chunk` -> the parts it carries, in order. */
export function mapOpenAIChunk(chunk: JsonRecord, parts: StreamPart[]): void {
  const choice = asRecord(asArray(chunk.choices)[0]);
  const delta = asRecord(choice?.delta);
  if (delta !== undefined) {
    const text = asString(delta.content);
    if (text !== undefined && text !== '') parts.push({ type: 'text-delta', text });
    for (const item of asArray(delta.tool_calls)) {
      const call = asRecord(item);
      if (call === undefined) continue;
      const fn = asRecord(call.function);
      parts.push({
        type: 'tool-call-delta',
        index: asNumber(call.index) ?? 0,
        id: asString(call.id),
        name: asString(fn?.name),
        argumentsDelta: asString(fn?.arguments) ?? '',
      });
    }
  }
  const finishReason = choice?.finish_reason;
  if (typeof finishReason === 'string') {
    parts.push({ type: 'finish', finishReason: mapOpenAIFinishReason(finishReason) });
  }
  const usage = mapOpenAIUsage(chunk.usage);
  if (usage !== undefined) parts.push({ type: 'usage', usage });
}
