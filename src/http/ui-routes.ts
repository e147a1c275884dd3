// Serves the built dashboard (dist/ui) at /ui: index.html for every client route, hashed assets cached for a year.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCodes, KeelError } from '../spec/index.js';
import { sendError } from './edge-errors.js';

/** dist/ui from both src/http (tests from source) and dist/http (the built server). */
export const defaultUiDirectory = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Asset names esbuild writes: one path segment, no dot-dot, nothing else to resolve. */
const assetNamePattern = /^[\w-]+(\.[\w-]+)+$/;

/**
 * Registers `GET /` (redirect), `GET /ui` and `GET /ui/*` on the edge. The dashboard is public HTML;
 * the data it shows comes from `/api/*`, behind the admin guard.
 */
export function registerUiRoutes(
  app: FastifyInstance,
  options: { uiDirectory?: string | undefined } = {},
): void {
  const uiDirectory = options.uiDirectory ?? defaultUiDirectory;

  const notBuilt = (reply: FastifyReply) =>
    sendError(
      reply,
      new KeelError({
        code: ErrorCodes.uiNotBuilt,
        status: 503,
        message: `The dashboard is not built (no index.html in ${uiDirectory}); run \`npm run build\`.`,
      }),
    );

  const sendIndex = async (reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(join(uiDirectory, 'index.html'));
    } catch {
      return notBuilt(reply);
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
      )
      .send(html);
  };

  // The dashboard is not part of the API: left out of /openapi.json.
  const hidden = { schema: { hide: true } };
  app.get('/', hidden, (_request, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', hidden, (_request, reply) => sendIndex(reply));
  app.get('/ui/*', hidden, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    if (!rest.startsWith('assets/')) return sendIndex(reply);
    const name = rest.slice('assets/'.length);
    const contentType = contentTypes[extname(name)];
    if (!assetNamePattern.test(name) || contentType === undefined) return assetNotFound(reply, rest);
    let body: Buffer;
    try {
      body = await readFile(join(uiDirectory, 'assets', name));
    } catch {
      return assetNotFound(reply, rest);
    }
    return reply
      .header('content-type', contentType)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}

function assetNotFound(reply: FastifyReply, path: string) {
  return sendError(
    reply,
    new KeelError({
      code: ErrorCodes.routeNotFound,
      status: 404,
      message: `No dashboard asset /ui/${path}; reload the page (the dashboard may have been rebuilt).`,
    }),
  );
}
