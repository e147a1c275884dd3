// Turns the demo's signals into timestamped terminal lines and keeps track of which milestones happened.
import type { DemoPhase, DemoSignal } from './demo-signals.js';

/** The story's milestones; each is narrated once, the first time it happens. */
export type DemoMilestone =
  | 'latency-rising'
  | 'latency-alert'
  | 'incident-opened'
  | 'failover'
  | 'breaker-open'
  | 'breaker-alert'
  | 'breaker-closed'
  | 'monitors-ok'
  | 'incidents-resolved';

/** The milestones each phase waits for before it may end early. */
export const phaseMilestones: Readonly<Record<DemoPhase, readonly DemoMilestone[]>> = {
  baseline: [],
  spike: ['latency-rising', 'latency-alert', 'incident-opened'],
  outage: ['failover', 'breaker-open', 'breaker-alert'],
  recovery: ['breaker-closed', 'monitors-ok', 'incidents-resolved'],
};

const milestoneText: Readonly<Record<DemoMilestone, string>> = {
  'latency-rising': 'rise in the primary’s p95 latency',
  'latency-alert': 'latency monitor alert',
  'incident-opened': 'incident opened',
  failover: 'failover to the backup',
  'breaker-open': 'breaker opening',
  'breaker-alert': 'breaker monitor alert',
  'breaker-closed': 'breaker closing again',
  'monitors-ok': 'monitors back to OK',
  'incidents-resolved': 'incidents resolved',
};

/** What the narrator needs to know about the run. */
export interface DemoNarratorOptions {
  /** Keel's clock at the start: lines are stamped with the time since. */
  startedAtMs: number;
  /** Keel's base URL, for dashboard links. */
  baseUrl: string;
  primary: string;
  backup: string;
  model: string;
  rps: number;
  /** The mixed profile's rate during its bursts. */
  burstRps: number;
  spikeLatencyMs: number;
  quietPeriodMs: number;
  /** The p95 (ms) the latency monitor alerts at: the rolling p95 reaching it is "rising". */
  latencyCriticalMs: number;
  /** Monitor id → title, for readable lines. */
  monitorTitles: Readonly<Record<string, string>>;
}

/** Counts for the summary. */
export interface DemoCounts {
  requests: number;
  answered: number;
  /** 4xx: the mixed traffic's malformed requests, refused on purpose. */
  refused: number;
  /** 5xx or no answer. */
  failed: number;
  /** The failed requests by error code. */
  failedByCode: Record<string, number>;
  failovers: number;
  byProvider: Record<string, number>;
}

const ROLLING_ANSWERS = 20;

