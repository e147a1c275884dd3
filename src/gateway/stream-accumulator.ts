// Keeps the whole answer of a stream as it passes to the client, for policies that need it (the cache).
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from '../spec/index.js';

/**
 * Builds the ChatResult a stream amounts to from its parts. Only a stream that sent its finish
 * part has a result: one that broke or was cut has none.
 * @example
 * const accumulator = new StreamAccumulator();
 * for await (const part of accumulator.tap(parts)) write(part);
 * const result = accumulator.result('gpt-4o-mini');
 */
export class StreamAccumulator {
  #text: string | null = null;
  readonly #toolCalls = new Map<number, ToolCall>();
  #usage: Usage | undefined;
  #finishReason: FinishReason | undefined;
  #providerResponseId: string | undefined;
  #model: string | undefined;

  add(part: StreamPart): void {
    switch (part.type) {
      case 'text-delta':
        this.#text = (this.#text ?? '') + part.text;
        return;
      case 'tool-call-delta': {
        const call = this.#toolCalls.get(part.index) ?? { id: '', name: '', arguments: '' };
        if (part.id !== undefined) call.id = part.id;
        if (part.name !== undefined) call.name = part.name;
        call.arguments += part.argumentsDelta;
        this.#toolCalls.set(part.index, call);
        return;
      }
      case 'usage':
        this.#usage = part.usage;
        return;
      case 'finish':
        this.#finishReason = part.finishReason;
        return;
      case 'response-metadata':
        this.#providerResponseId ??= part.providerResponseId;
        this.#model ??= part.model;
        return;
    }
  }

  /** Passes `parts` through unchanged, adding each to this accumulator on the way. */
  async *tap(parts: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
    for await (const part of parts) {
      this.add(part);
      yield part;
    }
  }

  /** The whole answer, or undefined when no finish part came. `model` is used when the stream named none. */
  result(model: string): ChatResult | undefined {
    if (this.#finishReason === undefined) return undefined;
    return {
      providerResponseId: this.#providerResponseId,
      model: this.#model ?? model,
      text: this.#text,
      toolCalls: [...this.#toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
      finishReason: this.#finishReason,
      usage: this.#usage,
    };
  }
}
