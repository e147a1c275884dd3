// Turns a whole answer (a cached one) back into stream parts, so the edge writes it as a normal SSE stream.
import type { ChatResult, StreamPart } from '../spec/index.js';

/** About how many characters of text go in each replayed delta. */
const replayChunkChars = 64;

/** The text in pieces of about `chunkChars`, split after whitespace (never inside a character). */
function textPieces(text: string, chunkChars: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const word of text.split(/(?<=\s)/)) {
    piece += word;
    if (piece.length >= chunkChars) {
      pieces.push(piece);
      piece = '';
    }
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

/**
 * The parts a provider would have streamed for `result`: its model, the text in a few deltas,
 * each tool call whole, the usage and the finish reason. The edge drops the usage unless the
 * client asked for it (stream_options.include_usage).
 * @example for await (const part of replayResult(cached)) chunks.push(encoder.encode(part))
 */
export function replayResult(
  result: ChatResult,
  chunkChars: number = replayChunkChars,
): AsyncIterable<StreamPart> {
  const parts: StreamPart[] = [
    { type: 'response-metadata', providerResponseId: result.providerResponseId, model: result.model },
  ];
  for (const text of textPieces(result.text ?? '', chunkChars)) parts.push({ type: 'text-delta', text });
  for (const [index, call] of result.toolCalls.entries()) {
    parts.push({
      type: 'tool-call-delta',
      index,
      id: call.id,
      name: call.name,
      argumentsDelta: call.arguments,
    });
  }
  if (result.usage !== undefined) parts.push({ type: 'usage', usage: result.usage });
  parts.push({ type: 'finish', finishReason: result.finishReason });
  return ReadableStream.from(parts);
}
