// Named prompt routes: POST /qa {"question": "..."} -> a templated chat call through an alias.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteConfig } from '../config/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { invalidRequest, type ChatMessage } from '../spec/index.js';
import { clientGone } from './chat-routes.js';
import type { InFlight } from './in-flight.js';
import { toOpenAIFinishReason, toOpenAIUsage } from './openai-wire.js';
import { readRequestMetadata, withKeyMetadata } from './request-metadata.js';
import { servedHeaders } from './write-responses.js';

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(placeholder)].map((match) => match[1] as string))];
}

/** Fills {{name}} placeholders from `values`; strings as they are, anything else as JSON. */
export function renderTemplate(template: string, values: Record<string, unknown>): string {
  const missing = templateVariables(template).filter(
    (name) => values[name] === undefined || values[name] === null,
  );
  if (missing.length > 0) {
    throw invalidRequest(
      `Missing variable${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. Send them as JSON fields.`,
      missing[0],
    );
  }
  return template.replace(placeholder, (_match, name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

export function registerPromptRoutes(
  app: FastifyInstance,
  options: { gateway: Gateway; routes: readonly RouteConfig[]; inFlight: InFlight },
): void {
  for (const route of options.routes) {
    app.post(route.path, async (request: FastifyRequest, reply: FastifyReply) => {
      const requestId = String(request.id);
      const body = request.body;
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw invalidRequest(
          `POST ${route.path} takes a JSON object with: ${templateVariables(route.template).join(', ')}.`,
        );
      }
      const messages: ChatMessage[] = [];
      if (route.system !== undefined) messages.push({ role: 'system', content: route.system });
      messages.push({
        role: 'user',
        content: renderTemplate(route.template, body as Record<string, unknown>),
      });
      const metadata = withKeyMetadata(
        { ...readRequestMetadata(request.headers), route: route.path },
        request.callerKey,
      );
      const completed = await options.gateway.complete({
        requestId,
        model: route.model,
        request: { messages, maxTokens: route.maxTokens, temperature: route.temperature },
        metadata,
        key: request.callerKey,
        trace: request.trace,
        cacheControl: request.headers['cache-control'],
        arrivedAt: request.arrivedAt,
        abort: clientGone(reply, options.inFlight),
      });
      const { result } = completed;
      reply.headers(servedHeaders({ call: completed, requestId, servedModel: result.model }));
      try {
        return await reply.send({
          id: requestId,
          route: route.path,
          model: result.model,
          provider: completed.target.providerId,
          output: result.text ?? '',
          finish_reason: toOpenAIFinishReason(result.finishReason),
          usage: toOpenAIUsage(result.usage),
          attempts: completed.attempts.length,
        });
      } finally {
        completed.finish();
      }
    });
  }
}
