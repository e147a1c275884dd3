// Docs of the control and stats API: breakers, stats, requests, time series, budgets, keys, experiments.
import { newKeySchema } from '../../config/keys-schema.js';
import { STORE_DIMENSIONS, TIMESERIES_METRICS } from '../../store/store.js';
import { breakerSchema } from './gateway-operations.js';
import {
  adminErrors,
  bodyFromZod,
  errors,
  idParameter,
  json,
  parameters,
  stringParameter,
  text,
  type JsonSchema,
  type OperationCatalog,
  type OperationDoc,
} from './operation-docs.js';

/** `window`, `from` and `to`, with the window's default. */
export function timeRangeParameters(defaultWindow: string): Record<string, JsonSchema> {
  return {
    window: stringParameter(
      `A duration ending at 'to': a whole number and s, m, h or d (15m, 1h, 7d). Default ${defaultWindow}. Ignored when 'from' is set.`,
    ),
    from: stringParameter('An ISO 8601 time or epoch milliseconds; before to.'),
    to: stringParameter('An ISO 8601 time or epoch milliseconds; default now.'),
  };
}

const rollupFilters: Record<string, JsonSchema> = {
  environment: stringParameter("The request's x-keel-environment (default when the header was absent)."),
  application: stringParameter("The request's x-keel-application."),
  provider: stringParameter('The provider id that served the request (or was tried last).'),
  model: stringParameter('The requested model: the alias or provider/model the client sent.'),
  status_class: stringParameter('2xx, 4xx or 5xx.', { enum: ['2xx', '4xx', '5xx'] }),
};

const recordFilters: Record<string, JsonSchema> = {
  ...rollupFilters,
  status: stringParameter('An HTTP status, e.g. 429.'),
  outcome: stringParameter('ok or error.', { enum: ['ok', 'error'] }),
  error_code: stringParameter('A Keel error code, e.g. KEEL_ALL_TARGETS_FAILED.'),
  experiment_id: stringParameter('The x-keel-experiment-id metadata header.'),
  variant_id: stringParameter('The x-keel-variant-id metadata header.'),
  feature_version: stringParameter('The x-keel-feature-version metadata header.'),
  prompt_version: stringParameter('The x-keel-prompt-version metadata header.'),
  key_id: stringParameter("The gateway key's id (key_...)."),
  team: stringParameter("The gateway key's team."),
};

const pageParameters: Record<string, JsonSchema> = {
  limit: stringParameter('1 to 1000 records; default 100 (1000 for requests.csv).'),
  cursor: stringParameter('nextCursor of the previous page.'),
};

const badParameter = { 400: 'KEEL_INVALID_REQUEST naming the bad parameter', ...adminErrors };
const storeNote =
  ' Served while the telemetry store is enabled (otherwise 404 KEEL_ROUTE_NOT_FOUND); records still buffered in memory are written first.';

const breakerAction: OperationDoc = {
  tags: ['breakers'],
  summary: 'Trip or reset a breaker by hand',
  description:
    'trip opens the breaker: calls skip the target until its cooldown passes or it is reset. reset closes it. reason is cut to 200 characters and shows as the breaker reason.',
  params: parameters({ action: stringParameter('trip or reset.', { enum: ['trip', 'reset'] }) }, ['action']),
  body: {
    type: 'object',
    required: ['target'],
    properties: {
      target: { type: 'string', description: 'provider/model, a target an alias uses.' },
      reason: { type: 'string', maxLength: 200 },
    },
  },
  response: {
    200: json("The breaker's new state.", breakerSchema),
    ...errors({
      400: 'No target string in the body, or an unknown action',
      ...adminErrors,
      404: 'No alias uses this target',
    }),
  },
};

