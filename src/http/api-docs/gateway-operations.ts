// Docs of the client-facing routes: chat completions, models, prompt routes, /health and /metrics.
import type { RouteConfig } from '../../config/index.js';
import { templateVariables } from '../prompt-routes.js';
import {
  errors,
  idParameter,
  json,
  text,
  type JsonSchema,
  type OperationCatalog,
  type OperationDoc,
} from './operation-docs.js';

const keyErrors: Record<number, string> = {
  401: 'KEEL_INVALID_API_KEY: gateway keys exist and the bearer key is missing, unknown or revoked',
};

const usageSchema: JsonSchema = {
  type: 'object',
  properties: {
    prompt_tokens: { type: 'integer' },
    completion_tokens: { type: 'integer' },
    total_tokens: { type: 'integer' },
  },
};

const chatBodySchema: JsonSchema = {
  type: 'object',
  required: ['model', 'messages'],
  description: 'An OpenAI Chat Completions request. Fields Keel does not read are ignored.',
  properties: {
    model: { type: 'string', description: 'An alias from the config, or provider/model.' },
    messages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
          content: { description: 'A string, or parts of type text and image_url.' },
          tool_calls: { type: 'array', items: { type: 'object' } },
          tool_call_id: { type: 'string' },
        },
      },
    },
    max_tokens: { type: 'integer' },
    max_completion_tokens: { type: 'integer' },
    temperature: { type: 'number' },
    top_p: { type: 'number' },
    stop: { description: 'A string or up to 4 strings.' },
    seed: { type: 'integer' },
    presence_penalty: { type: 'number' },
    frequency_penalty: { type: 'number' },
    tools: { type: 'array', items: { type: 'object' } },
    tool_choice: {},
    response_format: { type: 'object', description: 'text, json_object or json_schema.' },
    user: { type: 'string' },
    n: { type: 'integer', description: 'Only 1: one choice per request.' },
    stream: { type: 'boolean' },
    stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
  },
};

const completionResponses = {
  200: {
    description:
      'A chat.completion object (id chatcmpl-<request id>), or with "stream": true a text/event-stream of chat.completion.chunk objects ending in data: [DONE].',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            object: { const: 'chat.completion' },
            created: { type: 'integer' },
            model: { type: 'string' },
            choices: { type: 'array', items: { type: 'object' } },
            usage: usageSchema,
          },
        },
      },
      'text/event-stream': { schema: { type: 'string' } },
    },
  },
  ...errors({
    400: 'A malformed body or an invalid field',
    ...keyErrors,
    403: 'KEEL_MODEL_NOT_ALLOWED: the key may not use this model',
    404: 'KEEL_UNKNOWN_MODEL: no such alias or provider/model',
    429: 'A rate limit or budget (KEEL_BUDGET_EXCEEDED) refused the call',
    502: 'Every target failed (KEEL_ALL_TARGETS_FAILED) or an upstream error',
  }),
};

const chatCompletions: OperationDoc = {
  tags: ['chat'],
  summary: 'Create a chat completion (OpenAI-compatible)',
  description:
    'OpenAI Chat Completions, plain and streaming, routed through an alias with retries, failover and circuit breakers. Before the first byte a failing stream is retried and failed over; after it the stream ends with an error event and no [DONE]. See docs/api.md#post-v1chatcompletions for the headers Keel reads and sets.',
  body: chatBodySchema,
  response: completionResponses,
};

const modelSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    object: { const: 'model' },
    created: { type: 'integer' },
    owned_by: { type: 'string' },
    strategy: { type: 'string' },
    targets: { type: 'array', items: { type: 'string' } },
  },
};

const listModels: OperationDoc = {
  tags: ['chat'],
  summary: 'List the models',
  description:
    'Each alias (owned_by "keel", with its strategy and targets), then each configured provider/model target that may be called directly.',
  response: {
    200: json('The model list.', {
      type: 'object',
      properties: { object: { const: 'list' }, data: { type: 'array', items: modelSchema } },
    }),
    ...errors(keyErrors),
  },
};

/** One target's circuit breaker, as /health and /api/breakers show it. */
export const breakerSchema: JsonSchema = {
  type: 'object',
  properties: {
    target: { type: 'string', description: 'provider/model' },
    status: { enum: ['closed', 'open', 'half-open'] },
    reason: { type: 'string' },
    consecutiveFailures: { type: 'integer' },
    windowCalls: { type: 'integer' },
    windowFailures: { type: 'integer' },
    openedAt: { type: 'string', format: 'date-time', description: 'While open or half-open.' },
  },
};

/** The fixed client-facing routes. */
export const gatewayOperations: OperationCatalog = {
  'POST /v1/chat/completions': chatCompletions,
  'POST /chat/completions': { ...chatCompletions, summary: 'Create a chat completion (alias of /v1)' },
  'GET /v1/models': listModels,
  'GET /models': { ...listModels, summary: 'List the models (alias of /v1/models)' },
  'GET /v1/models/:id': {
    tags: ['chat'],
    summary: 'Read one alias',
    description: 'One alias by name; any other id is a 404 KEEL_UNKNOWN_MODEL.',
    params: idParameter('The alias name.'),
    response: {
      200: json('The alias.', modelSchema),
      ...errors({ ...keyErrors, 404: 'KEEL_UNKNOWN_MODEL: no such alias' }),
    },
  },
  'GET /health': {
    tags: ['health'],
    summary: 'Liveness and every breaker',
    description:
      'HTTP 200 while Keel serves, with each target breaker. status is ok when every breaker is closed, down when none is, degraded otherwise. Needs no key or token.',
    response: {
      200: json('Health.', {
        type: 'object',
        properties: {
          status: { enum: ['ok', 'degraded', 'down'] },
          uptimeSeconds: { type: 'integer' },
          targets: { type: 'array', items: breakerSchema },
        },
      }),
      ...errors({ 503: 'KEEL_SHUTTING_DOWN: shutdown has begun' }),
    },
  },
  'GET /metrics': {
    tags: ['metrics'],
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition format (0.0.4), cache-control: no-store; served while telemetry.metrics.enabled is true. Not behind the admin guard.',
    response: { 200: text('Prometheus text exposition.', 'text/plain') },
  },
};

/** The docs of one configured prompt route, from its template's variables. */
export function promptRouteOperation(route: RouteConfig): OperationDoc {
  const variables = templateVariables(route.template);
  return {
    tags: ['prompts'],
    summary: `Prompt route ${route.path} (model ${route.model})`,
    description: `Fills the route's template with the body's variables (${variables.join(', ') || 'none'}) and calls ${route.model}. A missing variable is a 400 naming it.`,
    body: {
      type: 'object',
      required: variables,
      properties: Object.fromEntries(
        variables.map((name) => [name, { description: 'A string, or any JSON value (sent as JSON).' }]),
      ),
    },
    response: {
      200: json('The answer.', {
        type: 'object',
        properties: {
          id: { type: 'string' },
          route: { type: 'string' },
          model: { type: 'string' },
          provider: { type: 'string' },
          output: { type: 'string' },
          finish_reason: { type: 'string' },
          usage: usageSchema,
          attempts: { type: 'integer' },
        },
      }),
      ...errors({ 400: 'A missing variable or a body that is not a JSON object', ...keyErrors }),
    },
  };
}
