// An OpenTelemetry IdGenerator that gives the next root span a trace id chosen beforehand (at the edge).
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';

/**
 * Keel picks every request's trace id at the edge, before tracing sees it; a span started without
 * a parent would otherwise get a random one. The SDK asks the IdGenerator for a trace id only when
 * a span has no valid parent, synchronously inside `tracer.startSpan`, so `preset` followed at
 * once by `startSpan` gives that root span the preset id. Span ids stay random. A preset that no
 * startSpan consumed (the span had a parent) is cleared by the next `preset` or by `clear`.
 * @example generator.preset(event.trace.traceId); const span = tracer.startSpan(name, options, ROOT_CONTEXT)
 */
export class PresetTraceIdGenerator implements IdGenerator {
  readonly #random = new RandomIdGenerator();
  #next: string | undefined;

  /** The trace id the next root span takes. */
  preset(traceId: string): void {
    this.#next = traceId;
  }

  clear(): void {
    this.#next = undefined;
  }

  generateTraceId(): string {
    const traceId = this.#next;
    this.#next = undefined;
    return traceId ?? this.#random.generateTraceId();
  }

  generateSpanId(): string {
    return this.#random.generateSpanId();
  }
}