/** The control API routes of Keel's core and of the store, budget, key and experiment extensions. */
export const controlOperations: OperationCatalog = {
  'GET /api/breakers': {
    tags: ['breakers'],
    summary: "Every target's breaker",
    description: 'The targets the aliases use, with their circuit breaker state.',
    response: {
      200: json('The breakers.', {
        type: 'object',
        properties: { breakers: { type: 'array', items: breakerSchema } },
      }),
      ...errors(adminErrors),
    },
  },
  'POST /api/breakers/:action': breakerAction,
  'GET /api/stats': {
    tags: ['stats'],
    summary: 'Totals, rates, tokens, cost and latency over a time range',
    description: `From the rollups; optionally grouped, plus the breakers. Without group_by there is one group with key {}.${storeNote}`,
    querystring: parameters({
      ...timeRangeParameters('1h'),
      ...rollupFilters,
      group_by: stringParameter(`Comma-separated: ${STORE_DIMENSIONS.join(', ')}.`),
      latency_below_ms: stringParameter('Milliseconds >= 0: each group also has latencyBelow.'),
    }),
    response: { 200: json('The stats groups and breakers.'), ...errors(badParameter) },
  },
  'GET /api/requests': {
    tags: ['stats'],
    summary: 'Request records, newest first, a page at a time',
    description: `Raw records (kept telemetry.store.rawRetentionMs, 7 days by default) in [from, to); JSON, or CSV with format=csv. When more may follow the answer has nextCursor.${storeNote}`,
    querystring: parameters({
      ...timeRangeParameters('24h'),
      ...recordFilters,
      ...pageParameters,
      format: stringParameter('csv for CSV.', { enum: ['json', 'csv'] }),
    }),
    response: {
      200: {
        description: '{ items, nextCursor? }, or CSV with format=csv.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                items: { type: 'array', items: { type: 'object' } },
                nextCursor: { type: 'string' },
              },
            },
          },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      ...errors(badParameter),
    },
  },
  'GET /api/requests.csv': {
    tags: ['stats'],
    summary: 'Request records as CSV',
    description: `The same records as GET /api/requests, as CSV, up to 1,000 per page; the next cursor is in x-next-cursor.${storeNote}`,
    querystring: parameters({ ...timeRangeParameters('24h'), ...recordFilters, ...pageParameters }),
    response: { 200: text('CSV, one record a line.', 'text/csv'), ...errors(badParameter) },
  },
  'GET /api/timeseries': {
    tags: ['stats'],
    summary: 'One metric over time',
    description: `Buckets of whole minutes, optionally one series per dimension value; at most 10,000 buckets.${storeNote}`,
    querystring: parameters({
      ...timeRangeParameters('1h'),
      ...rollupFilters,
      metric: stringParameter('Default requests.', { enum: [...TIMESERIES_METRICS] }),
      by: stringParameter('One series per value.', { enum: [...STORE_DIMENSIONS] }),
      step: stringParameter('Bucket width in whole minutes (1m, 5m, 1h, 1d); default 1m.'),
    }),
    response: { 200: json('The series.'), ...errors(badParameter) },
  },
  'GET /api/budgets': {
    tags: ['budgets'],
    summary: 'Every budget with its spend, reservations and what is left',
    description:
      "Reads the shared state, so every replica answers the same. Team, application and global budgets always; a key's budget once that key made a call through this replica.",
    response: {
      200: json('The budgets.', {
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          budgets: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                scope: { type: 'string' },
                id: { type: 'string' },
                period: { type: 'string' },
                periodKey: { type: 'string' },
                limitUsd: { type: 'number' },
                spentUsd: { type: 'number' },
                reservedUsd: { type: 'number' },
                remainingUsd: { type: 'number' },
                resetAt: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      }),
      ...errors(adminErrors),
    },
  },
  'POST /api/keys': {
    tags: ['keys'],
    summary: 'Create a gateway key',
    description:
      'Answers 201 with the key and its secret: the only time the secret is shown (cache-control: no-store).',
    body: bodyFromZod(newKeySchema),
    response: {
      201: json('The key with its secret.'),
      ...errors({ 400: 'KEEL_INVALID_REQUEST whose param names the field', ...adminErrors }),
    },
  },
  'GET /api/keys': {
    tags: ['keys'],
    summary: 'List the gateway keys',
    description: 'Every key, revoked ones included, config keys first; never a secret or a hash.',
    response: {
      200: json('{ keys: [...] }', { type: 'object', properties: { keys: { type: 'array' } } }),
      ...errors(adminErrors),
    },
  },
  'GET /api/keys/:id': {
    tags: ['keys'],
    summary: 'Read a gateway key',
    description: 'One key, without its secret.',
    params: idParameter('The key id (key_...).'),
    response: {
      200: json('The key.'),
      ...errors({ ...adminErrors, 404: 'KEEL_INVALID_REQUEST: no such key' }),
    },
  },
  'DELETE /api/keys/:id': {
    tags: ['keys'],
    summary: 'Revoke a gateway key',
    description:
      'Revokes the key and answers with it (revokedAt set); requests with it get 401 from the moment this answers. A config key is a 409.',
    params: idParameter('The key id (key_...).'),
    response: {
      200: json('The revoked key.'),
      ...errors({
        ...adminErrors,
        404: 'KEEL_INVALID_REQUEST: no such key',
        409: 'The key is declared in the config (keys.static)',
      }),
    },
  },
  'GET /api/experiments': {
    tags: ['experiments'],
    summary: 'The configured experiments',
    description: 'As in the config: id, model, enabled, stickyBy and variants.',
    response: {
      200: json('{ experiments: [...] }', {
        type: 'object',
        properties: { experiments: { type: 'array' } },
      }),
      ...errors(adminErrors),
    },
  },
  'GET /api/experiments/:id/report': {
    tags: ['experiments'],
    summary: "Compare an experiment's variants",
    description:
      'Per variant: every /api/stats group field, plus variant, weightShare, tokensPerRequest, costPerRequestUsd and vsControl (against the first variant).',
    params: idParameter('The experiment id.'),
    querystring: parameters(timeRangeParameters('7d')),
    response: {
      200: json('The report.'),
      ...errors({ ...badParameter, 404: 'KEEL_ROUTE_NOT_FOUND: no such experiment' }),
    },
  },
};
