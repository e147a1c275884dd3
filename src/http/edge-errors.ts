// Every error leaves Keel as OpenAI's error JSON, with Keel's stable code.
import type { FastifyReply } from 'fastify';
import { ErrorCodes, KeelError, openAIErrorType, toKeelError } from '../spec/index.js';

/** The OpenAI-shaped error body: `{ error: { message, type, param, code } }`. */
export function errorBody(error: KeelError, requestId: string): Record<string, unknown> {
  return {
    error: {
      message: error.message,
      // OpenAI answers an exhausted quota or spend limit with 429 and type insufficient_quota, which
      // SDKs and clients tell apart from a rate limit (waiting seconds will not help).
      type: error.code === ErrorCodes.budgetExceeded ? 'insufficient_quota' : openAIErrorType(error.status),
      param: error.param ?? null,
      code: error.code,
      request_id: requestId,
    },
  };
}

/** Maps framework errors (body parsing, limits) onto Keel codes. */
export function fromFrameworkError(error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  const code = (error as { code?: string } | null)?.code;
  const statusCode = (error as { statusCode?: number } | null)?.statusCode;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KeelError({
        code: ErrorCodes.bodyTooLarge,
        status: 413,
        message: `The request body is too large: ${message}`,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KeelError({ code: ErrorCodes.unsupportedMediaType, status: 415, message });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KeelError({
        code: ErrorCodes.invalidJson,
        status: 400,
        message: `The body is not valid JSON: ${message}`,
      });
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return new KeelError({ code: ErrorCodes.invalidRequest, status: statusCode, message });
  }
  return toKeelError(error);
}

/** Sends an error reply, with Retry-After when the error carries a wait. */
export function sendError(reply: FastifyReply, error: KeelError): FastifyReply {
  if (error.headers !== undefined) reply.headers(error.headers);
  if (error.retryAfterMs !== undefined) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  reply.header('x-keel-error-code', error.code);
  return reply
    .code(error.status === 499 ? 400 : error.status)
    .send(errorBody(error, String(reply.request.id)));
}
