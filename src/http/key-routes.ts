// /api/keys: create (the secret is in that answer only), list, read and revoke gateway keys.
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { newKeySchema } from '../config/keys-schema.js';
import type { KeyRing } from '../keys/key-ring.js';
import { toKeyRecord, type KeyRecord, type StoredKey } from '../keys/key-record.js';
import type { KeyStore } from '../keys/key-store.js';
import { ErrorCodes, KeelError, invalidRequest } from '../spec/index.js';

export interface KeyRoutesOptions {
  store: KeyStore;
  /** Keys from keys.static: listed, never revocable here. */
  staticKeys: readonly StoredKey[];
  /** Reloaded after every change, so a revoked key is refused as soon as DELETE answers. */
  ring: KeyRing;
}

function firstProblem(error: z.ZodError): KeelError {
  const issue = error.issues[0];
  const param = issue === undefined ? undefined : issue.path.map(String).join('.');
  const where = param === undefined || param === '' ? 'body' : param;
  return invalidRequest(`${where}: ${issue?.message ?? 'invalid'} (see docs/api.md#gateway-keys).`, param);
}

function noSuchKey(id: string): KeelError {
  return new KeelError({
    code: ErrorCodes.invalidRequest,
    status: 404,
    param: 'id',
    message: `No gateway key "${id}"; GET /api/keys lists them.`,
  });
}

/** The /api/keys routes; mount behind the admin guard. Secrets and hashes never leave except the secret on creation. */
export function createKeyRoutes(options: KeyRoutesOptions): FastifyPluginAsync {
  const { store, ring } = options;
  const staticRecords = options.staticKeys.map(toKeyRecord);
  const find = async (id: string): Promise<KeyRecord | undefined> =>
    staticRecords.find((key) => key.id === id) ?? (await store.get(id));

  // eslint-disable-next-line @typescript-eslint/require-await -- fastify plugins are async functions
  return async (api) => {
    api.post('/api/keys', async (request, reply) => {
      const parsed = newKeySchema.safeParse(request.body ?? {});
      if (!parsed.success) throw firstProblem(parsed.error);
      const created = await store.create(parsed.data);
      await ring.reload();
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...created.record, secret: created.secret });
    });

    api.get('/api/keys', async () => ({ keys: [...staticRecords, ...(await store.list())] }));

    api.get('/api/keys/:id', async (request) => {
      const { id } = request.params as { id: string };
      const key = await find(id);
      if (key === undefined) throw noSuchKey(id);
      return key;
    });

    api.delete('/api/keys/:id', async (request) => {
      const { id } = request.params as { id: string };
      if (staticRecords.some((key) => key.id === id)) {
        throw new KeelError({
          code: ErrorCodes.invalidRequest,
          status: 409,
          param: 'id',
          message: `"${id}" is declared in the config (keys.static); remove it there and restart Keel.`,
        });
      }
      const revoked = await store.revoke(id);
      if (revoked === undefined) throw noSuchKey(id);
      await ring.reload();
      return revoked;
    });
  };
}
