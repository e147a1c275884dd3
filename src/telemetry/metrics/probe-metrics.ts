// Prometheus families of the synthetic probes: calls by outcome, latency and TTFT, and each model's last result.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProbeMeasurement } from '../../probes/probe-store.js';
import { operationDurationBuckets, timeToFirstTokenBuckets } from './gen-ai-semconv.js';

type Labels = 'environment' | 'model';

/**
 * Registers keel_probe_* families and returns the function that counts one stored measurement.
 * `keel_probe_up{environment,model}` is 1 when the model's last probe succeeded, so
 * `keel_probe_up == 0` lists what is failing now.
 */
export function registerProbeMetrics(registry: Registry): (measurement: ProbeMeasurement) => void {
  const registers = [registry];
  const calls = new Counter<Labels | 'outcome' | 'code'>({
    name: 'keel_probes_total',
    help: 'Synthetic probe calls, by environment, model, outcome (success or failure) and failure code.',
    labelNames: ['environment', 'model', 'outcome', 'code'],
    registers,
  });
  const duration = new Histogram<Labels>({
    name: 'keel_probe_duration_seconds',
    help: 'Whole-answer latency of the successful probe calls, seen from Keel as a client.',
    labelNames: ['environment', 'model'],
    buckets: [...operationDurationBuckets],
    registers,
  });
  const ttft = new Histogram<Labels>({
    name: 'keel_probe_ttft_seconds',
    help: 'Time to the first streamed token of the successful probe calls.',
    labelNames: ['environment', 'model'],
    buckets: [...timeToFirstTokenBuckets],
    registers,
  });
  const up = new Gauge<Labels>({
    name: 'keel_probe_up',
    help: 'Whether the last probe of each environment and model succeeded (1) or failed (0).',
    labelNames: ['environment', 'model'],
    registers,
  });
  const lastRun = new Gauge<Labels>({
    name: 'keel_probe_last_run_timestamp_seconds',
    help: 'When each environment and model was last probed (Unix seconds).',
    labelNames: ['environment', 'model'],
    registers,
  });
  return (measurement) => {
    const labels = { environment: measurement.environment, model: measurement.model };
    calls.inc({
      ...labels,
      outcome: measurement.success ? 'success' : 'failure',
      code: measurement.errorCode ?? '',
    });
    up.set(labels, measurement.success ? 1 : 0);
    lastRun.set(labels, measurement.atMs / 1000);
    if (!measurement.success) return;
    if (measurement.latencyMs !== null) duration.observe(labels, measurement.latencyMs / 1000);
    if (measurement.ttftMs !== null) ttft.observe(labels, measurement.ttftMs / 1000);
  };
}
