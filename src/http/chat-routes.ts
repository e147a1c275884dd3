// POST /v1/chat/completions and GET /v1/models: the OpenAI-compatible surface.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../gateway/gateway.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { sendError } from './edge-errors.js';
import { parseChatBody, toCompletionJson } from './openai-wire.js';
import { readRequestMetadata, withKeyMetadata } from './request-metadata.js';
import { servedHeaders, writeChatStream } from './write-responses.js';
import type { InFlight } from './in-flight.js';
import { clientClosed } from '../reliability/deadline.js';

/** A controller, tracked as in flight, that aborts when the client disconnects before the answer was fully sent. */
export function clientGone(reply: FastifyReply, inFlight: InFlight): AbortController {
  const controller = inFlight.add();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      controller.abort(clientClosed());
    }
    inFlight.remove(controller);
  });
  return controller;
}

export function registerChatRoutes(
  app: FastifyInstance,
  options: { gateway: Gateway; inFlight: InFlight; startedAt: number },
): void {
  const { gateway, inFlight } = options;

  const chatCompletions = async (request: FastifyRequest, reply: FastifyReply) => {
    const arrivedAt = request.arrivedAt;
    const requestId = String(request.id);
    const parsed = parseChatBody(request.body);
    const metadata = withKeyMetadata(
      readRequestMetadata(request.headers, parsed.request.user),
      request.callerKey,
    );
    const call = {
      requestId,
      model: parsed.model,
      request: parsed.request,
      metadata,
      key: request.callerKey,
      trace: request.trace,
      cacheControl: request.headers['cache-control'],
      arrivedAt,
      abort: clientGone(reply, inFlight),
    };
    const created = Math.floor(Date.now() / 1000);
    if (parsed.stream) {
      const streaming = await gateway.stream(call);
      await writeChatStream({
        reply,
        call: streaming,
        requestId,
        includeUsage: parsed.includeUsage,
        created,
      });
      return reply;
    }
    const completed = await gateway.complete(call);
    const body = toCompletionJson({ id: `chatcmpl-${requestId}`, created, result: completed.result });
    reply.headers(servedHeaders({ call: completed, requestId, servedModel: completed.result.model }));
    try {
      return await reply.send(body);
    } finally {
      completed.finish();
    }
  };
  app.post('/v1/chat/completions', chatCompletions);
  app.post('/chat/completions', chatCompletions);

  const listModels = async (_request: FastifyRequest, reply: FastifyReply) => {
    const created = Math.floor(options.startedAt / 1000);
    const data: Record<string, unknown>[] = [];
    const direct = new Set<string>();
    for (const route of gateway.catalog.models.values()) {
      data.push({
        id: route.name,
        object: 'model',
        created,
        owned_by: 'keel',
        strategy: route.strategy,
        targets: route.targets.map((target) => target.key),
      });
      for (const target of route.targets)
        if (gateway.catalog.directProviders.has(target.providerId)) direct.add(target.key);
    }
    for (const key of direct)
      data.push({ id: key, object: 'model', created, owned_by: key.slice(0, key.indexOf('/')) });
    return reply.send({ object: 'list', data });
  };
  app.get('/v1/models', listModels);
  app.get('/models', listModels);

  app.get('/v1/models/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const found = gateway.catalog.models.get(request.params.id);
    if (found === undefined) {
      return sendError(
        reply,
        new KeelError({
          code: ErrorCodes.unknownModel,
          status: 404,
          param: 'model',
          message: `The model "${request.params.id}" does not exist here.`,
        }),
      );
    }
    return reply.send({
      id: found.name,
      object: 'model',
      created: Math.floor(options.startedAt / 1000),
      owned_by: 'keel',
    });
  });
}
