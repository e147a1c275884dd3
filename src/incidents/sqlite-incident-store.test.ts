import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openOpsDatabase, type OpsDatabase } from '../ops/ops-database.js';
import { incidentIdOf, type Incident, type IncidentStatus, type Severity } from './incident.js';
import { MINUTE_MS, monitorSummary, T0 } from './incident-fixtures.js';
import { SqliteIncidentStore } from './sqlite-incident-store.js';

function incident(options: {
  number: number;
  status?: IncidentStatus;
  severity?: Severity;
  monitorId?: string;
  groupId?: string;
  createdAtMs?: number;
}): Incident {
  const createdAtMs = options.createdAtMs ?? T0 + options.number * MINUTE_MS;
  return {
    id: incidentIdOf(options.number),
    number: options.number,
    title: `incident ${options.number}`,
    severity: options.severity ?? 'SEV-3',
    status: options.status ?? 'active',
    source: options.monitorId === undefined ? 'manual' : 'monitor',
    monitor: options.monitorId === undefined ? undefined : monitorSummary({ id: options.monitorId }),
    groupId: options.monitorId === undefined ? undefined : (options.groupId ?? ''),
    impactStartMs: createdAtMs,
    createdAtMs,
    updatedAtMs: createdAtMs,
    notificationSequence: 0,
  };
}

describe('SqliteIncidentStore', () => {
  const databases: OpsDatabase[] = [];
  const directories: string[] = [];
  const open = (path = ':memory:') => {
    const db = openOpsDatabase(path);
    databases.push(db);
    return new SqliteIncidentStore({ db });
  };
  afterEach(() => {
    for (const db of databases.splice(0)) db.close();
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('creates, reads, updates and numbers incidents', () => {
    const store = open();
    expect(store.nextNumber()).toBe(1);
    store.create(incident({ number: 1, monitorId: 'p95', groupId: 'provider=openai' }));
    expect(store.nextNumber()).toBe(2);
    expect(store.get('INC-1')).toMatchObject({ id: 'INC-1', monitor: { id: 'p95' } });
    expect(store.get('INC-9')).toBeUndefined();
    store.update({
      ...incident({ number: 1, monitorId: 'p95', groupId: 'provider=openai' }),
      status: 'stable',
    });
    expect(store.get('INC-1')?.status).toBe('stable');
    expect(() => store.update(incident({ number: 5 }))).toThrow(/not stored/);
  });

  it('finds the open incident of a monitor group and refuses a second one', () => {
    const store = open();
    store.create(incident({ number: 1, monitorId: 'p95', groupId: 'provider=openai', status: 'resolved' }));
    expect(store.findOpen({ monitorId: 'p95', groupId: 'provider=openai' })).toBeUndefined();
    store.create(incident({ number: 2, monitorId: 'p95', groupId: 'provider=openai', status: 'stable' }));
    store.create(incident({ number: 3, monitorId: 'p95', groupId: 'provider=anthropic' }));
    store.create(incident({ number: 4, monitorId: 'errors', groupId: '' }));
    expect(store.findOpen({ monitorId: 'p95', groupId: 'provider=openai' })?.id).toBe('INC-2');
    expect(store.findOpen({ monitorId: 'errors', groupId: '' })?.id).toBe('INC-4');
    expect(() => store.create(incident({ number: 5, monitorId: 'p95', groupId: 'provider=openai' }))).toThrow(
      /UNIQUE/,
    );
    // Declared incidents have no monitor and never collide.
    store.create(incident({ number: 6 }));
    store.create(incident({ number: 7 }));
    expect(store.withStatus('stable').map((found) => found.id)).toEqual(['INC-2']);
  });

  it('lists newest first with filters and a cursor', () => {
    const store = open();
    for (let number = 1; number <= 7; number += 1) {
      store.create(
        incident({
          number,
          status: number % 2 === 0 ? 'resolved' : 'active',
          severity: number <= 3 ? 'SEV-1' : 'SEV-4',
          monitorId: number === 5 ? 'p95' : undefined,
        }),
      );
    }
    const ids = (page: { incidents: Incident[] }) => page.incidents.map((found) => found.id);
    expect(ids(store.list())).toEqual(['INC-7', 'INC-6', 'INC-5', 'INC-4', 'INC-3', 'INC-2', 'INC-1']);
    expect(ids(store.list({ status: ['resolved'] }))).toEqual(['INC-6', 'INC-4', 'INC-2']);
    expect(ids(store.list({ status: ['active'], severity: ['SEV-1'] }))).toEqual(['INC-3', 'INC-1']);
    expect(ids(store.list({ monitorId: 'p95' }))).toEqual(['INC-5']);
    expect(ids(store.list({ fromMs: T0 + 3 * MINUTE_MS, toMs: T0 + 5 * MINUTE_MS }))).toEqual([
      'INC-4',
      'INC-3',
    ]);

    const first = store.list({ limit: 3 });
    expect(ids(first)).toEqual(['INC-7', 'INC-6', 'INC-5']);
    const second = store.list({ limit: 3, cursor: first.nextCursor });
    expect(ids(second)).toEqual(['INC-4', 'INC-3', 'INC-2']);
    const third = store.list({ limit: 3, cursor: second.nextCursor });
    expect(ids(third)).toEqual(['INC-1']);
    expect(third.nextCursor).toBeUndefined();
    expect(() => store.list({ cursor: 'bogus' })).toThrow(
      expect.objectContaining({ code: 'KEEL_INVALID_REQUEST', param: 'cursor' }),
    );
  });

  it('appends timeline entries in order and refuses to change them', () => {
    const store = open();
    store.create(incident({ number: 1 }));
    const stored = store.append([
      { incidentId: 'INC-1', atMs: T0, kind: 'created', text: 'Declared', data: { source: 'manual' } },
      { incidentId: 'INC-1', atMs: T0 - 5, kind: 'note', author: 'alice', text: '*early*', data: {} },
    ]);
    expect(stored.map((entry) => entry.id)).toEqual([1, 2]);
    expect(store.timeline('INC-1')).toEqual([
      {
        id: 1,
        incidentId: 'INC-1',
        atMs: T0,
        kind: 'created',
        author: undefined,
        text: 'Declared',
        data: { source: 'manual' },
      },
      { id: 2, incidentId: 'INC-1', atMs: T0 - 5, kind: 'note', author: 'alice', text: '*early*', data: {} },
    ]);
    expect(() =>
      store.append([{ incidentId: 'INC-404', atMs: T0, kind: 'note', text: 'x', data: {} }]),
    ).toThrow(/FOREIGN KEY/);
    expect(() =>
      databases[0]?.prepare("UPDATE incidents_timeline SET text = 'rewritten' WHERE id = 1").run(),
    ).toThrow(/append-only/);
  });

  it('keeps incidents and timelines across a reopen of the file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-incidents-'));
    directories.push(directory);
    const path = join(directory, 'ops.db');
    const first = open(path);
    first.create(incident({ number: 1, monitorId: 'p95', groupId: 'provider=openai' }));
    first.append([{ incidentId: 'INC-1', atMs: T0, kind: 'created', text: 'Opened', data: {} }]);
    databases.shift()?.close();

    const second = open(path);
    expect(second.findOpen({ monitorId: 'p95', groupId: 'provider=openai' })?.id).toBe('INC-1');
    expect(second.timeline('INC-1').map((entry) => entry.text)).toEqual(['Opened']);
    expect(second.nextNumber()).toBe(2);
  });
});
