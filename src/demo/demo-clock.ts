// The demo's clock: real time shifted by a fixed offset, so a compressed story can end just before a minute does.
import { systemClock, type Clock } from '../spec/clock.js';

const MINUTE_MS = 60_000;

/**
 * The offset (ms, within ±30 s) that puts `nowMs + offset` at `targetMsIntoMinute` into its minute.
 * @example alignedOffsetMs({ nowMs: Date.parse('2026-01-01T00:00:10Z'), targetMsIntoMinute: 20_000 }) // 10_000
 */
export function alignedOffsetMs(options: { nowMs: number; targetMsIntoMinute: number }): number {
  const into = ((options.nowMs % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
  let offsetMs = (((options.targetMsIntoMinute - into) % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
  if (offsetMs > MINUTE_MS / 2) offsetMs -= MINUTE_MS;
  return Math.round(offsetMs);
}

/** Real time plus a constant: durations and sleeps are real, only the wall-clock reading moves. */
export class OffsetClock implements Clock {
  readonly offsetMs: number;
  constructor(offsetMs: number) {
    this.offsetMs = offsetMs;
  }
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
}
