import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashKeySecret } from './key-secret.js';
import { KeyRing } from './key-ring.js';
import { SqliteKeyStore } from './sqlite-key-store.js';
import type { Scheduler } from '../spec/index.js';

const never: Scheduler = { every: () => () => undefined, soon: () => undefined };

describe('SqliteKeyStore', () => {
  const stores: SqliteKeyStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  const open = (path: string, nowMs = Date.parse('2026-01-01T00:00:00Z')) => {
    const store = new SqliteKeyStore({ path, now: () => nowMs, scheduler: never });
    stores.push(store);
    return store;
  };
  const tempFile = () => join(mkdtempSync(join(tmpdir(), 'keel-keys-')), 'nested', 'keys.db');

  it('creates a key, keeps only its hash and prefix, and lists it without either secret or hash', async () => {
    const path = tempFile();
    const store = open(path);
    const created = await store.create({
      name: 'checkout',
      team: 'payments',
      application: 'checkout',
      environment: 'production',
      allowedModels: ['chat-default'],
      rateLimits: { requestsPerMinute: 60 },
      budget: { monthlyUsd: 100 },
    });
    expect(created.secret).toMatch(/^keel_sk_/);
    expect(created.record).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/) as unknown,
      name: 'checkout',
      team: 'payments',
      application: 'checkout',
      environment: 'production',
      allowedModels: ['chat-default'],
      rateLimits: { requestsPerMinute: 60 },
      budget: { monthlyUsd: 100 },
      prefix: created.secret.slice(0, 12),
      createdAt: '2026-01-01T00:00:00.000Z',
      revokedAt: undefined,
      source: 'store',
    });
    const listed = await store.list();
    expect(listed).toEqual([created.record]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(JSON.stringify(listed)).not.toContain(hashKeySecret(created.secret));
    const [stored] = await store.loadAll();
    expect(stored?.secretHash).toBe(hashKeySecret(created.secret));
    // The secret is nowhere in the file (WAL included once checkpointed on close).
    await store.close();
    expect(readFileSync(path).includes(Buffer.from(created.secret.slice(12)))).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('revokes once: revoking again keeps the first time; an unknown id is undefined', async () => {
    let nowMs = Date.parse('2026-01-01T00:00:00Z');
    const store = new SqliteKeyStore({ path: ':memory:', now: () => nowMs });
    stores.push(store);
    const { record } = await store.create({ name: 'ci' });
    nowMs += 60_000;
    expect((await store.revoke(record.id))?.revokedAt).toBe('2026-01-01T00:01:00.000Z');
    nowMs += 60_000;
    expect((await store.revoke(record.id))?.revokedAt).toBe('2026-01-01T00:01:00.000Z');
    expect(await store.revoke('key_missing')).toBeUndefined();
    expect((await store.get(record.id))?.revokedAt).toBe('2026-01-01T00:01:00.000Z');
  });

  it('announces its own changes, and notices changes another process made to the file', async () => {
    const path = tempFile();
    const keel = open(path);
    const cli = open(path);
    const changes: string[] = [];
    keel.onChange(() => changes.push('keel'));
    await keel.create({ name: 'one' });
    expect(changes).toEqual(['keel']);
    keel.checkForChanges();
    expect(changes).toEqual(['keel']);
    await cli.create({ name: 'two' });
    keel.checkForChanges();
    expect(changes).toEqual(['keel', 'keel']);
    expect((await keel.list()).map((key) => key.name)).toEqual(['one', 'two']);
  });
});

describe('KeyRing', () => {
  it('is open until a key exists, and stays closed after the last key is revoked', async () => {
    const store = new SqliteKeyStore({ path: ':memory:' });
    const ring = new KeyRing({ store });
    await ring.ready();
    expect(ring.open).toBe(true);
    const { record, secret } = await store.create({ name: 'ci', team: 'platform' });
    await ring.reload();
    expect(ring.open).toBe(false);
    expect(ring.authenticate(`Bearer ${secret}`)).toEqual({
      kind: 'allowed',
      key: expect.objectContaining({ id: record.id, name: 'ci', team: 'platform' }) as unknown,
    });
    await store.revoke(record.id);
    await ring.reload();
    expect(ring.open).toBe(false);
    expect(ring.authenticate(`Bearer ${secret}`).kind).toBe('refused');
    ring.close();
    await store.close();
  });

  it('reloads by itself when the store reports a change', async () => {
    const store = new SqliteKeyStore({ path: ':memory:' });
    const ring = new KeyRing({ store });
    await ring.ready();
    const { secret } = await store.create({ name: 'ci' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(ring.authenticate(`Bearer ${secret}`).kind).toBe('allowed');
    ring.close();
    await store.close();
  });

  it('refuses everything when keys are required and none exists', async () => {
    const ring = new KeyRing({ required: true });
    await ring.ready();
    expect(ring.open).toBe(false);
    expect(ring.authenticate(undefined).kind).toBe('refused');
  });

  it('indexes static keys from the config', async () => {
    const secret = 'keel_sk_static-secret-from-an-env-var-000000';
    const ring = new KeyRing({
      staticKeys: [
        {
          id: 'key_static_ci',
          name: 'ci',
          prefix: secret.slice(0, 12),
          createdAt: '2026-01-01T00:00:00.000Z',
          source: 'config',
          secretHash: hashKeySecret(secret),
        },
      ],
    });
    await ring.ready();
    expect(ring.open).toBe(false);
    const decision = ring.authenticate(`Bearer ${secret}`);
    expect(decision.kind === 'allowed' ? decision.key.id : undefined).toBe('key_static_ci');
  });
});
