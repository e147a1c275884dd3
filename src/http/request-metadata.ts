// Reads seed 001's request metadata (environment, application, versions, experiment) from headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { CallerKey } from '../policy/request-policy.js';
import type { RequestMetadata } from '../telemetry/events.js';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text.slice(0, 200);
}

/** The metadata headers Keel accepts; documented in docs/api.md. */
export const metadataHeaders = {
  environment: 'x-keel-environment',
  application: 'x-keel-application',
  featureVersion: 'x-keel-feature-version',
  promptVersion: 'x-keel-prompt-version',
  experimentId: 'x-keel-experiment-id',
  variantId: 'x-keel-variant-id',
  user: 'x-keel-user',
} as const;

export function readRequestMetadata(headers: IncomingHttpHeaders, bodyUser?: string): RequestMetadata {
  return {
    environment: header(headers, metadataHeaders.environment),
    application: header(headers, metadataHeaders.application),
    featureVersion: header(headers, metadataHeaders.featureVersion),
    promptVersion: header(headers, metadataHeaders.promptVersion),
    experimentId: header(headers, metadataHeaders.experimentId),
    variantId: header(headers, metadataHeaders.variantId),
    user: header(headers, metadataHeaders.user) ?? bodyUser,
  };
}

/**
 * Adds the gateway key to a request's metadata: its id and team, and its application and
 * environment, which win over the client's x-keel-* headers (the key is who is calling; a header
 * only fills in what the key leaves unset, so a client cannot book its calls to someone else).
 */
export function withKeyMetadata(metadata: RequestMetadata, key: CallerKey | undefined): RequestMetadata {
  if (key === undefined) return metadata;
  return {
    ...metadata,
    application: key.application ?? metadata.application,
    environment: key.environment ?? metadata.environment,
    keyId: key.id,
    team: key.team,
  };
}
