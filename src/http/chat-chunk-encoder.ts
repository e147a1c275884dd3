// Turns typed stream parts into OpenAI `chat.completion.chunk` SSE lines. Only the edge writes `data:`.
import type { StreamPart, Usage, KeelError } from '../spec/index.js';
import { openAIErrorType } from '../spec/index.js';
import { toOpenAIFinishReason, toOpenAIUsage } from './openai-wire.js';

/**
 * Encodes one answer's chunks. The fixed part of every chunk is built once.
 * @example const encoder = new ChatChunkEncoder({ id, created, model, includeUsage: true })
 */
export class ChatChunkEncoder {
  #prefix: string | undefined;
  readonly #id: string;
  readonly #created: number;
  #model: string;
  readonly #includeUsage: boolean;
  #usage: Usage | undefined;
  #roleSent = false;

  constructor(options: { id: string; created: number; model: string; includeUsage: boolean }) {
    this.#id = options.id;
    this.#created = options.created;
    this.#model = options.model;
    this.#includeUsage = options.includeUsage;
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the provider says is answering (from its first chunk), else the one asked for. */
  get model(): string {
    return this.#model;
  }

  #chunk(choices: string, extra = ''): string {
    this.#prefix ??= `data: {"id":${JSON.stringify(this.#id)},"object":"chat.completion.chunk","created":${this.#created},"model":${JSON.stringify(this.#model)},"choices":`;
    return `${this.#prefix}${choices}${extra}}\n\n`;
  }

  #delta(delta: string, finishReason = 'null'): string {
    return this.#chunk(`[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]`);
  }

  /** The SSE text for a part, or '' when the part writes nothing by itself. */
  encode(part: StreamPart): string {
    switch (part.type) {
      case 'response-metadata':
        if (part.model !== undefined && this.#prefix === undefined) this.#model = part.model;
        return '';
      case 'usage':
        this.#usage = part.usage;
        return '';
      case 'text-delta': {
        const role = this.#roleSent ? '' : '"role":"assistant",';
        this.#roleSent = true;
        return this.#delta(`{${role}"content":${JSON.stringify(part.text)}}`);
      }
      case 'tool-call-delta': {
        const role = this.#roleSent ? '' : '"role":"assistant","content":null,';
        this.#roleSent = true;
        const call: Record<string, unknown> = { index: part.index };
        if (part.id !== undefined) call.id = part.id;
        if (part.id !== undefined || part.name !== undefined) call.type = 'function';
        const fn: Record<string, string> = { arguments: part.argumentsDelta };
        if (part.name !== undefined) fn.name = part.name;
        call.function = fn;
        return this.#delta(`{${role}"tool_calls":[${JSON.stringify(call)}]}`);
      }
      case 'finish': {
        const role = this.#roleSent ? '' : '"role":"assistant","content":""';
        this.#roleSent = true;
        return this.#delta(`{${role}}`, JSON.stringify(toOpenAIFinishReason(part.finishReason)));
      }
    }
  }

  /** The closing lines: the usage chunk (when asked for) and `[DONE]`. */
  end(): string {
    const usage =
      this.#includeUsage && this.#usage !== undefined
        ? this.#chunk('[]', `,"usage":${JSON.stringify(toOpenAIUsage(this.#usage))}`)
        : '';
    return `${usage}data: [DONE]\n\n`;
  }

  /**
   * An explicit error event for a stream that broke after it started. The official OpenAI SDKs
   * raise an APIError on a `data:` line with an `error` object; no `[DONE]` follows it.
   */
  static error(error: KeelError, requestId: string): string {
    return `data: ${JSON.stringify({
      error: {
        message: error.message,
        type: openAIErrorType(error.status),
        param: null,
        code: error.code,
        request_id: requestId,
      },
    })}\n\n`;
  }
}
