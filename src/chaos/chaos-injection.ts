// What a chaos injection is: the faults Keel adds, at runtime, to the calls of one provider target.
import type { SimulatedFailureKind } from '../providers/mock/simulate-failure.js';

/** How an injected failure looks to Keel: the upstream status or network fault it simulates. */
export type ChaosErrorKind = SimulatedFailureKind;

/** The error kinds an injection can use. */
export const CHAOS_ERROR_KINDS: readonly ChaosErrorKind[] = ['500', '503', '429', 'timeout', 'reset'];

/** The longest an injection may last: 1 h. Chaos always ends by itself. */
export const MAX_CHAOS_DURATION_MS = 3_600_000;

/** The faults to add, as asked for (POST /api/chaos/inject, `keel chaos inject`). */
export interface ChaosFaults {
  /** Added before every call, in ms. */
  latencyMs?: number | undefined;
  /** Share of calls that fail, 0..1. */
  errorRate?: number | undefined;
  /** How failed calls fail; default 500 (503 for an outage). */
  errorKind?: ChaosErrorKind | undefined;
  /** Every call fails. */
  outage?: boolean | undefined;
  /** Share of calls whose answer is cut after a few parts, 0..1 (a non-streamed answer: a reset). */
  cutRate?: number | undefined;
}

/** One active injection. */
export interface ChaosInjection extends ChaosFaults {
  id: string;
  /** A provider id (`primary`) or one of its models (`primary/gpt-4o-mini`). */
  target: string;
  startedAtMs: number;
  expiresAtMs: number;
}

/** What chaos does to one call: decided by decideChaos. */
export interface ChaosDecision {
  /** Wait this long before calling the provider. */
  delayMs: number;
  /** Fail the call this way instead of calling the provider. */
  fail?: ChaosErrorKind | undefined;
  /** Cut the answer after this many content parts (text or tool-call deltas). */
  cutAfterParts?: number | undefined;
}
