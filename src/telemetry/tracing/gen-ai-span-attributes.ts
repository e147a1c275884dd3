// The span attributes of one request and its attempts: OpenTelemetry GenAI semconv plus keel.* ones.
// Source: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { AttemptRecord, RequestEndEvent } from '../events.js';
import { chatOperationName, semconvProviderName } from '../metrics/gen-ai-semconv.js';
import { failedOver } from '../metrics/metric-labels.js';

// The GenAI attributes are still "development" in the semconv; the semantic-conventions package
// asks users to copy incubating names rather than import them, as they may change in a minor.
const genAi = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** Deprecated for gen_ai.provider.name; still read by many backends. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
} as const;

/** Where a provider's API lives, for server.address and server.port on attempt spans. */
export interface ProviderEndpoint {
  type: string;
  address?: string | undefined;
  port?: number | undefined;
}

/** A provider's endpoint from its config: type, and host and port of its base URL when it has one. */
export function providerEndpoint(provider: { type: string; baseUrl?: string | undefined }): ProviderEndpoint {
  if (provider.baseUrl === undefined) return { type: provider.type };
  try {
    const url = new URL(provider.baseUrl);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return { type: provider.type, address: url.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return { type: provider.type };
  }
}

function setProvider(attributes: Attributes, providerType: string | undefined): void {
  if (providerType === undefined) return;
  const name = semconvProviderName(providerType);
  attributes[genAi.providerName] = name;
  attributes[genAi.system] = name;
}

/** Attributes of the SERVER span that covers a whole request, edge in to last byte out. */
export function requestSpanAttributes(
  event: RequestEndEvent,
  options: { costUsd: number | undefined; providerType: string | undefined },
): Attributes {
  const { request, usage, metadata } = event;
  const attributes: Attributes = {
    [genAi.operationName]: chatOperationName,
    [genAi.requestModel]: event.requestedModel,
    'keel.request_id': event.requestId,
    'keel.stream': event.stream,
    'keel.attempts': event.attempts.length,
    'keel.failover': failedOver(event.attempts),
    'keel.overhead_ms': event.overheadMs,
    'keel.upstream_ms': event.upstreamMs,
    'keel.environment': metadata.environment ?? 'default',
    'keel.application': metadata.application ?? 'default',
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: event.status,
  };
  setProvider(attributes, options.providerType);
  if (event.providerId !== undefined) attributes['keel.provider_id'] = event.providerId;
  if (metadata.route !== undefined) attributes['keel.route'] = metadata.route;
  if (request.maxTokens !== undefined) attributes[genAi.requestMaxTokens] = request.maxTokens;
  if (request.temperature !== undefined) attributes[genAi.requestTemperature] = request.temperature;
  if (request.topP !== undefined) attributes[genAi.requestTopP] = request.topP;
  if (event.servedModel !== undefined) attributes[genAi.responseModel] = event.servedModel;
  if (event.finishReason !== undefined) attributes[genAi.responseFinishReasons] = [event.finishReason];
  if (usage !== undefined) {
    attributes[genAi.usageInputTokens] = usage.inputTokens;
    attributes[genAi.usageOutputTokens] = usage.outputTokens;
    if ((usage.cachedInputTokens ?? 0) > 0)
      attributes[genAi.usageCacheReadInputTokens] = usage.cachedInputTokens;
  }
  if (event.ttftMs !== undefined) attributes['keel.ttft_ms'] = event.ttftMs;
  if (event.cacheHit === true) attributes['keel.cache_hit'] = true;
  if (options.costUsd !== undefined && Number.isFinite(options.costUsd))
    attributes['keel.cost_usd'] = options.costUsd;
  // error.type is conditionally required: set only when the operation failed.
  if (event.outcome === 'error') attributes[ATTR_ERROR_TYPE] = event.errorCode ?? '_OTHER';
  return attributes;
}

/**
 * Attributes of the CLIENT span of one call to a provider. The attempt that served the answer
 * also carries the response model, finish reason and usage.
 */
export function attemptSpanAttributes(options: {
  attempt: AttemptRecord;
  provider: ProviderEndpoint | undefined;
  /** The request, when this attempt served it. */
  served?: RequestEndEvent | undefined;
}): Attributes {
  const { attempt, provider, served } = options;
  const attributes: Attributes = {
    [genAi.operationName]: chatOperationName,
    [genAi.requestModel]: attempt.modelId,
    'keel.target': attempt.target,
    'keel.provider_id': attempt.providerId,
    'keel.attempt_index': attempt.index,
    'keel.outcome': attempt.outcome,
  };
  setProvider(attributes, provider?.type);
  if (provider?.address !== undefined) attributes[ATTR_SERVER_ADDRESS] = provider.address;
  if (provider?.port !== undefined) attributes[ATTR_SERVER_PORT] = provider.port;
  if (attempt.upstreamStatus !== undefined)
    attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = attempt.upstreamStatus;
  if (attempt.backoffMs !== undefined) attributes['keel.backoff_ms'] = attempt.backoffMs;
  if (attempt.outcome === 'error') attributes[ATTR_ERROR_TYPE] = attempt.errorCode ?? '_OTHER';
  if (served !== undefined) {
    if (served.servedModel !== undefined) attributes[genAi.responseModel] = served.servedModel;
    if (served.finishReason !== undefined) attributes[genAi.responseFinishReasons] = [served.finishReason];
    if (served.usage !== undefined) {
      attributes[genAi.usageInputTokens] = served.usage.inputTokens;
      attributes[genAi.usageOutputTokens] = served.usage.outputTokens;
    }
  }
  return attributes;
}
