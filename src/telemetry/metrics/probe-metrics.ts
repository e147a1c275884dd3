// Prometheus families of the synthetic probes: calls by outcome, failures by code, latency and TTFT, each model's last result.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProbeMeasurement } from '../../probes/probe-store.js';
import { operationDurationBuckets, timeToFirstTokenBuckets } from './gen-ai-semconv.js';

type Labels = 'environment' | 'model';

/** Distinct failure codes kept per environment and model; further ones count as `other`. */
const MAX_CODES_PER_MODEL = 10;
const CODE_FORM = /^[A-Za-z0-9_.-]{1,64}$/;

/** What the probe loop tells the metrics. */
export interface ProbeMetrics {
  /** Counts one stored measurement. */
  observe(measurement: ProbeMeasurement): void;
  /** After a cycle: the series of every environment and model not probed in it are removed. */
  retain(probed: readonly { environment: string; model: string }[]): void;
}

/**
 * Registers keel_probe_* families. `keel_probes_total{outcome}` starts at 0 for both outcomes the
 * first time a model is probed, so `rate()` sees its first failure; `keel_probe_up{environment,model}`
 * is 1 when the model's last probe succeeded. A model that is no longer probed (gone from its usage
 * endpoint or the config) loses its series at the end of the next cycle, so an alert on
 * `keel_probe_up == 0` does not outlive it. Failure codes are the endpoint's (any server's), so at
 * most ten per model are kept as labels.
 */
export function registerProbeMetrics(registry: Registry): ProbeMetrics {
  const registers = [registry];
  const calls = new Counter<Labels | 'outcome'>({
    name: 'keel_probes_total',
    help: 'Synthetic probe calls, by environment, model and outcome (success or failure).',
    labelNames: ['environment', 'model', 'outcome'],
    registers,
  });
  const failures = new Counter<Labels | 'code'>({
    name: 'keel_probe_failures_total',
    help: 'Failed synthetic probe calls by code: KEEL_PROBE_*, or the endpoint’s own (at most ten per model, then other).',
    labelNames: ['environment', 'model', 'code'],
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
  /** environment\nmodel → its labels and the failure codes it has series for. */
  const seen = new Map<string, { labels: Record<Labels, string>; codes: Set<string> }>();
  const keyOf = (environment: string, model: string) => `${environment}\n${model}`;
  return {
    observe(measurement) {
      const key = keyOf(measurement.environment, measurement.model);
      let entry = seen.get(key);
      if (entry === undefined) {
        entry = {
          labels: { environment: measurement.environment, model: measurement.model },
          codes: new Set(),
        };
        seen.set(key, entry);
        calls.inc({ ...entry.labels, outcome: 'success' }, 0);
        calls.inc({ ...entry.labels, outcome: 'failure' }, 0);
      }
      const { labels } = entry;
      calls.inc({ ...labels, outcome: measurement.success ? 'success' : 'failure' });
      up.set(labels, measurement.success ? 1 : 0);
      lastRun.set(labels, measurement.atMs / 1000);
      if (!measurement.success) {
        const reported = measurement.errorCode ?? 'unknown';
        const code =
          CODE_FORM.test(reported) && (entry.codes.has(reported) || entry.codes.size < MAX_CODES_PER_MODEL)
            ? reported
            : 'other';
        entry.codes.add(code);
        failures.inc({ ...labels, code });
        return;
      }
      if (measurement.latencyMs !== null) duration.observe(labels, measurement.latencyMs / 1000);
      if (measurement.ttftMs !== null) ttft.observe(labels, measurement.ttftMs / 1000);
    },
    retain(probed) {
      const keep = new Set(probed.map((entry) => keyOf(entry.environment, entry.model)));
      for (const [key, { labels, codes }] of seen) {
        if (keep.has(key)) continue;
        seen.delete(key);
        calls.remove({ ...labels, outcome: 'success' });
        calls.remove({ ...labels, outcome: 'failure' });
        for (const code of codes) failures.remove({ ...labels, code });
        duration.remove(labels);
        ttft.remove(labels);
        up.remove(labels);
        lastRun.remove(labels);
      }
    },
  };
}
