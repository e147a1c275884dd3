// text-generation-inference answers (JSON and stream events) -> neutral results.
import type { ChatResult, FinishReason, StreamPart, Usage } from '../../spec/index.js';
import { asArray, asNumber, asRecord, asString, type JsonRecord } from '../shared/read-json.js';
import { badResponse } from '../shared/upstream-errors.js';

/** TGI finish_reason -> FinishReason. Both an end-of-sequence token and a stop sequence are `stop`. */
export function mapTgiFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'eos_token':
    case 'stop_sequence':
      return 'stop';
    default:
      return 'other';
  }
}

/**
 * A rough token count for text whose tokens the server did not report: one token per four
 * characters, rounded up. That is the usual rule of thumb for English with BPE tokenizers; it
 * can be off by half for code or other languages, so it is only used for the prompt, and only
 * when TGI sent neither `prefill` (non-stream) nor `input_length` (stream).
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * TGI `details` -> Usage. Output tokens are `generated_tokens`. Input tokens come from
 * `input_length` (stream details, TGI 2+), else the `prefill` token list (filled only when the
 * server returns decoder input details), else an estimate from the prompt text.
 */
export function mapTgiUsage(details: JsonRecord, prompt: string): Usage {
  const prefill = asArray(details.prefill);
  const inputTokens =
    asNumber(details.input_length) ?? (prefill.length > 0 ? prefill.length : estimateTokens(prompt));
  const outputTokens = asNumber(details.generated_tokens) ?? 0;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
}

export interface MapTgiResponseOptions {
  providerId: string;
  /** The model id Keel asked for; TGI serves one model and does not name it. */
  modelId: string;
  /** The rendered prompt, for the input-token estimate. */
  prompt: string;
}

/** A `/generate` answer -> ChatResult. Also takes the `[{...}]` list the serverless Inference API sends. */
export function mapTgiResponse(body: unknown, options: MapTgiResponseOptions): ChatResult {
  const response = asRecord(Array.isArray(body) ? body[0] : body);
  const text = asString(response?.generated_text);
  if (response === undefined || text === undefined) {
    throw badResponse(options.providerId, 'no generated_text in the answer');
  }
  const details = asRecord(response.details);
  return {
    model: options.modelId,
    text,
    toolCalls: [],
    finishReason: mapTgiFinishReason(details?.finish_reason),
    usage: details === undefined ? undefined : mapTgiUsage(details, options.prompt),
  };
}

/**
 * One `/generate_stream` event -> the parts it carries, in order. Special tokens (`</s>`,
 * `<|eot_id|>`...) are not text. The last event carries `details`: it yields `finish` and `usage`.
 */
export function mapTgiStreamEvent(event: JsonRecord, prompt: string, parts: StreamPart[]): void {
  const token = asRecord(event.token);
  const text = asString(token?.text);
  if (token !== undefined && token.special !== true && text !== undefined && text !== '') {
    parts.push({ type: 'text-delta', text });
  }
  const details = asRecord(event.details);
  if (details !== undefined) {
    parts.push({ type: 'finish', finishReason: mapTgiFinishReason(details.finish_reason) });
    parts.push({ type: 'usage', usage: mapTgiUsage(details, prompt) });
  }
}
