// The response cache's key: a SHA-256 of the canonical JSON of everything that changes an answer.
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRequest } from '../../spec/index.js';

/** Every cache key starts with this; bump the version when the hashed shape changes. */
export const cacheKeyPrefix = 'cache:v1:';

/**
 * JSON with object keys sorted and undefined members dropped, so two requests that mean the same
 * thing serialize the same whatever order their fields were written in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const members: string[] = [];
  for (const name of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[name];
    if (member === undefined) continue;
    members.push(`${JSON.stringify(name)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

function normalizeMessage(message: ChatMessage): Record<string, unknown> {
  return {
    role: message.role,
    content: message.content,
    name: message.name,
    toolCalls: message.toolCalls,
    toolCallId: message.toolCallId,
  };
}

/**
 * The fields of a request that change the answer, named one by one so that a field added to
 * ChatRequest later is a decision here, not an accident. `user` is left out: it names who asked,
 * not what (the key scope separates tenants instead).
 */
function normalizeRequest(request: ChatRequest): Record<string, unknown> {
  return {
    messages: request.messages.map(normalizeMessage),
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    stop: request.stop,
    seed: request.seed,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    tools: request.tools,
    toolChoice: request.toolChoice,
    responseFormat: request.responseFormat,
  };
}

/**
 * The state key of a request's cached answer: `cache:v1:` and 64 hex characters. Streaming or not
 * does not enter it (a streamed answer serves a plain call and back); `keyId` does when the cache
 * is scoped per gateway key, and the experiment variant does (the same alias may be served by
 * another model in each variant).
 * @example cacheKey({ model: 'smart', request, keyId: call.key?.id })
 */
export function cacheKey(options: {
  model: string;
  request: ChatRequest;
  keyId?: string | undefined;
  /** "experiment/variant" for a request an A/B experiment assigned: its variant may call another model. */
  variant?: string | undefined;
}): string {
  const canonical = canonicalJson({
    model: options.model,
    keyId: options.keyId,
    variant: options.variant,
    request: normalizeRequest(options.request),
  });
  return cacheKeyPrefix + createHash('sha256').update(canonical).digest('hex');
}
