// Turns a request:end event into the RequestRecord every sink stores: defaults, cost, previews.
import { openAIErrorType, type ChatRequest } from '../spec/index.js';
import type { RequestEndEvent } from './events.js';
import type { RecordQuality, RequestRecord } from './request-record.js';

export interface RecordBuilderOptions {
  /** Cost of the event's usage in USD, or undefined when the model has no known price. */
  costUsd(event: RequestEndEvent): number | undefined;
  /** A stored preview of a text (redacted, truncated), or undefined to keep no content. */
  preview(text: string | undefined): string | undefined;
  /** The answer's quality signals (see createQualityScorer); undefined for none. Absent: no scoring. */
  quality?: ((event: RequestEndEvent) => RecordQuality | undefined) | undefined;
}

/** The text of the last user message: what the prompt preview shows. */
export function lastUserText(request: ChatRequest): string | undefined {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (message.content === null) return undefined;
    let text = '';
    for (const part of message.content) if (part.type === 'text') text += part.text;
    return text;
  }
  return undefined;
}

/**
 * Builds the stored record of one request.
 * @example events.on('request:end', (event) => writer.write(buildRequestRecord(event, options)))
 */
export function buildRequestRecord(event: RequestEndEvent, options: RecordBuilderOptions): RequestRecord {
  const usage = event.usage;
  const { metadata } = event;
  return {
    timeMs: Math.round(event.receivedAtMs),
    requestId: event.requestId,
    traceId: event.trace.traceId,
    environment: metadata.environment ?? 'default',
    application: metadata.application ?? 'default',
    route: metadata.route,
    requestedModel: event.requestedModel,
    provider: event.providerId,
    providerType: event.providerType,
    servedModel: event.servedModel,
    stream: event.stream,
    status: event.status,
    outcome: event.outcome,
    errorCode: event.errorCode,
    errorType:
      event.outcome === 'error' ? openAIErrorType(event.status === 200 ? 502 : event.status) : undefined,
    totalMs: event.totalMs,
    upstreamMs: event.upstreamMs,
    overheadMs: event.overheadMs,
    ttftMs: event.ttftMs,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    totalTokens: usage?.totalTokens ?? 0,
    cachedInputTokens: usage?.cachedInputTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    costUsd: usage === undefined ? undefined : options.costUsd(event),
    cacheHit: event.cacheHit === true,
    attempts: event.attempts.length,
    failoverPath: event.attempts.map((attempt) => `${attempt.target}:${attempt.outcome}`),
    breakerState: event.breakerStatus,
    featureVersion: metadata.featureVersion,
    promptVersion: metadata.promptVersion,
    experimentId: metadata.experimentId,
    variantId: metadata.variantId,
    keyId: metadata.keyId,
    team: metadata.team,
    promptChars: event.promptChars,
    responseChars: event.responseChars,
    promptPreview: options.preview(lastUserText(event.request)),
    responsePreview: options.preview(event.responseText),
    quality: options.quality?.(event),
  };
}