/** "mm:ss" since the start. */
export function formatElapsed(elapsedMs: number): string {
  const seconds = Math.max(0, Math.floor(elapsedMs / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${String(minutes).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** 0.9 s, 12 s. */
export function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Nearest-rank percentile of `values` (0 for none). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? 0;
}

function groupText(group: Record<string, string>): string {
  const parts = Object.entries(group).map(([key, value]) => `${key}=${value}`);
  return parts.length === 0 ? '' : ` {${parts.join(', ')}}`;
}

/**
 * Narrates the demo. `observe` takes one signal and returns the lines to print (often none);
 * `endPhase` says which milestones of a phase did not happen; nothing here does I/O or reads a clock.
 * @example
 * const narrator = new DemoNarrator(options);
 * for (const line of narrator.observe({ kind: 'phase', phase: 'spike', atMs })) output.write(`${line}\n`);
 */
export class DemoNarrator {
  readonly counts: DemoCounts = {
    requests: 0,
    answered: 0,
    refused: 0,
    failed: 0,
    failedByCode: {},
    failovers: 0,
    byProvider: {},
  };
  readonly #options: DemoNarratorOptions;
  readonly #reached = new Map<DemoMilestone, number>();
  #phase: DemoPhase | undefined;
  #phaseStartedMs = 0;
  /** Latencies of the primary's latest answers, oldest first. */
  readonly #primaryLatencies: number[] = [];
  #baselineP95: number | undefined;
  #outageFailovers = 0;
  #breakerReopenTold = false;
  #halfOpenTold = false;
  /** Monitor groups that alerted, and their latest status. */
  readonly #alerted = new Map<string, string>();
  /** Incident id → latest status. */
  readonly #incidents = new Map<string, string>();
  readonly #incidentOpenedMs = new Map<string, number>();

  constructor(options: DemoNarratorOptions) {
    this.#options = options;
  }

  /** Whether (and when, on Keel's clock) a milestone happened. */
  reached(milestone: DemoMilestone): number | undefined {
    return this.#reached.get(milestone);
  }

  /** True when every milestone of the phase happened. */
  phaseComplete(phase: DemoPhase): boolean {
    return phaseMilestones[phase].every((milestone) => this.#reached.has(milestone));
  }

  /** The lines for one signal. */
  observe(signal: DemoSignal): string[] {
    const texts = this.#texts(signal);
    return texts.map((text) => `[${formatElapsed(signal.atMs - this.#options.startedAtMs)}] ${text}`);
  }

  /** Lines closing a phase: what its traffic showed, and each milestone that did not happen in time. */
  endPhase(phase: DemoPhase, atMs: number): string[] {
    const stamp = `[${formatElapsed(atMs - this.#options.startedAtMs)}]`;
    const { primary, backup } = this.#options;
    const lines: string[] = [];
    if (phase === 'outage' && this.#outageFailovers > 0) {
      lines.push(
        `${stamp} ✓ failover: ${this.#outageFailovers} request${this.#outageFailovers === 1 ? '' : 's'} answered by ${backup} after ${primary} failed`,
      );
    }
    const seconds = formatSeconds(atMs - this.#phaseStartedMs);
    for (const milestone of phaseMilestones[phase]) {
      if (!this.#reached.has(milestone)) {
        lines.push(`${stamp} ✗ no ${milestoneText[milestone]} within ${seconds}; going on`);
      }
    }
    return lines;
  }

  /** The line told when the user stops the story before its end. */
  stopped(atMs: number): string[] {
    return [`[${formatElapsed(atMs - this.#options.startedAtMs)}] ■ stopped: chaos cleared, Keel closing`];
  }

  #reach(milestone: DemoMilestone, atMs: number, text: string): string[] {
    if (this.#reached.has(milestone)) return [];
    this.#reached.set(milestone, atMs);
    return [text];
  }

  #texts(signal: DemoSignal): string[] {
    switch (signal.kind) {
      case 'phase':
        return this.#onPhase(signal.phase, signal.atMs);
      case 'request':
        return this.#onRequest(signal);
      case 'breaker':
        return this.#onBreaker(signal);
      case 'monitor':
        return this.#onMonitor(signal);
      case 'incident':
        return this.#onIncident(signal);
    }
  }

  #onPhase(phase: DemoPhase, atMs: number): string[] {
    this.#phase = phase;
    this.#phaseStartedMs = atMs;
    const { primary, backup, model, rps, burstRps, spikeLatencyMs } = this.#options;
    switch (phase) {
      case 'baseline':
        return [
          `▶ 1/4 baseline: mixed traffic to ${model}, ${rps} rps with bursts of ${burstRps} (${primary} first, ${backup} as backup)`,
        ];
      case 'spike':
        this.#baselineP95 = percentile(this.#primaryLatencies, 0.95);
        return [`▶ 2/4 latency spike: chaos adds ${spikeLatencyMs} ms to every ${primary} call`];
      case 'outage':
        return [`▶ 3/4 outage: chaos fails every ${primary} call (503)`];
      case 'recovery':
        return [
          `▶ 4/4 recovery: chaos cleared; ${primary} answers normally again`,
          '… monitors read per-minute rollups: the latency monitor recovers once a minute that started after the spike fills its window',
        ];
    }
  }

  #onRequest(signal: Extract<DemoSignal, { kind: 'request' }>): string[] {
    const { primary, backup, latencyCriticalMs } = this.#options;
    const counts = this.counts;
    counts.requests++;
    if (signal.ok) counts.answered++;
    else if (signal.status >= 400 && signal.status < 500) counts.refused++;
    else {
      counts.failed++;
      const code = signal.errorCode ?? 'unknown';
      counts.failedByCode[code] = (counts.failedByCode[code] ?? 0) + 1;
    }
    if (signal.ok && signal.providerId !== undefined)
      counts.byProvider[signal.providerId] = (counts.byProvider[signal.providerId] ?? 0) + 1;
    const lines: string[] = [];
    if (signal.failedOverFrom === primary && signal.ok) {
      counts.failovers++;
      if (this.#phase === 'outage') {
        this.#outageFailovers++;
        lines.push(
          ...this.#reach(
            'failover',
            signal.atMs,
            `↪ failover: a request answered by ${signal.providerId ?? backup} after ${primary} failed (${signal.failoverReason ?? 'error'})`,
          ),
        );
      }
    }
    if (signal.ok && signal.providerId === primary) {
      this.#primaryLatencies.push(signal.totalMs);
      if (this.#primaryLatencies.length > ROLLING_ANSWERS) this.#primaryLatencies.shift();
      const p95 = percentile(this.#primaryLatencies, 0.95);
      if (this.#phase === 'spike' && p95 >= latencyCriticalMs) {
        const before = this.#baselineP95 === undefined ? '' : ` (${formatSeconds(this.#baselineP95)} before)`;
        lines.push(
          ...this.#reach(
            'latency-rising',
            signal.atMs,
            `⚠ latency: ${primary} p95 over its last ${this.#primaryLatencies.length} answers is ${formatSeconds(p95)}${before}`,
          ),
        );
      }
    }
    return lines;
  }

  #onBreaker(signal: Extract<DemoSignal, { kind: 'breaker' }>): string[] {
    const { primary } = this.#options;
    if (!signal.target.startsWith(`${primary}/`)) return [];
    if (signal.to === 'open' && signal.from === 'closed') {
      return this.#reach(
        'breaker-open',
        signal.atMs,
        `✗ breaker open: ${signal.target} (${signal.reason}); Keel stops calling it and fails over at once`,
      );
    }
    if (signal.to === 'open' && !this.#breakerReopenTold && this.#phase === 'outage') {
      this.#breakerReopenTold = true;
      return [`✗ breaker: the half-open probe of ${signal.target} failed; open again`];
    }
    if (signal.to === 'half-open' && this.#phase === 'recovery' && !this.#halfOpenTold) {
      this.#halfOpenTold = true;
      return [`… breaker half-open: ${signal.target} gets a probe call`];
    }
    if (signal.to === 'closed' && this.#phase === 'recovery') {
      return this.#reach(
        'breaker-closed',
        signal.atMs,
        `✓ recovery: breaker ${signal.target} ${signal.from} → closed; traffic is back on ${primary}`,
      );
    }
    return [];
  }

  #monitorValue(monitorId: string, value: number | null): string {
    if (value === null) return 'no value';
    if (monitorId.includes('latency')) return `p95 ${formatSeconds(value)}`;
    if (monitorId.includes('breaker')) return `${value} breaker${value === 1 ? '' : 's'} open`;
    return String(value);
  }

  #onMonitor(signal: Extract<DemoSignal, { kind: 'monitor' }>): string[] {
    const title = this.#options.monitorTitles[signal.monitorId] ?? signal.monitorId;
    const key = `${signal.monitorId}${groupText(signal.group)}`;
    const name = `"${title}"${groupText(signal.group)}`;
    if (signal.to === 'ALERT') {
      this.#alerted.set(key, 'ALERT');
      const text = `⚠ monitor alert: ${name} is ALERT (${this.#monitorValue(signal.monitorId, signal.value)})`;
      const milestone = signal.monitorId.includes('breaker') ? 'breaker-alert' : 'latency-alert';
      const first = this.#reach(milestone, signal.atMs, text);
      return first.length > 0 ? first : [text];
    }
    if (signal.to === 'OK' && signal.from !== undefined && this.#alerted.has(key)) {
      this.#alerted.set(key, 'OK');
      const lines = [`✓ monitor ${name} back to OK (${this.#monitorValue(signal.monitorId, signal.value)})`];
      if ([...this.#alerted.values()].every((status) => status === 'OK')) {
        lines.push(...this.#reach('monitors-ok', signal.atMs, '✓ every monitor that alerted is back to OK'));
      }
      return lines;
    }
    if (signal.from !== undefined && signal.to === 'WARN') {
      return [`⚠ monitor ${name} is WARN (${this.#monitorValue(signal.monitorId, signal.value)})`];
    }
    return [];
  }

  #onIncident(signal: Extract<DemoSignal, { kind: 'incident' }>): string[] {
    const link = `${this.#options.baseUrl}/ui/incidents/${encodeURIComponent(signal.id)}`;
    const lines: string[] = [];
    if (signal.from === undefined) {
      this.#incidentOpenedMs.set(signal.id, signal.atMs);
      const text = `✗ incident ${signal.id} opened (${signal.severity}): ${signal.title} → ${link}`;
      const first = this.#reach('incident-opened', signal.atMs, text);
      lines.push(...(first.length > 0 ? first : [text]));
    }
    this.#incidents.set(signal.id, signal.to);
    if (signal.to === 'stable') {
      lines.push(
        `… incident ${signal.id} stable: its monitor recovered; it resolves after ${formatSeconds(this.#options.quietPeriodMs)} without a new alert`,
      );
    }
    if (signal.to === 'active' && signal.from === 'stable') {
      lines.push(`✗ incident ${signal.id} active again: its monitor alerted during the quiet period`);
    }
    if (signal.to === 'resolved') {
      const openedMs = this.#incidentOpenedMs.get(signal.id);
      const open = openedMs === undefined ? '' : ` after ${formatSeconds(signal.atMs - openedMs)}`;
      lines.push(`✓ incident ${signal.id} resolved${open} → ${link}`);
      if ([...this.#incidents.values()].every((status) => status === 'resolved')) {
        lines.push(
          ...this.#reach('incidents-resolved', signal.atMs, '✓ every incident the demo opened is resolved'),
        );
      }
    }
    return lines;
  }
}
