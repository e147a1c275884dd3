// Docs of the synthetic probe routes: measurements (JSON or CSV), models per environment, the loop's state.
import { PROBE_CSV_COLUMNS } from '../probe-routes.js';
import { timeRangeParameters } from './control-operations.js';
import {
  adminErrors,
  errors,
  json,
  parameters,
  stringParameter,
  text,
  type JsonSchema,
  type OperationCatalog,
} from './operation-docs.js';

const badParameter = { 400: 'KEEL_INVALID_REQUEST naming the bad parameter', ...adminErrors };

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });

const measurementSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    timestamp: { type: 'string', format: 'date-time' },
    environment: { type: 'string' },
    model: { type: 'string' },
    success: { type: 'boolean' },
    status: nullable('integer'),
    latencyMs: nullable('number'),
    ttftMs: nullable('number'),
    promptTokens: nullable('integer'),
    completionTokens: nullable('integer'),
    totalTokens: nullable('integer'),
    costUsd: nullable('number'),
    provider: nullable('string'),
    servedModel: nullable('string'),
    errorCode: nullable('string'),
    error: nullable('string'),
  },
};

const listParameters = parameters({
  environment: stringParameter('Only this environment, e.g. prod.'),
  model: stringParameter('Only this model.'),
  skip: stringParameter('Measurements to skip (newest first); default 0.'),
  limit: stringParameter('1 to 10000; default 100 (10000 for CSV).'),
  ...timeRangeParameters('(all kept)'),
});

/** The /api/latency, /api/models and /api/probes operations. */
export const probeOperations: OperationCatalog = {
  'GET /api/latency': {
    tags: ['probes'],
    summary: 'Probe measurements, newest first, filtered and paged',
    description:
      'Every stored probe call (kept probes.retentionMs, 30 days by default): latency, TTFT, tokens, cost and success per environment and model. from/to/window narrow the time range; without them all kept measurements match. format=csv answers CSV.',
    querystring: parameters({
      ...(listParameters.properties as Record<string, JsonSchema>),
      format: stringParameter('json (default) or csv.', { enum: ['json', 'csv'] }),
    }),
    response: {
      200: {
        description: '{ total, skip, limit, items }, or CSV with format=csv.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                total: { type: 'integer', description: 'Measurements that match, over all pages.' },
                skip: { type: 'integer' },
                limit: { type: 'integer' },
                items: { type: 'array', items: measurementSchema },
              },
            },
          },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      ...errors(badParameter),
    },
  },
  'GET /api/latency.csv': {
    tags: ['probes'],
    summary: 'Probe measurements as CSV',
    description: `The same filters and pages as GET /api/latency (up to 10,000 rows by default); x-total-count says how many match. Columns: ${PROBE_CSV_COLUMNS.join(', ')}.`,
    querystring: listParameters,
    response: { 200: text('CSV, one measurement a line.', 'text/csv'), ...errors(badParameter) },
  },
  'GET /api/latency/summary': {
    tags: ['probes'],
    summary: 'Probe results per environment and model over a time range',
    description:
      'Per environment and model in [from, to) (default the last hour): probes, failures, failure rate, latency p50/p95/avg and TTFT p95 of the successful probes (nearest rank, over the newest 20,000), and the last measurement.',
    querystring: parameters({
      ...timeRangeParameters('1h'),
      environment: stringParameter('Only this environment.'),
      model: stringParameter('Only this model.'),
    }),
    response: { 200: json('{ from, to, groups }'), ...errors(badParameter) },
  },
  'GET /api/models': {
    tags: ['probes'],
    summary: 'The models probed per environment',
    description:
      'Every model seen per environment with where it came from (config, usage), whether the current cycle probes it (active), when it was first and last seen, and its last measurement.',
    response: { 200: json('{ environments: [{ name, models }] }'), ...errors(adminErrors) },
  },
  'GET /api/probes': {
    tags: ['probes'],
    summary: 'The probe loop: mode, last cycle, environments and usage reads',
    description: 'Answers { enabled: false } when probes.enabled is false.',
    response: {
      200: json('{ enabled, mode, intervalMs, cycles, lastCycle, environments }'),
      ...errors(adminErrors),
    },
  },
  'POST /api/probes/run': {
    tags: ['probes'],
    summary: 'Run a probe cycle now',
    description: 'Answers when the cycle is stored (joins a cycle already running), with the loop state.',
    response: {
      200: json('The loop state after the cycle.'),
      ...errors({ 409: 'KEEL_PROBES_DISABLED: probes.enabled is false', ...adminErrors }),
    },
  },
};
