// Docs of the chaos routes: list, inject and clear runtime fault injections.
import { chaosClearSchema, chaosInjectSchema } from '../chaos-routes.js';
import {
  adminErrors,
  bodyFromZod,
  errors,
  json,
  type JsonSchema,
  type OperationCatalog,
} from './operation-docs.js';

const injectionSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    target: { type: 'string' },
    latencyMs: { type: 'integer' },
    errorRate: { type: 'number' },
    errorKind: { type: 'string' },
    outage: { type: 'boolean' },
    cutRate: { type: 'number' },
    startedAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
  },
};

/** The /api/chaos operations. */
export const chaosOperations: OperationCatalog = {
  'GET /api/chaos': {
    tags: ['chaos'],
    summary: 'The fault injections in force',
    description:
      'Expired injections are gone; soonest to expire first. Injections live in this replica only.',
    response: {
      200: json('{ at, injections: [...] }', {
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          injections: { type: 'array', items: injectionSchema },
        },
      }),
      ...errors(adminErrors),
    },
  },
  'POST /api/chaos/inject': {
    tags: ['chaos'],
    summary: 'Inject faults into the calls to a provider target',
    description:
      'target is a provider id or provider/model; forMs (at most 1 h) is required: the injection ends by itself. Replaces an injection already on the same target. Written to the timeline of every open incident.',
    body: bodyFromZod(chaosInjectSchema),
    response: {
      201: json('The injection.', injectionSchema),
      ...errors({ 400: 'KEEL_INVALID_REQUEST whose param names the field', ...adminErrors }),
    },
  },
  'POST /api/chaos/clear': {
    tags: ['chaos'],
    summary: 'End the injection on a target, or all of them',
    description: 'Without a target every injection ends.',
    body: bodyFromZod(chaosClearSchema),
    response: {
      200: json('{ cleared: [...] }', {
        type: 'object',
        properties: { cleared: { type: 'array', items: injectionSchema } },
      }),
      ...errors({ 400: 'KEEL_INVALID_REQUEST whose param names the field', ...adminErrors }),
    },
  },
};
