// The Environments page's probe card: per environment and model, the probes' failures, latency and last result.
import type { ProbeSummaryAnswer } from '../api-types.js';
import { card, h, table } from '../dom.js';
import { formatCount, formatMs, formatPercent, formatTime } from '../format.js';

/** The probe card from `/api/latency/summary` over the page's range; `enabled`: probes.enabled. */
export function probeCard(summary: ProbeSummaryAnswer | undefined, enabled: boolean): HTMLElement {
  const groups = [...(summary?.groups ?? [])].sort(
    (a, b) => a.environment.localeCompare(b.environment) || a.model.localeCompare(b.model),
  );
  if (!enabled && groups.length === 0) {
    return card(
      'Synthetic probes',
      h(
        'p',
        { class: 'empty' },
        'Probes are off: set probes.enabled in the config (docs/operations.md#probes).',
      ),
    );
  }
  const rows = groups.map((group) => [
    group.environment,
    group.model,
    formatCount(group.probes),
    formatPercent(group.failureRate),
    formatMs(group.latency.p50),
    formatMs(group.latency.p95),
    formatMs(group.ttft.p95),
    group.last === null ? '—' : group.last.success ? 'ok' : (group.last.errorCode ?? 'failed'),
    group.last === null ? '—' : formatTime(Date.parse(group.last.timestamp)),
  ]);
  return card(
    'Synthetic probes',
    h('p', { class: 'muted' }, 'Measured from outside, like a client; latency over the successful probes.'),
    rows.length === 0
      ? h('p', { class: 'empty' }, 'No probe measurements in this range yet.')
      : table(['Environment', 'Model', 'Probes', 'Failed', 'p50', 'p95', 'TTFT p95', 'Last', 'At'], rows, {
          'data-testid': 'probes-table',
        }),
  );
}
