// Prometheus families about the telemetry path itself: records written, spooled, replayed and lost, per sink.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StoreWriterCounters } from '../../store/store-writer.js';
import type { JsonlSinkCounters } from '../sinks/jsonl-sink.js';

/** Where the counters are read from at each scrape; a sink that is off reads as undefined. */
export interface PipelineCounterSources {
  store: () => StoreWriterCounters | undefined;
  jsonl: () => JsonlSinkCounters | undefined;
  /** Telemetry subscribers that threw (the request went on; the subscriber's work was lost). */
  subscriberErrors: () => number;
}

/**
 * Registers keel_telemetry_* families whose values are read from the sinks when Prometheus
 * scrapes, so nothing is counted twice and the request path does no extra work.
 * A non-zero `keel_telemetry_records_total{result="dropped"}` means records were lost.
 *
 * @example
 * registerPipelineMetrics(metrics.registry, { store: () => writer?.counters, jsonl: () => undefined, subscriberErrors: () => bus.subscriberErrors });
 */
export function registerPipelineMetrics(registry: Registry, sources: PipelineCounterSources): void {
  const registers = [registry];
  new Counter<'sink' | 'result'>({
    name: 'keel_telemetry_records_total',
    help: 'Request records handled by each telemetry sink, by result: written, spooled (store failing, kept on disk), replayed (from the spool), dropped (lost).',
    labelNames: ['sink', 'result'],
    registers,
    collect() {
      this.reset();
      const store = sources.store();
      if (store !== undefined) {
        this.inc({ sink: 'store', result: 'written' }, store.written);
        this.inc({ sink: 'store', result: 'spooled' }, store.spooled);
        this.inc({ sink: 'store', result: 'replayed' }, store.replayed);
        this.inc({ sink: 'store', result: 'dropped' }, store.dropped);
      }
      const jsonl = sources.jsonl();
      if (jsonl !== undefined) {
        this.inc({ sink: 'jsonl', result: 'written' }, jsonl.written);
        this.inc({ sink: 'jsonl', result: 'dropped' }, jsonl.dropped);
      }
    },
  });
  new Counter<'sink'>({
    name: 'keel_telemetry_sink_failures_total',
    help: 'Failed telemetry writes (store inserts, spool appends, JSONL appends); the records were spooled or retried unless counted as dropped.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      const store = sources.store();
      if (store !== undefined) this.inc({ sink: 'store' }, store.failures);
      const jsonl = sources.jsonl();
      if (jsonl !== undefined) this.inc({ sink: 'jsonl' }, jsonl.failures);
    },
  });
  new Gauge<'sink'>({
    name: 'keel_telemetry_buffered_records',
    help: 'Request records held in memory, waiting to be written, per sink.',
    labelNames: ['sink'],
    registers,
    collect() {
      this.reset();
      const store = sources.store();
      if (store !== undefined) this.set({ sink: 'store' }, store.buffered);
      const jsonl = sources.jsonl();
      if (jsonl !== undefined) this.set({ sink: 'jsonl' }, jsonl.buffered);
    },
  });
  new Counter({
    name: 'keel_telemetry_subscriber_errors_total',
    help: 'Telemetry subscribers (metrics, logs, records) that threw on an event; the request itself was not affected.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.subscriberErrors());
    },
  });
}
