// The failures the simulator (and chaos injection) produce: the same KeelErrors a real provider's would map to.
import type { KeelError } from '../../spec/index.js';
import { mapHttpError, mapNetworkError } from '../shared/upstream-errors.js';

/** A failure a simulated upstream can produce. */
export type SimulatedFailureKind = '429' | '500' | '503' | 'timeout' | 'reset';

export interface SimulatedFailureOptions {
  providerId: string;
  kind: SimulatedFailureKind;
  /** Retry-After sent with a simulated 429. */
  retryAfterMs: number;
  /** A `timeout` never answers: only this signal's abort ends the wait. */
  signal: AbortSignal;
  /** Prefix of the simulated error message, e.g. "chaos injection". Default "simulated". */
  label?: string | undefined;
}

/**
 * Rejects as an upstream failing in the given way would: HTTP statuses go through mapHttpError,
 * a reset through mapNetworkError, a timeout waits for the caller's deadline.
 * @example await simulateFailure({ providerId: 'sim', kind: '503', retryAfterMs: 1000, signal })
 */
export async function simulateFailure(options: SimulatedFailureOptions): Promise<never> {
  const { providerId, signal } = options;
  const label = options.label ?? 'simulated';
  const resetMessage = options.label === undefined ? 'socket hang up' : `${label}: socket hang up`;
  const http = (status: number, message: string, headers: Record<string, string> = {}): KeelError =>
    mapHttpError({
      providerId,
      status,
      headers,
      bodyText: JSON.stringify({ error: { message: `${label} ${message}` } }),
    });
  switch (options.kind) {
    case '429':
      throw http(429, 'rate limit', { 'retry-after-ms': String(options.retryAfterMs) });
    case '500':
      throw http(500, 'internal server error');
    case '503':
      throw http(503, 'service unavailable');
    case 'reset':
      throw mapNetworkError(providerId, Object.assign(new Error(resetMessage), { code: 'ECONNRESET' }));
    case 'timeout':
      return new Promise<never>((_resolve, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
  }
}
