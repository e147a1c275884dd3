// The first request policy: a gateway key may call only its allowedModels (403 otherwise, recorded like any failure).
import type { RequestPolicy } from '../policy/request-policy.js';
import { isModelAllowed, modelNotAllowed } from './decide-access.js';

/**
 * Refuses a call whose key does not list the requested model. Runs as a policy (not at the edge)
 * so the refusal goes through request:end like every other failure: logged, stored, counted.
 */
export function createAllowedModelsPolicy(): RequestPolicy {
  return {
    name: 'allowed-models',
    admit(call) {
      const key = call.key;
      if (key !== undefined && !isModelAllowed(key.allowedModels, call.model)) {
        return Promise.reject(modelNotAllowed(key, call.model));
      }
      return Promise.resolve(undefined);
    },
  };
}
