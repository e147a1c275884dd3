// Wires OpenTelemetry tracing from config: a private tracer provider, a batched OTLP/HTTP export, the request tracer.
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { KeelConfig } from '../config/index.js';
import type { Clock } from '../spec/index.js';
import type { EventBus } from '../telemetry/event-bus.js';
import type { RequestEndEvent } from '../telemetry/events.js';
import { LoggedSpanExporter } from '../telemetry/tracing/logged-span-exporter.js';
import { PresetTraceIdGenerator } from '../telemetry/tracing/preset-trace-id-generator.js';
import { RequestTracer } from '../telemetry/tracing/request-tracer.js';

/** Spans per OTLP request; the BatchSpanProcessor default. */
const maxExportBatchSize = 512;
/** Longest a span waits before its batch is sent. */
const scheduledDelayMs = 2_000; // 2 s

export interface Tracing {
  /** Sends every queued span now. Never rejects. */
  flush(): Promise<void>;
  /** Flushes and stops the exporter (at shutdown, after the last request:end). Never rejects. */
  shutdown(): Promise<void>;
}

/**
 * Subscribes a RequestTracer to `request:end` when `telemetry.tracing.enabled`, else returns
 * undefined. The tracer provider is Keel's own, never registered as the global one, so an
 * application embedding Keel keeps its own OpenTelemetry setup. Spans wait in a bounded queue
 * (maxQueueSize; more are dropped) and leave in batches: a slow or down collector never slows or
 * fails a request. Failed exports are logged without the configured headers.
 */
export function createTracing(options: {
  config: Readonly<KeelConfig>;
  events: EventBus;
  logger: Logger;
  clock: Clock;
  costUsd: (event: RequestEndEvent) => number | undefined;
  /** Replaces the OTLP/HTTP exporter (tests). */
  exporter?: SpanExporter | undefined;
}): Tracing | undefined {
  const settings = options.config.telemetry.tracing;
  if (!settings.enabled) return undefined;
  const { logger } = options;
  const exporter = new LoggedSpanExporter({
    exporter:
      options.exporter ??
      new OTLPTraceExporter({
        url: settings.endpoint,
        headers: { ...settings.headers },
        timeoutMillis: settings.exportTimeoutMs,
      }),
    clock: options.clock,
    onFailure: ({ error, droppedSpans }) =>
      logger.warn(
        { endpoint: settings.endpoint, droppedSpans, error: error?.message },
        'trace export failed; spans dropped',
      ),
  });
  const traceIds = new PresetTraceIdGenerator();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    idGenerator: traceIds,
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: settings.maxQueueSize,
        maxExportBatchSize: Math.min(maxExportBatchSize, settings.maxQueueSize),
        scheduledDelayMillis: scheduledDelayMs,
        exportTimeoutMillis: settings.exportTimeoutMs,
      }),
    ],
  });
  const tracer = new RequestTracer({
    tracer: provider.getTracer('keel'),
    traceIds,
    costUsd: options.costUsd,
    providers: options.config.providers,
  });
  const unsubscribe = tracer.subscribe(options.events);
  // An export that hangs past its own timeout must not hold shutdown for longer than this.
  const boundMs = settings.exportTimeoutMs + 1_000;
  const bounded = async (what: string, work: () => Promise<void>): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        work(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, boundMs);
          timer.unref();
        }),
      ]);
    } catch (error) {
      logger.warn({ error: error instanceof Error ? error.message : String(error) }, `trace ${what} failed`);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    flush: () => bounded('flush', () => provider.forceFlush()),
    shutdown: () => {
      unsubscribe();
      return bounded('shutdown', () => provider.shutdown());
    },
  };
}
