// Anthropic Messages responses and stream events -> neutral results and stream parts.
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from '../../spec/index.js';
import { asArray, asNumber, asRecord, asString, type JsonRecord } from '../shared/read-json.js';
import { badResponse } from '../shared/upstream-errors.js';

/** Anthropic stop_reason -> FinishReason. `pause_turn` is a server tool pausing a finished turn. */
export function mapAnthropicStopReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'other';
  }
}

/**
 * Anthropic usage -> Usage. Anthropic's `input_tokens` leaves out prompt-cache reads and
 * writes, while Keel's inputTokens includes them, so the three are added up.
 */
export function mapAnthropicUsage(value: unknown): Usage | undefined {
  const usage = asRecord(value);
  if (usage === undefined) return undefined;
  const cacheReadTokens = asNumber(usage.cache_read_input_tokens);
  const cacheWriteTokens = asNumber(usage.cache_creation_input_tokens);
  const inputTokens = (asNumber(usage.input_tokens) ?? 0) + (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  const outputTokens = asNumber(usage.output_tokens) ?? 0;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    cachedInputTokens: cacheReadTokens,
    cacheWriteInputTokens: cacheWriteTokens,
  };
}

/** A whole `message` object -> ChatResult: text blocks joined, tool_use blocks as tool calls. */
export function mapAnthropicResponse(providerId: string, body: unknown, requestedModel: string): ChatResult {
  const response = asRecord(body);
  if (response === undefined || !Array.isArray(response.content)) {
    throw badResponse(providerId, 'no content array in the message');
  }
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const item of asArray(response.content)) {
    const block = asRecord(item);
    if (block?.type === 'text') {
      text = (text ?? '') + (asString(block.text) ?? '');
    } else if (block?.type === 'tool_use') {
      toolCalls.push({
        id: asString(block.id) ?? '',
        name: asString(block.name) ?? '',
        arguments: JSON.stringify(block.input ?? {}),
      });
    }
  }
  return {
    providerResponseId: asString(response.id),
    model: asString(response.model) ?? requestedModel,
    text,
    toolCalls,
    finishReason: mapAnthropicStopReason(response.stop_reason),
    usage: mapAnthropicUsage(response.usage),
  };
}

interface StreamedToolCall {
  /** Position among this answer's tool calls (content-block indexes also count text blocks). */
  index: number;
  /** The `input` of content_block_start, normally `{}`. */
  startInput: unknown;
  sentArguments: boolean;
}

/** What earlier events of one stream told that later events need. */
export interface AnthropicStreamState {
  /** Tool calls by content-block index. */
  toolCalls: Map<number, StreamedToolCall>;
  /** Raw usage fields: message_start's, overwritten by message_delta's cumulative counts. */
  usage: JsonRecord;
}

export function createAnthropicStreamState(): AnthropicStreamState {
  return { toolCalls: new Map(), usage: {} };
}

function recordUsage(state: AnthropicStreamState, value: unknown): void {
  const usage = asRecord(value);
  if (usage === undefined) return;
  for (const [key, count] of Object.entries(usage)) {
    if (asNumber(count) !== undefined) state.usage[key] = count;
  }
}

function startBlock(event: JsonRecord, state: AnthropicStreamState, parts: StreamPart[]): void {
  const block = asRecord(event.content_block);
  if (block?.type === 'text') {
    const text = asString(block.text);
    if (text !== undefined && text !== '') parts.push({ type: 'text-delta', text });
  } else if (block?.type === 'tool_use') {
    const call: StreamedToolCall = {
      index: state.toolCalls.size,
      startInput: block.input,
      sentArguments: false,
    };
    state.toolCalls.set(asNumber(event.index) ?? -1, call);
    parts.push({
      type: 'tool-call-delta',
      index: call.index,
      id: asString(block.id),
      name: asString(block.name),
      argumentsDelta: '',
    });
  }
}

function continueBlock(event: JsonRecord, state: AnthropicStreamState, parts: StreamPart[]): void {
  const delta = asRecord(event.delta);
  if (delta?.type === 'text_delta') {
    const text = asString(delta.text);
    if (text !== undefined && text !== '') parts.push({ type: 'text-delta', text });
  } else if (delta?.type === 'input_json_delta') {
    const call = state.toolCalls.get(asNumber(event.index) ?? -1);
    const json = asString(delta.partial_json);
    if (call === undefined || json === undefined || json === '') return;
    call.sentArguments = true;
    parts.push({ type: 'tool-call-delta', index: call.index, argumentsDelta: json });
  }
  // thinking_delta, signature_delta and citations_delta have no neutral part yet.
}

function stopBlock(event: JsonRecord, state: AnthropicStreamState, parts: StreamPart[]): void {
  const call = state.toolCalls.get(asNumber(event.index) ?? -1);
  // A tool without arguments streams only `""`; send `{}` so the arguments parse as JSON,
  // as in the non-streamed answer.
  if (call === undefined || call.sentArguments) return;
  call.sentArguments = true;
  parts.push({
    type: 'tool-call-delta',
    index: call.index,
    argumentsDelta: JSON.stringify(call.startInput ?? {}),
  });
}

/**
 * One stream event (its parsed `data:`) -> the parts it carries, in order. `error` events are
 * the caller's to throw; `ping` and unknown events carry nothing.
 */
export function mapAnthropicStreamEvent(
  event: JsonRecord,
  state: AnthropicStreamState,
  parts: StreamPart[],
): void {
  switch (event.type) {
    case 'message_start': {
      const message = asRecord(event.message);
      parts.push({
        type: 'response-metadata',
        providerResponseId: asString(message?.id),
        model: asString(message?.model),
      });
      recordUsage(state, message?.usage);
      return;
    }
    case 'content_block_start':
      return startBlock(event, state, parts);
    case 'content_block_delta':
      return continueBlock(event, state, parts);
    case 'content_block_stop':
      return stopBlock(event, state, parts);
    case 'message_delta': {
      const stopReason = asRecord(event.delta)?.stop_reason;
      if (typeof stopReason === 'string') {
        parts.push({ type: 'finish', finishReason: mapAnthropicStopReason(stopReason) });
      }
      recordUsage(state, event.usage);
      return;
    }
    case 'message_stop': {
      if (Object.keys(state.usage).length === 0) return;
      const usage = mapAnthropicUsage(state.usage);
      if (usage !== undefined) parts.push({ type: 'usage', usage });
      return;
    }
    default:
      return;
  }
}
