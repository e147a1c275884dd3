// Docs of the operations API: monitors, incidents, notifications and insights.
import { monitorDefinitionSchema } from '../../config/monitors-schema.js';
import { declareSchema, noteSchema, patchSchema } from '../incident-routes.js';
import { attributionSchema } from '../insights-routes.js';
import { timeRangeParameters } from './control-operations.js';
import {
  adminErrors,
  bodyFromZod,
  empty,
  errors,
  idParameter,
  json,
  parameters,
  stringParameter,
  withProperties,
  type OperationCatalog,
} from './operation-docs.js';

const badParameter = { 400: 'KEEL_INVALID_REQUEST naming the bad parameter or field', ...adminErrors };
const noMonitor = { 404: 'KEEL_MONITOR_NOT_FOUND: no such monitor' };
const readOnly = { 409: 'KEEL_MONITOR_READ_ONLY: a config or default-pack monitor' };
const noIncident = { 404: 'KEEL_INCIDENT_NOT_FOUND: no such incident' };
const monitorId = idParameter('The monitor id.');
const incidentId = idParameter('The incident id, e.g. INC-7.');
const monitorBody = bodyFromZod(monitorDefinitionSchema);
const severity = {
  description: 'SEV-1 (worst) to SEV-5, or 1 to 5.',
  anyOf: [
    { enum: ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4', 'SEV-5'] },
    { type: 'integer', minimum: 1, maximum: 5 },
  ],
};

/** The monitor, incident, notification and insights routes. */
export const monitoringOperations: OperationCatalog = {
  'GET /api/monitors': {
    tags: ['monitors'],
    summary: 'Every monitor with its state',
    description:
      'Each monitor with source (config, default, api), muted, overall status (its worst group), groups, and counts per status.',
    response: { 200: json('{ evaluationIntervalMs, counts, monitors }'), ...errors(adminErrors) },
  },
  'GET /api/monitors/:id': {
    tags: ['monitors'],
    summary: 'One monitor, its groups and last 50 transitions',
    description:
      'Groups carry value, reason and details such as the baseline, burn rates and errorBudgetRemaining.',
    params: monitorId,
    response: { 200: json('The monitor.'), ...errors({ ...adminErrors, ...noMonitor }) },
  },
  'GET /api/monitors/:id/evaluations': {
    tags: ['monitors'],
    summary: "A monitor's stored evaluations, newest first",
    description: 'Over a time range (default 1h), optionally for one group.',
    params: monitorId,
    querystring: parameters({
      ...timeRangeParameters('1h'),
      group: stringParameter('A group id, e.g. provider=openai.'),
      limit: stringParameter('1 to 5000; default 500.'),
    }),
    response: { 200: json('{ id, from, to, evaluations }'), ...errors({ ...badParameter, ...noMonitor }) },
  },
  'POST /api/monitors': {
    tags: ['monitors'],
    summary: 'Create a monitor',
    description:
      'From a definition written as in the config; persisted in the ops database, evaluated from the next tick.',
    body: monitorBody,
    response: {
      201: json('The monitor.'),
      ...errors({ ...badParameter, 409: 'KEEL_MONITOR_EXISTS: the id is taken' }),
    },
  },
  'PUT /api/monitors/:id': {
    tags: ['monitors'],
    summary: 'Replace an API monitor',
    description: "The body's id may be left out; the monitor's groups start afresh.",
    params: monitorId,
    body: monitorBody,
    response: { 200: json('The monitor.'), ...errors({ ...badParameter, ...noMonitor, ...readOnly }) },
  },
  'DELETE /api/monitors/:id': {
    tags: ['monitors'],
    summary: 'Delete an API monitor',
    description: 'Config and default-pack monitors cannot be deleted here.',
    params: monitorId,
    response: { 204: empty('Deleted.'), ...errors({ ...adminErrors, ...noMonitor, ...readOnly }) },
  },
  'POST /api/monitors/:id/:action': {
    tags: ['monitors'],
    summary: 'Mute or unmute a monitor',
    description:
      'Any monitor, config ones too. A muted monitor is evaluated and recorded, opens incidents, and notifies no one.',
    params: parameters(
      {
        id: stringParameter('The monitor id.'),
        action: stringParameter('mute or unmute.', { enum: ['mute', 'unmute'] }),
      },
      ['id', 'action'],
    ),
    response: { 200: json('The monitor.'), ...errors({ ...badParameter, ...noMonitor }) },
  },
  'POST /api/monitors/evaluate': {
    tags: ['monitors'],
    summary: 'Evaluate every monitor now',
    description: 'Runs a tick now and returns what changed.',
    response: { 200: json('{ at, evaluated, failed, transitions }'), ...errors(adminErrors) },
  },
  'GET /api/incidents': {
    tags: ['incidents'],
    summary: 'List incidents',
    description: 'Newest first, a page at a time; nextCursor when more may follow.',
    querystring: parameters({
      status: stringParameter('active, stable, resolved, or several comma-separated.'),
      severity: stringParameter('SEV-1..SEV-5 (or 1..5), comma-separated.'),
      monitor: stringParameter('A monitor id.'),
      from: stringParameter('Created at or after: ISO 8601 or epoch ms.'),
      to: stringParameter('Created before: ISO 8601 or epoch ms.'),
      limit: stringParameter('1 to 200; default 50.'),
      cursor: stringParameter('nextCursor of the previous page.'),
    }),
    response: { 200: json('{ at, items, nextCursor? }'), ...errors(badParameter) },
  },
  'POST /api/incidents': {
    tags: ['incidents'],
    summary: 'Declare an incident',
    description: 'The author is the body author, else the x-keel-author header.',
    body: withProperties(bodyFromZod(declareSchema), { severity }),
    response: { 201: json('The incident and its timeline.'), ...errors(badParameter) },
  },
  'GET /api/incidents/:id': {
    tags: ['incidents'],
    summary: 'Read an incident with its timeline',
    description: 'The incident record, its timeline, graph snapshots and runbook.',
    params: incidentId,
    response: { 200: json('{ incident, timeline }'), ...errors({ ...adminErrors, ...noIncident }) },
  },
  'PATCH /api/incidents/:id': {
    tags: ['incidents'],
    summary: 'Change status, severity, commander or title',
    description:
      'At least one of status, severity, commander (null removes it), title; each change is one timeline entry with the author.',
    params: incidentId,
    body: withProperties(bodyFromZod(patchSchema), { severity }),
    response: {
      200: json('{ incident, timeline }'),
      ...errors({
        ...badParameter,
        ...noIncident,
        409: 'KEEL_INCIDENT_CONFLICT: a newer open incident exists',
      }),
    },
  },
  'POST /api/incidents/:id/notes': {
    tags: ['incidents'],
    summary: 'Add a note to the timeline',
    description: 'Markdown, 1 to 8,000 characters; notes cannot be edited or deleted.',
    params: incidentId,
    body: bodyFromZod(noteSchema),
    response: { 201: json('The new timeline entry.'), ...errors({ ...badParameter, ...noIncident }) },
  },
  'GET /api/incidents/:id/postmortem': {
    tags: ['incidents'],
    summary: 'Draft the postmortem',
    description: 'A markdown draft from the record and the timeline; format=json answers { id, markdown }.',
    params: incidentId,
    querystring: parameters({
      format: stringParameter('markdown (default) or json.', { enum: ['markdown', 'json'] }),
    }),
    response: {
      200: {
        description: 'The markdown draft, or { id, markdown } with format=json.',
        content: {
          'text/markdown': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'object' } },
        },
      },
      ...errors({ ...badParameter, ...noIncident }),
    },
  },
  'GET /api/notifications': {
    tags: ['notifications'],
    summary: 'The notification outbox, newest first',
    description:
      'What was sent to which webhook, what is waiting and why the last attempt failed; no body, header or URL.',
    querystring: parameters({
      target: stringParameter('A webhook id.'),
      status: stringParameter('Outbox status.', { enum: ['pending', 'delivered', 'failed', 'rate-limited'] }),
      limit: stringParameter('1 to 500; default 50.'),
    }),
    response: {
      200: json('{ at, pending, counters, notifications }'),
      ...errors({ ...badParameter, 404: 'No such webhook' }),
    },
  },
  'POST /api/notifications/test': {
    tags: ['notifications'],
    summary: 'Send a test message to a webhook',
    description: 'Queues a kind "test" message (never deduplicated) and answers 202 with the outbox ids.',
    body: {
      type: 'object',
      required: ['target'],
      properties: { target: { type: 'string', description: 'A webhook id.' } },
    },
    response: {
      202: json('{ ids }', {
        type: 'object',
        properties: { ids: { type: 'array', items: { type: 'string' } } },
      }),
      ...errors({ ...badParameter, 404: 'No such webhook' }),
    },
  },
  'GET /api/health-score': {
    tags: ['insights'],
    summary: 'Health score 0-100 with its sub-scores',
    description: 'Overall and one entry per environment seen, most requests first.',
    querystring: parameters({
      ...timeRangeParameters('1h'),
      environment: stringParameter('Only this environment.'),
    }),
    response: { 200: json('The health score.'), ...errors(badParameter) },
  },
  'POST /api/insights/attribution': {
    tags: ['insights'],
    summary: 'Which dimension values made a metric change',
    description: 'Compares a metric between a baseline and a current period, per dimension value.',
    body: bodyFromZod(attributionSchema),
    response: { 200: json('The attribution.'), ...errors(badParameter) },
  },
  'GET /api/insights/roi': {
    tags: ['insights'],
    summary: 'What Keel saved',
    description: 'Cache hits, failover rescues and budget refusals, with estimated dollars.',
    querystring: parameters(timeRangeParameters('7d')),
    response: { 200: json('The savings.'), ...errors(badParameter) },
  },
  'GET /api/insights': {
    tags: ['insights'],
    summary: 'Recommendations with evidence and estimated monthly savings',
    description: 'Rules over the rollups and the newest raw records of the window.',
    querystring: parameters(timeRangeParameters('7d')),
    response: { 200: json('{ fromMs, toMs, recommendations, notes }'), ...errors(badParameter) },
  },
  'GET /api/forecast/cost': {
    tags: ['insights'],
    summary: 'Cost forecast',
    description:
      "Holt's method over hourly cost: today's and the month's spend, and the month-end projection.",
    querystring: parameters({
      horizon: stringParameter('Whole hours, 1h to 92d; default 24h.'),
      history: stringParameter('Whole hours, 2h to 92d; default 7d.'),
      alpha: stringParameter('Level smoothing in (0, 1]; default 0.3.'),
      beta: stringParameter('Trend smoothing in (0, 1]; default 0.1.'),
    }),
    response: { 200: json('The forecast.'), ...errors(badParameter) },
  },
};
