// Bounded label values shared by the metric exporters (Prometheus, StatsD): config names only, never client input.
import type { BreakerStatus } from '../../reliability/circuit-breaker.js';
import type { AttemptRecord, RequestEndEvent } from '../events.js';

/** What every metric exporter's `subscribe` is given by the composition root. */
export interface MetricsSubscribeOptions {
  /** Cost of a request's usage in USD, or undefined when the model has no known price. */
  costUsd?: ((event: RequestEndEvent) => number | undefined) | undefined;
  /**
   * The configured providers (`config.providers`): names the adapter family (`gen_ai_provider_name`)
   * of requests that failed before any provider answered, whose events carry only the provider id.
   */
  providers?: readonly { id: string; type: string }[] | undefined;
  /**
   * Model names that may appear as label values (aliases, configured provider/model targets and
   * their model ids). Any other name a client sends (a direct "provider/anything") is counted as
   * "other", so clients cannot create series at will. Without it every name is used as is.
   */
  knownModels?: ReadonlySet<string> | undefined;
}

/** Label value for the provider of a request no provider was chosen for (an unknown model). */
export const noProvider = 'none';
/**
 * Label value for a requested model the router did not know. The requested name is client input:
 * used as a label it would let any client create series at will.
 */
export const unknownModel = 'unknown';
/** Label value for a model name outside the configured ones (see MetricsSubscribeOptions.knownModels). */
export const otherModel = 'other';

/** Breaker states as gauge values. */
export const breakerStateValues: Readonly<Record<BreakerStatus, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/** True when the request went to more than one target: it failed over (whether or not that saved it). */
export function failedOver(attempts: readonly Pick<AttemptRecord, 'target'>[]): boolean {
  const first = attempts[0];
  if (first === undefined) return false;
  for (const attempt of attempts) if (attempt.target !== first.target) return true;
  return false;
}

/**
 * failedOver for a stored record, from its failoverPath ("provider/model:outcome" entries, see
 * RequestRecord): the target is everything before the last colon, since model ids may hold colons.
 */
export function failoverPathFailedOver(failoverPath: readonly string[]): boolean {
  const first = failoverPath[0];
  // Most requests have one attempt: answered without the string work below.
  if (first === undefined || failoverPath.length === 1) return false;
  const firstTarget = pathTarget(first);
  for (const entry of failoverPath) if (pathTarget(entry) !== firstTarget) return true;
  return false;
}

/** The target of a failoverPath entry ("provider/model:outcome"): everything before the last colon. */
export function pathTarget(entry: string): string {
  const colon = entry.lastIndexOf(':');
  return colon < 0 ? entry : entry.slice(0, colon);
}

/** Turns event fields into label values with a bounded set of values. */
export interface MetricLabels {
  /** A model name (or "provider/model" target) as is when configured, otherwise "other". */
  model(name: string): string;
  /** The serving (or last tried) provider, or "none". */
  provider(event: RequestEndEvent): string;
  /** The requested model: "unknown" when the router refused it, "other" when not configured. */
  requestedModel(event: RequestEndEvent): string;
  /** The provider's adapter type ("openai", "mock"...), from the event or the config. */
  providerType(event: RequestEndEvent): string | undefined;
}

/**
 * Builds the label functions from the configured names.
 * @example
 * const labels = createMetricLabels({ knownModels: new Set(['smart']) });
 * labels.model('primary/anything'); // "other"
 */
export function createMetricLabels(options: MetricsSubscribeOptions = {}): MetricLabels {
  const { knownModels } = options;
  const providerTypes = new Map<string, string>();
  for (const provider of options.providers ?? []) providerTypes.set(provider.id, provider.type);
  const model = (name: string): string =>
    knownModels === undefined || knownModels.has(name) ? name : otherModel;
  return {
    model,
    provider: (event) => event.providerId ?? noProvider,
    // No attempt means the router refused the model name (see unknownModel), unless the cache answered.
    requestedModel: (event) =>
      event.attempts.length === 0 && event.cacheHit !== true ? unknownModel : model(event.requestedModel),
    providerType: (event) =>
      event.providerType ??
      (event.providerId === undefined ? undefined : providerTypes.get(event.providerId)),
  };
}
