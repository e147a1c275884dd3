// Writes a gateway answer to the client: headers naming who served it, JSON or an SSE stream.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { toKeelError, type FinishReason, type KeelError } from '../spec/index.js';
import type { CompletedCall, StreamingCall } from '../gateway/gateway.js';
import { ChatChunkEncoder } from './chat-chunk-encoder.js';
import { responseTextLimit } from '../telemetry/events.js';

/** Response headers every answer carries. Documented in docs/api.md. */
export function servedHeaders(options: {
  call: CompletedCall | StreamingCall;
  requestId: string;
  servedModel: string;
}): Record<string, string> {
  const { call, requestId, servedModel } = options;
  return {
    ...call.policyHeaders,
    'x-keel-request-id': requestId,
    'x-keel-trace-id': call.traceId,
    'x-keel-provider': call.target.providerId,
    'x-keel-model': servedModel,
    'x-keel-target': call.target.key,
    'x-keel-attempts': String(call.attempts.length),
    'x-keel-overhead-ms': call.overheadMs().toFixed(3),
  };
}

async function waitForDrain(raw: ServerResponse): Promise<void> {
  // 'close' too: a client that went away never drains.
  await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
}

/**
 * Streams parts as OpenAI chunks. A failure after the first byte ends the stream with an explicit
 * error event, never a clean-looking truncated stream.
 */
export async function writeChatStream(options: {
  reply: FastifyReply;
  call: StreamingCall;
  requestId: string;
  includeUsage: boolean;
  created: number;
}): Promise<void> {
  const { reply, call, requestId } = options;
  const encoder = new ChatChunkEncoder({
    id: `chatcmpl-${requestId}`,
    created: options.created,
    model: call.target.modelId,
    includeUsage: options.includeUsage,
  });
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...servedHeaders({ call, requestId, servedModel: call.target.modelId }),
  });
  let error: KeelError | undefined;
  let finishReason: FinishReason | undefined;
  let responseChars = 0;
  let responseText = '';
  let wroteContent = false;
  try {
    for await (const part of call.parts) {
      if (part.type === 'text-delta') {
        responseChars += part.text.length;
        if (responseText.length < responseTextLimit) responseText += part.text;
      } else if (part.type === 'finish') finishReason = part.finishReason;
      const text = encoder.encode(part);
      if (text === '') continue;
      if (!wroteContent) {
        wroteContent = true;
        call.markFirstByte();
      }
      if (!raw.write(text)) await waitForDrain(raw);
    }
    raw.end(encoder.end());
  } catch (thrown) {
    error = toKeelError(thrown);
    if (!raw.destroyed) raw.end(ChatChunkEncoder.error(error, requestId));
  }
  call.finish({
    error,
    servedModel: encoder.model,
    finishReason,
    usage: encoder.usage,
    responseChars,
    responseText: responseText.slice(0, responseTextLimit),
  });
}
