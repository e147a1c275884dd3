// Builds the HTTP edge: fastify with Keel's body parsing, request ids, errors and routes.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import type { KeelConfig } from '../config/index.js';
import type { Gateway } from '../gateway/gateway.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { registerChatRoutes } from './chat-routes.js';
import { createKeyGuard } from './key-guard.js';
import type { KeyRing } from '../keys/key-ring.js';
import { fromFrameworkError, sendError } from './edge-errors.js';
import { registerApiRoutes } from './api-routes.js';
import { registerApiDocs } from './api-docs/register-api-docs.js';
import { registerHealthRoute } from './health-route.js';
import { InFlight } from './in-flight.js';
import { parseQueryString, repeatedParameterError } from './parse-query-string.js';
import { registerPromptRoutes } from './prompt-routes.js';
import { registerUiRoutes } from './ui-routes.js';
import { readTraceContext } from './read-trace-context.js';
import type { TraceContext } from '../telemetry/events.js';
import { RandomTraceIds } from '../telemetry/random-trace-ids.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** performance.now() when the request reached Keel. */
    arrivedAt: number;
    /** From traceparent, or a fresh trace id: every request has one. */
    trace: TraceContext;
  }
}

export interface EdgeServer {
  app: FastifyInstance;
  inFlight: InFlight;
  /** From now on, answer new requests with 503 KEEL_SHUTTING_DOWN. */
  startClosing(): void;
}

/**
 * The fastify app serving the OpenAI-compatible API, prompt routes and health.
 * @example const { app } = buildServer({ config, gateway, logger }); await app.listen({ port: 8080 })
 */
export function buildServer(options: {
  config: Readonly<KeelConfig>;
  gateway: Gateway;
  logger: FastifyBaseLogger;
  /** KEEL_ADMIN_TOKEN: guards /api/*; without it /api is served to loopback clients only. */
  adminToken?: string | undefined;
  /** More /api routes behind the admin guard. */
  apiExtensions?: FastifyPluginAsync[];
  /** Gateway keys: /v1/* and prompt routes need one unless the ring is open. Default: open. */
  keyRing?: KeyRing | undefined;
  /** Trace ids for requests without a valid traceparent; default: random. */
  newTraceId?: (() => string) | undefined;
  /** The built dashboard served at /ui; default: dist/ui of this package. */
  uiDirectory?: string | undefined;
}): EdgeServer {
  const { config, gateway } = options;
  const randomTraceIds = new RandomTraceIds();
  const newTraceId = options.newTraceId ?? (() => randomTraceIds.next());
  const startedAt = Date.now();
  const inFlight = new InFlight();
  const app = Fastify({
    loggerInstance: options.logger,
    // One log line per request comes from the telemetry path, not from fastify.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // Keel answers requests during shutdown itself, in its own error shape (onRequest below).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    keepAliveTimeout: 65_000,
    // One string per parameter; a repeated one is refused with a 400 (preValidation below).
    routerOptions: { querystringParser: parseQueryString },
  });
  let closing = false;
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    methodsByPath.set(route.url, methods);
  });
  app.decorateRequest('arrivedAt', 0);
  app.decorateRequest('trace', undefined as unknown as TraceContext);
  app.decorateRequest('callerKey', undefined);
  app.addHook('onRequest', (request, reply, done) => {
    request.arrivedAt = performance.now();
    request.trace = readTraceContext(request.headers, newTraceId);
    reply.header('x-keel-request-id', String(request.id));
    reply.header('x-keel-trace-id', request.trace.traceId);
    if (closing) {
      reply.header('connection', 'close');
      void sendError(
        reply,
        new KeelError({
          code: ErrorCodes.shuttingDown,
          status: 503,
          message: 'Keel is shutting down; retry on another replica.',
        }),
      );
      return;
    }
    done();
  });

  // After the guards (onRequest), before any handler reads request.query.
  app.addHook('preValidation', (request, _reply, done) => {
    done(repeatedParameterError(request.query));
  });

  // Any content type is read as JSON: curl's default form type and text/plain are common mistakes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // Clients that always send content-type: application/json send it on a bodiless DELETE too.
    if (text.trim() === '' && request.method === 'DELETE') {
      done(null, undefined);
      return;
    }
    if (text.trim() === '') {
      done(
        new KeelError({
          code: ErrorCodes.invalidJson,
          status: 400,
          message: 'The request body is empty; send a JSON object.',
        }),
      );
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      done(
        new KeelError({
          code: ErrorCodes.invalidJson,
          status: 400,
          message: `The body is not valid JSON: ${detail}`,
        }),
      );
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    const keelError = fromFrameworkError(error);
    if (keelError.status >= 500 && keelError.code === ErrorCodes.internal) {
      reply.log.error({ err: error, requestId: reply.request.id }, 'unexpected error');
    }
    return sendError(reply, keelError);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = methodsByPath.get(path);
    if (allowed !== undefined && !allowed.has(request.method)) {
      const allow = [...allowed].filter((method) => method !== 'HEAD').join(', ');
      reply.header('allow', allow);
      return sendError(
        reply,
        new KeelError({
          code: ErrorCodes.methodNotAllowed,
          status: 405,
          message: `${request.method} is not allowed on ${path}; use ${allow}.`,
        }),
      );
    }
    return sendError(
      reply,
      new KeelError({
        code: ErrorCodes.routeNotFound,
        status: 404,
        message: `No route ${request.method} ${path}. See docs/api.md for Keel's endpoints.`,
      }),
    );
  });

  // First: the OpenAPI document lists the routes registered after it.
  registerApiDocs(app, { promptRoutes: config.routes });

  // The client-facing routes, in a context of their own so the key guard covers them and nothing else.
  const { keyRing } = options;
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  void app.register(async (gatewayRoutes) => {
    if (keyRing !== undefined) gatewayRoutes.addHook('onRequest', createKeyGuard(keyRing));
    registerChatRoutes(gatewayRoutes, { gateway, inFlight, startedAt });
    registerPromptRoutes(gatewayRoutes, { gateway, routes: config.routes, inFlight });
  });
  registerHealthRoute(app, { gateway, startedAt });
  registerApiRoutes(app, { gateway, adminToken: options.adminToken, extensions: options.apiExtensions });
  registerUiRoutes(app, { uiDirectory: options.uiDirectory });
  return {
    app,
    inFlight,
    startClosing: () => {
      closing = true;
    },
  };
}
