// /api/incidents: list, declare, read, annotate and change incidents, and draft their postmortems.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { INCIDENT_LIMITS, INCIDENT_STATUSES, SEVERITIES, type Severity } from '../incidents/incident.js';
import type { IncidentService } from '../incidents/incident-service.js';
import type { IncidentListQuery } from '../incidents/sqlite-incident-store.js';
import { invalidRequest, type KeelError } from '../spec/index.js';

export interface IncidentRoutesOptions {
  service: IncidentService;
  /** Epoch ms; stamps list answers. */
  now: () => number;
}

/** The header naming who made a change, when the body has no `author`. */
export const AUTHOR_HEADER = 'x-keel-author';

/** `SEV-2`, `sev-2`, `2` or `"2"` -> `SEV-2`; anything else -> undefined. */
function toSeverity(value: unknown): Severity | undefined {
  const raw =
    typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().toUpperCase() : '';
  const text = /^\d+$/.test(raw) ? `SEV-${raw}` : raw;
  return (SEVERITIES as readonly string[]).includes(text) ? (text as Severity) : undefined;
}

const severitySchema = z.unknown().transform((value, context): Severity => {
  const severity = toSeverity(value);
  if (severity !== undefined) return severity;
  context.addIssue({ code: 'custom', message: 'must be SEV-1 to SEV-5 (or 1 to 5)' });
  return z.NEVER;
});

const text = (maxChars: number) => z.string().trim().min(1, 'must not be empty').max(maxChars);
const authorSchema = text(INCIDENT_LIMITS.authorChars);

/** POST /api/incidents body. */
export const declareSchema = z.strictObject({
  title: text(INCIDENT_LIMITS.titleChars),
  severity: severitySchema,
  commander: text(INCIDENT_LIMITS.commanderChars).optional(),
  description: z
    .string()
    .max(INCIDENT_LIMITS.descriptionChars)
    .transform((description) => (description.trim() === '' ? undefined : description))
    .optional(),
  author: authorSchema.optional(),
});

/** PATCH /api/incidents/:id body. */
export const patchSchema = z
  .strictObject({
    status: z.enum(INCIDENT_STATUSES as [string, ...string[]]).optional(),
    severity: severitySchema.optional(),
    commander: z.union([text(INCIDENT_LIMITS.commanderChars), z.null()]).optional(),
    title: text(INCIDENT_LIMITS.titleChars).optional(),
    author: authorSchema.optional(),
  })
  .refine(
    (patch) => ['status', 'severity', 'commander', 'title'].some((field) => field in patch),
    'send at least one of status, severity, commander, title',
  );

/** POST /api/incidents/:id/notes body. */
export const noteSchema = z.strictObject({
  text: z
    .string()
    .max(INCIDENT_LIMITS.noteChars)
    .refine((note) => note.trim() !== '', 'must not be empty'),
  author: authorSchema.optional(),
});

function firstProblem(error: z.ZodError): KeelError {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? '';
    return invalidRequest(`unknown field "${field}" (see docs/api.md#incidents).`, field);
  }
  const path = issue === undefined ? '' : issue.path.map(String).join('.');
  const where = path === '' ? 'body' : path;
  return invalidRequest(
    `${where}: ${issue?.message ?? 'invalid'} (see docs/api.md#incidents).`,
    path === '' ? undefined : path,
  );
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw firstProblem(parsed.error);
  return parsed.data;
}

/** The body's author, else the x-keel-author header, else nobody. */
function authorOf(request: FastifyRequest, bodyAuthor: string | undefined): string | undefined {
  if (bodyAuthor !== undefined) return bodyAuthor;
  const header = request.headers[AUTHOR_HEADER];
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const parsed = authorSchema.safeParse(header);
  if (!parsed.success)
    throw invalidRequest(
      `${AUTHOR_HEADER}: at most ${INCIDENT_LIMITS.authorChars} characters.`,
      AUTHOR_HEADER,
    );
  return parsed.data;
}

type Query = Record<string, string | undefined>;

function parseTime(value: string, param: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw invalidRequest(`'${param}' must be an ISO time or epoch ms; got "${value}".`, param);
  return ms;
}

function listOf(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((item) => item.trim());
}

/** GET /api/incidents query -> store query; names the bad parameter. */
export function parseIncidentQuery(query: Query): IncidentListQuery {
  const status = listOf(query.status);
  for (const item of status ?? []) {
    if (!(INCIDENT_STATUSES as readonly string[]).includes(item)) {
      throw invalidRequest(
        `'status' must be active, stable or resolved (comma-separated); got "${item}".`,
        'status',
      );
    }
  }
  const severity = listOf(query.severity)?.map((item) => {
    const parsed = toSeverity(item);
    if (parsed === undefined)
      throw invalidRequest(`'severity' must be SEV-1 to SEV-5; got "${item}".`, 'severity');
    return parsed;
  });
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) {
    throw invalidRequest("'limit' must be 1 to 200.", 'limit');
  }
  const fromMs = query.from === undefined ? undefined : parseTime(query.from, 'from');
  const toMs = query.to === undefined ? undefined : parseTime(query.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    throw invalidRequest("'from' must be before 'to'.", 'from');
  }
  return {
    status: status as IncidentListQuery['status'],
    severity,
    monitorId: query.monitor === '' ? undefined : query.monitor,
    fromMs,
    toMs,
    limit,
    cursor: query.cursor === '' ? undefined : query.cursor,
  };
}

/**
 * The incident routes of the control API; mount behind the admin guard.
 * @example registerApiRoutes(app, { gateway, adminToken, extensions: [createIncidentRoutes({ service: incidents, now: () => clock.now() })] })
 */
export function createIncidentRoutes(options: IncidentRoutesOptions): FastifyPluginAsync {
  const { service } = options;
  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.get('/api/incidents', (request) => {
      const page = service.list(parseIncidentQuery(request.query as Query));
      return { at: new Date(options.now()).toISOString(), ...page };
    });

    api.post('/api/incidents', (request, reply) => {
      const body = parseBody(declareSchema, request.body);
      const created = service.declare({ ...body, author: authorOf(request, body.author) });
      return reply.code(201).send(created);
    });

    api.get('/api/incidents/:id', (request) => {
      const { id } = request.params as { id: string };
      return service.get(id);
    });

    api.patch('/api/incidents/:id', (request) => {
      const { id } = request.params as { id: string };
      const { author, ...patch } = parseBody(patchSchema, request.body);
      return service.update(
        id,
        { ...patch, status: patch.status as (typeof INCIDENT_STATUSES)[number] | undefined },
        authorOf(request, author),
      );
    });

    api.post('/api/incidents/:id/notes', (request, reply) => {
      const { id } = request.params as { id: string };
      const body = parseBody(noteSchema, request.body);
      const entry = service.addNote(id, { text: body.text, author: authorOf(request, body.author) });
      return reply.code(201).send(entry);
    });

    api.get('/api/incidents/:id/postmortem', (request, reply) => {
      const { id } = request.params as { id: string };
      const { format } = request.query as Query;
      if (format !== undefined && format !== 'json' && format !== 'markdown') {
        throw invalidRequest(`'format' must be markdown or json; got "${format}".`, 'format');
      }
      const markdown = service.postmortem(id);
      if (format === 'json') return { id, markdown };
      return reply.type('text/markdown; charset=utf-8').send(markdown);
    });
  };
}
