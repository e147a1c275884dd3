// Builds gateway keys from the config: the store, the config's static keys, the ring, the policy and /api/keys.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import { createKeyRoutes } from '../http/key-routes.js';
import { createAllowedModelsPolicy } from '../keys/allowed-models-policy.js';
import { KeyRing } from '../keys/key-ring.js';
import type { KeyStore } from '../keys/key-store.js';
import { SqliteKeyStore } from '../keys/sqlite-key-store.js';
import { toStaticKeys } from '../keys/static-keys.js';
import type { RequestPolicy } from '../policy/request-policy.js';
import type { Clock } from '../spec/index.js';

export interface Keys {
  store: KeyStore;
  ring: KeyRing;
  /** Refuses models a key may not call; runs before every other policy. */
  policy: RequestPolicy;
  /** /api/keys, for the admin-guarded control API. */
  routes: FastifyPluginAsync;
  /** Loads the keys and says in the log whether Keel is open. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createKeys(options: {
  config: Readonly<KeelConfig>;
  clock: Clock;
  logger: Logger;
  /** Default: a SqliteKeyStore on keys.path. */
  store?: KeyStore | undefined;
}): Keys {
  const { config, clock, logger } = options;
  const store = options.store ?? new SqliteKeyStore({ path: config.keys.path, now: () => clock.now() });
  const staticKeys = toStaticKeys({ keys: config.keys.static, loadedAtMs: clock.now() });
  const ring = new KeyRing({
    store,
    staticKeys,
    required: config.keys.required,
    onReloadError: (error) =>
      logger.error({ err: error }, 'gateway keys not reloaded; the previous keys stay in force'),
  });
  let started = false;
  return {
    store,
    ring,
    policy: createAllowedModelsPolicy(),
    routes: createKeyRoutes({ store, staticKeys, ring }),
    start: async () => {
      await ring.ready();
      if (started) return;
      started = true;
      if (ring.open) logger.warn('no gateway keys: Keel is open to any client');
      else
        logger.info(
          { activeKeys: ring.activeCount, staticKeys: staticKeys.length },
          'gateway keys required on /v1 and prompt routes',
        );
    },
    close: async () => {
      ring.close();
      await store.close();
    },
  };
}
