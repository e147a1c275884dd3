// The documentation of one route as OpenAPI sees it, and helpers to write it briefly.
import { z } from 'zod';

/** A JSON Schema object (draft 2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/** One response of an operation, in the shape @fastify/swagger turns into an OpenAPI response. */
export interface ResponseDoc {
  description: string;
  /** `{ 'application/json': { schema } }`; absent for an answer without a body. */
  content?: Record<string, { schema: JsonSchema }>;
  /** JSON Schema `null`: tells @fastify/swagger the answer has no body. */
  type?: 'null';
}

/**
 * What one route accepts and answers. Documentation only: it never reaches fastify's validator or
 * serializer, so the handlers keep validating (and shaping errors) themselves.
 */
export interface OperationDoc {
  tags: string[];
  summary: string;
  description: string;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response: Record<string, ResponseDoc>;
}

/** Route docs by `METHOD /path` (fastify's path syntax: `/api/keys/:id`). */
export type OperationCatalog = Record<string, OperationDoc>;

/** Keel's error body: OpenAI's error shape with Keel's stable code (docs/errors.md). */
export const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string', description: 'OpenAI error type, e.g. invalid_request_error.' },
        param: { type: ['string', 'null'], description: 'The parameter or field at fault.' },
        code: { type: 'string', description: 'A stable Keel code such as KEEL_INVALID_REQUEST.' },
        request_id: { type: 'string' },
      },
    },
  },
};

/** A JSON answer; without a schema, any JSON object. */
export function json(description: string, schema: JsonSchema = { type: 'object' }): ResponseDoc {
  return { description, content: { 'application/json': { schema } } };
}

/** An answer of another media type (CSV, markdown, Prometheus text). */
export function text(description: string, mediaType: string): ResponseDoc {
  return { description, content: { [mediaType]: { schema: { type: 'string' } } } };
}

/** An answer without a body (204). */
export function empty(description: string): ResponseDoc {
  return { description, type: 'null' };
}

/** Keel error answers, by status: `errors({ 400: 'A bad parameter' })`. */
export function errors(byStatus: Record<number, string>): Record<string, ResponseDoc> {
  const responses: Record<string, ResponseDoc> = {};
  for (const [status, description] of Object.entries(byStatus)) {
    responses[status] = json(`${description} (Keel error body).`, errorSchema);
  }
  return responses;
}

/** The admin guard's answers, on every /api route. */
export const adminErrors: Record<number, string> = {
  401: 'KEEL_ADMIN_UNAUTHORIZED: KEEL_ADMIN_TOKEN is set and the bearer token is missing or wrong',
  403: 'KEEL_ADMIN_FORBIDDEN: no admin token is set and the client is not on loopback',
};

/** A string parameter. */
export function stringParameter(description: string, extra: JsonSchema = {}): JsonSchema {
  return { type: 'string', description, ...extra };
}

/** An object of string parameters (query or path), all optional unless listed in `required`. */
export function parameters(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

/** A path with one `:id`. */
export function idParameter(description: string): JsonSchema {
  return parameters({ id: stringParameter(description) }, ['id']);
}

/** The JSON Schema of what a zod schema accepts (its input side), for a request body. */
export function bodyFromZod(schema: z.ZodType): JsonSchema {
  // Transforms and refinements cannot be written in JSON Schema: the input side, with `any` for the rest.
  const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const { $schema: _dialect, ...rest } = converted;
  return rest;
}

/** A body schema with some properties described by hand (zod transforms come out as `{}`). */
export function withProperties(schema: JsonSchema, properties: Record<string, JsonSchema>): JsonSchema {
  const existing = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return { ...schema, properties: { ...existing, ...properties } };
}
