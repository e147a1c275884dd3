// Environments and experiments: latency per environment and model, and each experiment's variants side by side.
import type { ProbeSummaryAnswer, StatsAnswer, VariantReport } from '../api-types.js';
import { timeChart } from '../charts.js';
import { card, h, table } from '../dom.js';
import { formatCount, formatMs, formatPercent, formatUsd } from '../format.js';
import type { Page } from '../page-context.js';
import { optional, readSeries, windowRangeMs } from './page-helpers.js';
import { probeCard } from './probe-summary.js';

interface Experiment {
  id: string;
  model: string;
  enabled: boolean;
  variants: { id: string }[];
}

function ratio(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `×${value.toFixed(2)}`;
}

/** Environments and experiments. */
export const environmentsPage: Page = {
  title: 'Environments & experiments',
  async render(context) {
    const [stats, latency, experiments, probes, probeLatency] = await Promise.all([
      context.api.get<StatsAnswer>('/api/stats', { window: context.range, group_by: 'environment,model' }),
      readSeries({ ...context, groupBy: 'environment' }, { metric: 'latency_p95' }),
      optional(context.api.get<{ experiments: Experiment[] }>('/api/experiments')),
      optional(context.api.get<{ enabled: boolean }>('/api/probes')),
      optional(context.api.get<ProbeSummaryAnswer>('/api/latency/summary', { window: context.range })),
    ]);
    const reports = await Promise.all(
      (experiments?.experiments ?? []).map((experiment) =>
        context.api.get<{ variants: VariantReport[] }>(
          `/api/experiments/${encodeURIComponent(experiment.id)}/report`,
          {
            window: context.range,
          },
        ),
      ),
    );
    const environmentRows = stats.groups.map((group) => [
      group.key.environment ?? '',
      group.key.model ?? '',
      formatCount(group.requests),
      formatPercent(group.errorRate),
      formatMs(group.latency.p50),
      formatMs(group.latency.p95),
      formatMs(group.latency.p99),
      formatMs(group.ttft?.p95),
      formatUsd(group.costUsd),
    ]);
    const experimentCards = (experiments?.experiments ?? []).map((experiment, position) =>
      card(
        `Experiment ${experiment.id} (${experiment.model}${experiment.enabled ? '' : ', disabled'})`,
        table(
          [
            'Variant',
            'Share',
            'Requests',
            'Error rate',
            'p50',
            'p95',
            'Cost / request',
            'vs control: errors',
            'p95',
            'cost',
          ],
          (reports[position]?.variants ?? []).map((variant) => [
            variant.variant,
            formatPercent(variant.weightShare),
            formatCount(variant.requests),
            formatPercent(variant.errorRate),
            formatMs(variant.latency.p50),
            formatMs(variant.latency.p95),
            formatUsd(variant.costPerRequestUsd),
            variant.vsControl === null ? 'control' : formatPercent(variant.vsControl.errorRateDifference),
            ratio(variant.vsControl?.latencyP95Ratio),
            ratio(variant.vsControl?.costPerRequestRatio),
          ]),
          { 'data-testid': `experiment-${experiment.id}` },
        ),
      ),
    );
    return h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Environments & experiments'),
      card(
        'Latency per environment and model',
        h(
          'p',
          { class: 'muted' },
          'Traffic recorded by this Keel; its own probe calls are application keel-probe.',
        ),
        table(
          ['Environment', 'Model', 'Requests', 'Error rate', 'p50', 'p95', 'p99', 'TTFT p95', 'Cost'],
          environmentRows,
          {
            'data-testid': 'environments-table',
          },
        ),
      ),
      probeCard(probeLatency, probes?.enabled === true),
      timeChart({
        xRangeMs: windowRangeMs(context),
        title: 'p95 latency by environment',
        series: latency,
        format: formatMs,
      }),
      experimentCards.length === 0
        ? card('Experiments', h('p', { class: 'empty' }, 'No experiments configured.'))
        : experimentCards,
    );
  },
};
