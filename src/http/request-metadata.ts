// Reads seed 001's request metadata (environment, application, versions, experiment) from headers.
import type { IncomingHttpHeaders } from 'node:http';
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
