import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS, RecordingNotifier, T0, transition } from '../incidents/incident-fixtures.js';
import { IncidentService } from '../incidents/incident-service.js';
import { SqliteIncidentStore } from '../incidents/sqlite-incident-store.js';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import { fromFrameworkError, sendError } from './edge-errors.js';
import { createIncidentRoutes } from './incident-routes.js';

interface ErrorBody {
  error: { code: string; param: string | null; message: string };
}

describe('incident routes over real HTTP and a real ops database', () => {
  let app: FastifyInstance;
  let db: OpsDatabase;
  let base: string;
  let nowMs = T0;
  const notifier = new RecordingNotifier();
  let service: IncidentService;

  beforeAll(async () => {
    db = openOpsDatabase(':memory:');
    service = new IncidentService({
      store: new SqliteIncidentStore({ db }),
      notifier,
      now: () => nowMs,
      settings: { defaultNotify: ['ops-email'], publicUrl: 'https://keel.example.com' },
    });
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => sendError(reply, fromFrameworkError(error)));
    await app.register(createIncidentRoutes({ service, now: () => nowMs }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  };
  const json = <T>(response: { text: string }) => JSON.parse(response.text) as T;

  it('declares, reads, changes, annotates and drafts the postmortem of an incident', async () => {
    const created = await call(
      'POST',
      '/api/incidents',
      {
        title: 'Answers in the wrong language',
        severity: 'SEV-3',
        commander: 'alice',
        description: 'Support saw it.',
      },
      { 'x-keel-author': 'bob' },
    );
    expect(created.status).toBe(201);
    const { incident } = json<{ incident: { id: string; status: string; source: string } }>(created);
    expect(incident).toMatchObject({ id: 'INC-1', status: 'active', source: 'manual' });

    nowMs += 5 * MINUTE_MS;
    const patched = await call('PATCH', `/api/incidents/${incident.id}`, { severity: 2, author: 'carol' });
    expect(patched.status).toBe(200);
    const afterPatch = json<{
      incident: { severity: string };
      timeline: { kind: string; author?: string }[];
    }>(patched);
    expect(afterPatch.incident.severity).toBe('SEV-2');
    expect(afterPatch.timeline.at(-1)).toMatchObject({ kind: 'severity', author: 'carol' });
    expect(notifier.calls.map((entry) => entry.message.kind)).toEqual([
      'incident.opened',
      'incident.updated',
    ]);

    const note = await call(
      'POST',
      `/api/incidents/${incident.id}/notes`,
      { text: 'Rolled back prompt **v7**' },
      {
        'x-keel-author': 'dana',
      },
    );
    expect(note.status).toBe(201);
    expect(json<{ kind: string; author: string; text: string }>(note)).toMatchObject({
      kind: 'note',
      author: 'dana',
      text: 'Rolled back prompt **v7**',
    });

    nowMs += 30 * MINUTE_MS;
    const resolved = await call('PATCH', `/api/incidents/${incident.id}`, { status: 'resolved' });
    expect(json<{ incident: { status: string } }>(resolved).incident.status).toBe('resolved');

    const read = await call('GET', `/api/incidents/${incident.id}`);
    expect(json<{ timeline: { kind: string }[] }>(read).timeline.map((entry) => entry.kind)).toEqual([
      'created',
      'severity',
      'note',
      'resolved',
    ]);

    const markdown = await call('GET', `/api/incidents/${incident.id}/postmortem`);
    expect(markdown.status).toBe(200);
    expect(markdown.type).toContain('text/markdown');
    expect(markdown.text).toContain('# Postmortem: INC-1 Answers in the wrong language');
    expect(markdown.text).toContain('- Duration: 35 min');
    const asJson = await call('GET', `/api/incidents/${incident.id}/postmortem?format=json`);
    expect(json<{ id: string; markdown: string }>(asJson)).toEqual({ id: 'INC-1', markdown: markdown.text });
  });

  it('lists newest first with filters and a cursor', async () => {
    nowMs = T0 + 60 * MINUTE_MS;
    service.onMonitorTransition(transition({ from: 'OK', to: 'ALERT', atMs: nowMs }));
    service.onMonitorTransition(
      transition({ from: 'OK', to: 'ALERT', atMs: nowMs, groupId: 'provider=anthropic' }),
    );
    const ids = (response: { text: string }) =>
      json<{ incidents: { id: string }[] }>(response).incidents.map((i) => i.id);

    const all = await call('GET', '/api/incidents');
    expect(json<{ at: string }>(all).at).toBe(new Date(nowMs).toISOString());
    expect(ids(all)).toEqual(['INC-3', 'INC-2', 'INC-1']);
    expect(ids(await call('GET', '/api/incidents?status=active,stable'))).toEqual(['INC-3', 'INC-2']);
    expect(ids(await call('GET', '/api/incidents?severity=SEV-2&monitor=p95-latency'))).toEqual([
      'INC-3',
      'INC-2',
    ]);
    expect(ids(await call('GET', `/api/incidents?to=${T0 + 60 * MINUTE_MS}`))).toEqual(['INC-1']);

    const first = json<{ incidents: { id: string }[]; nextCursor: string }>(
      await call('GET', '/api/incidents?limit=2'),
    );
    expect(first.incidents.map((found) => found.id)).toEqual(['INC-3', 'INC-2']);
    const second = await call('GET', `/api/incidents?limit=2&cursor=${first.nextCursor}`);
    expect(ids(second)).toEqual(['INC-1']);
    expect(json<{ nextCursor?: string }>(second).nextCursor).toBeUndefined();
  });

  it('refuses reopening when the monitor group has another open incident', async () => {
    nowMs = T0 + 90 * MINUTE_MS;
    await call('PATCH', '/api/incidents/INC-2', { status: 'resolved' });
    service.onMonitorTransition(transition({ from: 'OK', to: 'ALERT', atMs: nowMs }));
    const response = await call('PATCH', '/api/incidents/INC-2', { status: 'active' });
    expect(response.status).toBe(409);
    expect(json<ErrorBody>(response).error).toMatchObject({
      code: 'KEEL_INCIDENT_CONFLICT',
      param: 'status',
    });
  });

  it.each<[string, string, string, unknown, number, string, string | null]>([
    ['unknown incident', 'GET', '/api/incidents/INC-999', undefined, 404, 'KEEL_INCIDENT_NOT_FOUND', 'id'],
    [
      'unknown incident patch',
      'PATCH',
      '/api/incidents/INC-999',
      { title: 'x' },
      404,
      'KEEL_INCIDENT_NOT_FOUND',
      'id',
    ],
    [
      'unknown incident note',
      'POST',
      '/api/incidents/INC-999/notes',
      { text: 'x' },
      404,
      'KEEL_INCIDENT_NOT_FOUND',
      'id',
    ],
    [
      'unknown postmortem',
      'GET',
      '/api/incidents/INC-999/postmortem',
      undefined,
      404,
      'KEEL_INCIDENT_NOT_FOUND',
      'id',
    ],
    ['missing title', 'POST', '/api/incidents', { severity: 'SEV-1' }, 400, 'KEEL_INVALID_REQUEST', 'title'],
    [
      'bad severity',
      'POST',
      '/api/incidents',
      { title: 'x', severity: 'SEV-9' },
      400,
      'KEEL_INVALID_REQUEST',
      'severity',
    ],
    [
      'unknown field',
      'POST',
      '/api/incidents',
      { title: 'x', severity: 1, owner: 'a' },
      400,
      'KEEL_INVALID_REQUEST',
      'owner',
    ],
    [
      'long title',
      'POST',
      '/api/incidents',
      { title: 'x'.repeat(201), severity: 1 },
      400,
      'KEEL_INVALID_REQUEST',
      'title',
    ],
    ['empty patch', 'PATCH', '/api/incidents/INC-1', {}, 400, 'KEEL_INVALID_REQUEST', null],
    [
      'bad status',
      'PATCH',
      '/api/incidents/INC-1',
      { status: 'closed' },
      400,
      'KEEL_INVALID_REQUEST',
      'status',
    ],
    [
      'resolved to stable',
      'PATCH',
      '/api/incidents/INC-1',
      { status: 'stable' },
      400,
      'KEEL_INVALID_REQUEST',
      'status',
    ],
    ['empty note', 'POST', '/api/incidents/INC-1/notes', { text: '  ' }, 400, 'KEEL_INVALID_REQUEST', 'text'],
    [
      'long note',
      'POST',
      '/api/incidents/INC-1/notes',
      { text: 'x'.repeat(8001) },
      400,
      'KEEL_INVALID_REQUEST',
      'text',
    ],
    [
      'bad list status',
      'GET',
      '/api/incidents?status=open',
      undefined,
      400,
      'KEEL_INVALID_REQUEST',
      'status',
    ],
    [
      'bad list severity',
      'GET',
      '/api/incidents?severity=high',
      undefined,
      400,
      'KEEL_INVALID_REQUEST',
      'severity',
    ],
    ['bad limit', 'GET', '/api/incidents?limit=500', undefined, 400, 'KEEL_INVALID_REQUEST', 'limit'],
    ['bad cursor', 'GET', '/api/incidents?cursor=abc', undefined, 400, 'KEEL_INVALID_REQUEST', 'cursor'],
    ['bad from', 'GET', '/api/incidents?from=yesterday', undefined, 400, 'KEEL_INVALID_REQUEST', 'from'],
    [
      'bad format',
      'GET',
      '/api/incidents/INC-1/postmortem?format=pdf',
      undefined,
      400,
      'KEEL_INVALID_REQUEST',
      'format',
    ],
  ])('%s: %s %s -> %d %s', async (_name, method, path, body, status, code, param) => {
    const response = await call(method, path, body);
    expect(response.status).toBe(status);
    expect(json<ErrorBody>(response).error).toMatchObject({ code, param });
  });

  it('drops a blank description and takes the body author over the header', async () => {
    const created = await call(
      'POST',
      '/api/incidents',
      { title: 'Blank', severity: '5', description: '   ', author: 'erin' },
      { 'x-keel-author': 'frank' },
    );
    const body = json<{
      incident: { id: string; description?: string; severity: string };
      timeline: { author?: string }[];
    }>(created);
    expect(body.incident.severity).toBe('SEV-5');
    expect(body.incident.description).toBeUndefined();
    expect(body.timeline[0]?.author).toBe('erin');
    await call('PATCH', `/api/incidents/${body.incident.id}`, { status: 'resolved' });
  });

  it('refuses a note that is not JSON with KEEL_INVALID_JSON', async () => {
    const response = await fetch(`${base}/api/incidents/INC-1/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('KEEL_INVALID_JSON');
  });
});
