// The Environments page's probe card: per environment and model, the probes' failures, latency and last result.
import type { LatencyAnswer, ProbeMeasurement } from '../api-types.js';
import { card, h, table } from '../dom.js';
import { formatCount, formatMs, formatPercent, formatTime } from '../format.js';

interface ProbeGroup {
  environment: string;
  model: string;
  probes: number;
  failures: number;
  latencies: number[];
  ttfts: number[];
  last: ProbeMeasurement;
}

function nearestRank(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/** Groups measurements (newest first, as /api/latency gives them) by environment and model. */
function groupProbes(items: readonly ProbeMeasurement[]): ProbeGroup[] {
  const groups = new Map<string, ProbeGroup>();
  for (const item of items) {
    const key = `${item.environment}\n${item.model}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        environment: item.environment,
        model: item.model,
        probes: 0,
        failures: 0,
        latencies: [],
        ttfts: [],
        last: item,
      };
      groups.set(key, group);
    }
    group.probes += 1;
    if (!item.success) group.failures += 1;
    else {
      if (item.latencyMs !== null) group.latencies.push(item.latencyMs);
      if (item.ttftMs !== null) group.ttfts.push(item.ttftMs);
    }
  }
  return [...groups.values()].sort(
    (a, b) => a.environment.localeCompare(b.environment) || a.model.localeCompare(b.model),
  );
}

/** The probe card: `latency` is the range's measurements, undefined when probes are off. */
export function probeCard(latency: LatencyAnswer | undefined, enabled: boolean): HTMLElement {
  if (!enabled && (latency === undefined || latency.items.length === 0)) {
    return card(
      'Synthetic probes',
      h(
        'p',
        { class: 'empty' },
        'Probes are off: set probes.enabled in the config (docs/operations.md#probes).',
      ),
    );
  }
  const groups = groupProbes(latency?.items ?? []);
  const rows = groups.map((group) => [
    group.environment,
    group.model,
    formatCount(group.probes),
    formatPercent(group.probes === 0 ? null : group.failures / group.probes),
    formatMs(nearestRank(group.latencies, 0.5)),
    formatMs(nearestRank(group.latencies, 0.95)),
    formatMs(nearestRank(group.ttfts, 0.95)),
    group.last.success ? 'ok' : (group.last.errorCode ?? 'failed'),
    formatTime(Date.parse(group.last.timestamp)),
  ]);
  const note =
    latency !== undefined && latency.total > latency.items.length
      ? `The newest ${formatCount(latency.items.length)} of ${formatCount(latency.total)} measurements in the range.`
      : 'Measured from outside, like a client; latency over the successful probes.';
  return card(
    'Synthetic probes',
    h('p', { class: 'muted' }, note),
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No probe measurements in this range yet.')
      : table(['Environment', 'Model', 'Probes', 'Failed', 'p50', 'p95', 'TTFT p95', 'Last', 'At'], rows, {
          'data-testid': 'probes-table',
        }),
  );
}
