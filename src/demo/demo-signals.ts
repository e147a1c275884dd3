// What the demo narrates: Keel's events and state changes, reduced to the few facts a line needs.
import type { IncidentStatus, Severity } from '../incidents/incident.js';
import type { MonitorStatus } from '../monitors/monitor-state.js';
import type { BreakerStatus } from '../reliability/circuit-breaker.js';
import type { RequestEndEvent } from '../telemetry/events.js';

/** The acts of the story, in order. */
export type DemoPhase = 'baseline' | 'spike' | 'outage' | 'recovery';

/** One thing that happened, at `atMs` on Keel's clock. */
export type DemoSignal =
  | { kind: 'phase'; phase: DemoPhase; atMs: number }
  | {
      kind: 'request';
      atMs: number;
      status: number;
      ok: boolean;
      /** The provider that answered (or last failed). */
      providerId?: string | undefined;
      totalMs: number;
      /** An earlier attempt's provider that failed or was skipped before another one answered. */
      failedOverFrom?: string | undefined;
      /** Why that earlier attempt did not answer: its error code, or "breaker open" when skipped. */
      failoverReason?: string | undefined;
      /** The request's own error code, when it failed. */
      errorCode?: string | undefined;
    }
  | { kind: 'breaker'; atMs: number; target: string; from: BreakerStatus; to: BreakerStatus; reason: string }
  | {
      kind: 'monitor';
      atMs: number;
      monitorId: string;
      group: Record<string, string>;
      /** Undefined the first time the demo sees the group. */
      from: MonitorStatus | undefined;
      to: MonitorStatus;
      value: number | null;
      reason: string;
    }
  | {
      kind: 'incident';
      atMs: number;
      id: string;
      title: string;
      severity: Severity;
      /** Undefined the first time the demo sees the incident. */
      from: IncidentStatus | undefined;
      to: IncidentStatus;
    };

/** A request that ended. */
export type RequestSignal = Extract<DemoSignal, { kind: 'request' }>;

/** The signal of a request:end event: who answered, and whether it took a failover to get there. */
export function requestSignal(event: RequestEndEvent, atMs: number): RequestSignal {
  const served = event.outcome === 'ok' ? event.providerId : undefined;
  const failed =
    served === undefined
      ? undefined
      : event.attempts.find((attempt) => attempt.providerId !== served && attempt.outcome !== 'ok');
  return {
    kind: 'request',
    atMs,
    status: event.status,
    ok: event.outcome === 'ok',
    providerId: event.providerId,
    totalMs: event.totalMs,
    failedOverFrom: failed?.providerId,
    errorCode: event.outcome === 'ok' ? undefined : event.errorCode,
    failoverReason:
      failed === undefined ? undefined : failed.outcome === 'skipped' ? 'breaker open' : failed.errorCode,
  };
}
