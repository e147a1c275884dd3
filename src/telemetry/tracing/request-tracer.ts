// Builds OpenTelemetry spans from request:end events: a SERVER span per request, a CLIENT span per attempt.
import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type HrTime,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { EventBus } from '../event-bus.js';
import type { AttemptRecord, RequestEndEvent } from '../events.js';
import { chatOperationName } from '../metrics/gen-ai-semconv.js';
import {
  attemptSpanAttributes,
  providerEndpoint,
  requestSpanAttributes,
  type ProviderEndpoint,
} from './gen-ai-span-attributes.js';
import type { PresetTraceIdGenerator } from './preset-trace-id-generator.js';

/** What a RequestTracer needs: its tracer and id generator, and how to price and place a request. */
export interface RequestTracerOptions {
  /** A tracer of a provider whose IdGenerator is `traceIds`; never the global one. */
  tracer: Tracer;
  traceIds: PresetTraceIdGenerator;
  /** Cost of a request's usage in USD (as its record has it), for keel.cost_usd. */
  costUsd?: ((event: RequestEndEvent) => number | undefined) | undefined;
  /** The configured providers: their type names gen_ai.provider.name, their base URL server.address. */
  providers?: readonly { id: string; type: string; baseUrl?: string | undefined }[] | undefined;
}

/** Epoch milliseconds (fractions kept) as the [seconds, nanoseconds] the SDK stores. */
export function toHrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  const nanoseconds = Math.round((epochMs - seconds * 1000) * 1e6);
  return nanoseconds >= 1e9 ? [seconds + 1, nanoseconds - 1e9] : [seconds, nanoseconds];
}

/**
 * Turns each finished request into spans after the fact, with the times the events carry: nothing
 * runs inside the gateway or executor. The request span is a child of the caller's span when the
 * request came with a traceparent, else a root span with the trace id chosen at the edge. Each
 * attempt that called a provider is a CLIENT child span; a target skipped because its breaker
 * was open made no call, so it is a `keel.attempt.skipped` event on the request span instead.
 * @example new RequestTracer({ tracer, traceIds, costUsd }).subscribe(events)
 */
export class RequestTracer {
  readonly #tracer: Tracer;
  readonly #traceIds: PresetTraceIdGenerator;
  readonly #costUsd: (event: RequestEndEvent) => number | undefined;
  readonly #providers = new Map<string, ProviderEndpoint>();

  constructor(options: RequestTracerOptions) {
    this.#tracer = options.tracer;
    this.#traceIds = options.traceIds;
    this.#costUsd = options.costUsd ?? (() => undefined);
    for (const provider of options.providers ?? [])
      this.#providers.set(provider.id, providerEndpoint(provider));
  }

  /** Records every request:end from now on; returns the unsubscribe function. */
  subscribe(events: EventBus): () => void {
    return events.on('request:end', (event) => this.record(event));
  }

  /** The spans of one finished request, handed to the span processor (which batches the export). */
  record(event: RequestEndEvent): void {
    const requestSpan = this.#startRequestSpan(event);
    if (requestSpan.isRecording()) {
      const parent = trace.setSpan(ROOT_CONTEXT, requestSpan);
      const last = event.attempts.at(-1);
      for (const attempt of event.attempts) {
        if (attempt.outcome === 'skipped') {
          requestSpan.addEvent(
            'keel.attempt.skipped',
            {
              'keel.target': attempt.target,
              'keel.attempt_index': attempt.index,
              [ATTR_ERROR_TYPE]: attempt.errorCode ?? '_OTHER',
            },
            toHrTime(attempt.startedAtMs),
          );
          continue;
        }
        this.#recordAttempt({
          attempt,
          parent,
          served: attempt === last && attempt.outcome === 'ok' ? event : undefined,
        });
      }
      if (event.outcome === 'error') {
        requestSpan.setStatus({ code: SpanStatusCode.ERROR, message: event.errorMessage ?? event.errorCode });
      }
    }
    requestSpan.end(toHrTime(event.receivedAtMs + event.totalMs));
  }

  #startRequestSpan(event: RequestEndEvent): Span {
    const providerType =
      event.providerType ??
      (event.providerId === undefined ? undefined : this.#providers.get(event.providerId)?.type);
    const options = {
      kind: SpanKind.SERVER,
      startTime: toHrTime(event.receivedAtMs),
      attributes: requestSpanAttributes(event, {
        costUsd: event.usage === undefined ? undefined : this.#costUsd(event),
        providerType,
      }),
    };
    const name = `${chatOperationName} ${event.requestedModel}`;
    const { traceId, parentSpanId, sampled, traceState } = event.trace;
    if (parentSpanId === undefined) {
      // Synchronous from preset to startSpan: the root span takes the edge's trace id.
      this.#traceIds.preset(traceId);
      try {
        return this.#tracer.startSpan(name, options, ROOT_CONTEXT);
      } finally {
        this.#traceIds.clear();
      }
    }
    const remoteParent: Context = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: parentSpanId,
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
      traceState: traceState === undefined ? undefined : createTraceState(traceState),
    });
    return this.#tracer.startSpan(name, options, remoteParent);
  }

  #recordAttempt(options: {
    attempt: AttemptRecord;
    parent: Context;
    served: RequestEndEvent | undefined;
  }): void {
    const { attempt } = options;
    const span = this.#tracer.startSpan(
      `${chatOperationName} ${attempt.modelId}`,
      {
        kind: SpanKind.CLIENT,
        startTime: toHrTime(attempt.startedAtMs),
        attributes: attemptSpanAttributes({
          attempt,
          provider: this.#providers.get(attempt.providerId),
          served: options.served,
        }),
      },
      options.parent,
    );
    if (attempt.outcome === 'error') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.errorMessage ?? attempt.errorCode });
    }
    span.end(toHrTime(attempt.startedAtMs + attempt.durationMs));
  }
}
