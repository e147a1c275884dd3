// The pure decision of what an injection does to one call: how long to wait, whether to fail, where to cut.
import type { ChaosDecision, ChaosFaults } from './chaos-injection.js';

/** The most content parts a cut stream lets through. */
export const MAX_PARTS_BEFORE_CUT = 3;

/**
 * Decides one call's faults. `random` returns [0, 1): drawn once for the error rate (unless an
 * outage), then once for the cut rate and once for where to cut.
 * @example decideChaos({ errorRate: 0.5, errorKind: '503' }, Math.random) // { delayMs: 0, fail: '503' } half the time
 */
export function decideChaos(injection: ChaosFaults, random: () => number): ChaosDecision {
  const delayMs = injection.latencyMs ?? 0;
  if (injection.outage === true) return { delayMs, fail: injection.errorKind ?? '503' };
  const errorRate = injection.errorRate ?? 0;
  if (errorRate > 0 && random() < errorRate) return { delayMs, fail: injection.errorKind ?? '500' };
  const cutRate = injection.cutRate ?? 0;
  if (cutRate > 0 && random() < cutRate) {
    return { delayMs, cutAfterParts: 1 + Math.floor(random() * MAX_PARTS_BEFORE_CUT) };
  }
  return { delayMs };
}
