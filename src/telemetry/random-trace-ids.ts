// Fresh W3C trace ids for requests that arrive without one: random bytes drawn from a pooled buffer.
import { randomFillSync } from 'node:crypto';

const traceIdBytes = 16;
/** 256 trace ids per refill: one getrandom call instead of one per request. */
const poolBytes = traceIdBytes * 256;

/**
 * Hands out random 32-hex trace ids, never all zeros (the W3C invalid id).
 * @example const traceIds = new RandomTraceIds(); const traceId = traceIds.next()
 */
export class RandomTraceIds {
  readonly #pool = Buffer.alloc(poolBytes);
  #offset = poolBytes;

  next(): string {
    for (;;) {
      if (this.#offset >= poolBytes) {
        randomFillSync(this.#pool);
        this.#offset = 0;
      }
      const start = this.#offset;
      this.#offset += traceIdBytes;
      const traceId = this.#pool.toString('hex', start, start + traceIdBytes);
      if (traceId !== invalidTraceId) return traceId;
    }
  }
}

/** The all-zero trace id W3C Trace Context declares invalid. */
export const invalidTraceId = '0'.repeat(32);
