// What the metric exporters (Prometheus, StatsD) share from the config: prices, providers and the allowed model names.
import type { KeelConfig } from '../config/index.js';
import { targetKey } from '../routing/plan-route.js';
import type { RecordBuilderOptions } from '../telemetry/build-request-record.js';
import type { MetricsSubscribeOptions } from '../telemetry/metrics/metric-labels.js';

/**
 * The subscribe options every metric exporter is given. Only configured names become label
 * values: a client's direct "provider/anything" counts as "other".
 */
export function createMetricOptions(options: {
  config: Readonly<KeelConfig>;
  recordOptions: RecordBuilderOptions;
}): MetricsSubscribeOptions {
  const { config, recordOptions } = options;
  const knownModels = new Set<string>();
  for (const model of config.models) {
    knownModels.add(model.name);
    for (const target of model.targets)
      knownModels.add(target.model).add(targetKey(target.provider, target.model));
  }
  return {
    costUsd: (event) => recordOptions.costUsd(event),
    providers: config.providers,
    knownModels,
  };
}
