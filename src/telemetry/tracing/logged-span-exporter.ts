// Wraps a span exporter so failed exports are logged (at most once a minute), never thrown.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Clock } from '../../spec/index.js';

/** At most one warning per this many milliseconds: a down collector must not flood the log. */
const warnEveryMs = 60_000; // 1 min

/**
 * Delegates to `exporter` and reports each failed batch through `onFailure` (rate-limited), with
 * the number of spans lost since the last report. The error passed on is the exporter's own
 * (status, message); the exporter's headers are never part of it.
 */
export class LoggedSpanExporter implements SpanExporter {
  readonly #exporter: SpanExporter;
  readonly #onFailure: (failure: { error: Error | undefined; droppedSpans: number }) => void;
  readonly #clock: Clock;
  #lastWarnedAtMs = Number.NEGATIVE_INFINITY;
  #droppedSinceWarning = 0;

  constructor(options: {
    exporter: SpanExporter;
    clock: Clock;
    onFailure: (failure: { error: Error | undefined; droppedSpans: number }) => void;
  }) {
    this.#exporter = options.exporter;
    this.#clock = options.clock;
    this.#onFailure = options.onFailure;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const report = (result: ExportResult) => {
      if (result.code !== ExportResultCode.SUCCESS) this.#failed(spans.length, result.error);
      resultCallback(result);
    };
    try {
      this.#exporter.export(spans, report);
    } catch (error) {
      report({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  shutdown(): Promise<void> {
    return this.#exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#exporter.forceFlush?.() ?? Promise.resolve();
  }

  #failed(spans: number, error: Error | undefined): void {
    this.#droppedSinceWarning += spans;
    const now = this.#clock.now();
    if (now - this.#lastWarnedAtMs < warnEveryMs) return;
    this.#lastWarnedAtMs = now;
    const droppedSpans = this.#droppedSinceWarning;
    this.#droppedSinceWarning = 0;
    try {
      this.#onFailure({ error, droppedSpans });
    } catch {
      // Reporting must not break the export loop.
    }
  }
}
