// A synchronous, typed publish/subscribe bus. Subscribers must be quick and never throw into the caller.
import type { KeelEvents } from './events.js';

type Handler<T> = (payload: T) => void;

/**
 * Delivers each event to its subscribers in order. A subscriber that throws is counted and
 * reported through `onSubscriberError`, never to the code that emitted.
 */
export class EventBus {
  readonly #handlers: { [K in keyof KeelEvents]?: Handler<KeelEvents[K]>[] } = {};
  readonly #onSubscriberError: (error: unknown, type: keyof KeelEvents) => void;
  subscriberErrors = 0;

  constructor(options: { onSubscriberError?: (error: unknown, type: keyof KeelEvents) => void } = {}) {
    this.#onSubscriberError = options.onSubscriberError ?? (() => undefined);
  }

  on<K extends keyof KeelEvents>(type: K, handler: Handler<KeelEvents[K]>): () => void {
    const list = (this.#handlers[type] ??= []) as Handler<KeelEvents[K]>[];
    list.push(handler);
    return () => {
      const index = list.indexOf(handler);
      if (index >= 0) list.splice(index, 1);
    };
  }

  /** True when someone listens: lets emitters skip building payloads nobody reads. */
  has(type: keyof KeelEvents): boolean {
    return (this.#handlers[type]?.length ?? 0) > 0;
  }

  emit<K extends keyof KeelEvents>(type: K, payload: KeelEvents[K]): void {
    const list = this.#handlers[type];
    if (list === undefined) return;
    for (const handler of list) {
      try {
        handler(payload);
      } catch (error) {
        this.subscriberErrors++;
        try {
          this.#onSubscriberError(error, type);
        } catch {
          // Reporting a broken subscriber must not break the request either.
        }
      }
    }
  }
}
