// Overview: traffic, errors, latency split into Keel and upstream, tokens, cost, health and monitors at a glance.
import type { CostForecast, HealthScore, Incident, MonitorsAnswer, StatsAnswer } from '../api-types.js';
import { timeChart } from '../charts.js';
import { card, h, pill, stat } from '../dom.js';
import { formatCount, formatMs, formatPercent, formatTime, formatUsd } from '../format.js';
import type { Page } from '../page-context.js';
import { optional, readSeries, windowQuery, windowRangeMs } from './page-helpers.js';

/** The landing page. */
export const overviewPage: Page = {
  title: 'Overview',
  async render(context) {
    const { api } = context;
    const [
      stats,
      health,
      forecast,
      monitors,
      incidents,
      requests,
      errors,
      latency,
      cost,
      overhead,
      upstream,
    ] = await Promise.all([
      api.get<StatsAnswer>('/api/stats', windowQuery(context)),
      optional(api.get<{ overall: HealthScore }>('/api/health-score', windowQuery(context))),
      optional(api.get<CostForecast>('/api/forecast/cost')),
      optional(api.get<MonitorsAnswer>('/api/monitors')),
      optional(api.get<{ incidents: Incident[] }>('/api/incidents', { status: 'active,stable', limit: 20 })),
      readSeries(context, { metric: 'requests' }),
      readSeries(context, { metric: 'errors' }),
      readSeries(context, { metric: 'latency_p95' }),
      readSeries(context, { metric: 'cost' }),
      readSeries({ ...context, groupBy: 'none' }, { metric: 'overhead_p99' }),
      readSeries({ ...context, groupBy: 'none' }, { metric: 'upstream_p95' }),
    ]);
    const total = stats.groups[0];
    const openBreakers = stats.breakers.filter((breaker) => breaker.status !== 'closed').length;
    const figures = h(
      'div',
      { class: 'stats' },
      stat({
        label: 'Requests',
        value: formatCount(total?.requests),
        raw: total?.requests,
        testId: 'stat-requests',
      }),
      stat({
        label: 'Error rate',
        value: formatPercent(total?.errorRate),
        raw: total?.errorRate,
        testId: 'stat-error-rate',
      }),
      stat({
        label: 'p50 latency',
        value: formatMs(total?.latency.p50),
        raw: total?.latency.p50,
        testId: 'stat-p50',
      }),
      stat({
        label: 'p95 latency',
        value: formatMs(total?.latency.p95),
        raw: total?.latency.p95,
        testId: 'stat-p95',
      }),
      stat({
        label: 'p99 latency',
        value: formatMs(total?.latency.p99),
        raw: total?.latency.p99,
        testId: 'stat-p99',
      }),
      stat({
        label: 'TTFT p95',
        value: formatMs(total?.ttft?.p95),
        raw: total?.ttft?.p95 ?? null,
        testId: 'stat-ttft',
        hint: 'Streams: arrival to first byte',
      }),
      stat({
        label: 'Keel overhead p95',
        value: formatMs(total?.overhead?.p95),
        raw: total?.overhead?.p95 ?? null,
        testId: 'stat-overhead',
        hint: "Keel's own time, upstream waits excluded",
      }),
      stat({
        label: 'Upstream p95',
        value: formatMs(total?.upstream?.p95),
        raw: total?.upstream?.p95 ?? null,
        testId: 'stat-upstream',
      }),
      stat({
        label: 'Tokens',
        value: formatCount(total?.totalTokens),
        raw: total?.totalTokens,
        testId: 'stat-tokens',
      }),
      stat({
        label: 'Cost (range)',
        value: formatUsd(total?.costUsd),
        raw: total?.costUsd,
        testId: 'stat-cost',
      }),
      stat({
        label: 'Cache hit rate',
        value: formatPercent(
          total === undefined || total.requests === 0 ? null : total.cacheHits / total.requests,
        ),
        testId: 'stat-cache',
      }),
      stat({
        label: 'Failovers',
        value: formatCount(total?.failovers),
        raw: total?.failovers,
        testId: 'stat-failovers',
      }),
    );
    const spend = forecast?.spend;
    const costCard = card(
      'Spend',
      h(
        'div',
        { class: 'stats compact' },
        stat({ label: 'Today (UTC)', value: formatUsd(spend?.todayUsd), testId: 'cost-today' }),
        stat({ label: 'This month', value: formatUsd(spend?.monthUsd), testId: 'cost-month' }),
        stat({
          label: 'Month-end forecast',
          value: formatUsd(spend?.projectedMonthEndUsd),
          testId: 'cost-forecast',
        }),
        stat({
          label: `Next ${forecast?.forecast?.hours ?? 24} h`,
          value: formatUsd(forecast?.forecast?.totalUsd),
        }),
      ),
    );
    const overall = health?.overall;
    const healthCard = card(
      'Health score',
      h(
        'div',
        { class: 'health' },
        h(
          'div',
          { class: 'health-score', 'data-testid': 'health-score' },
          overall?.score === null || overall === undefined ? '—' : overall.score.toFixed(0),
        ),
        h(
          'ul',
          { class: 'subscores' },
          Object.entries(overall?.subScores ?? {}).map(([name, sub]) =>
            h(
              'li',
              {},
              h('span', {}, name),
              h('meter', { min: 0, max: 100, low: 60, high: 85, optimum: 100, value: sub.score ?? 0 }),
              h('span', { class: 'number' }, sub.score === null ? 'n/a' : sub.score.toFixed(0)),
            ),
          ),
        ),
      ),
    );
    const counts = monitors?.counts;
    const monitorCard = card(
      'Monitors',
      counts === undefined
        ? h('p', { class: 'empty' }, 'Monitors are off.')
        : h(
            'div',
            { class: 'monitor-counts', 'data-testid': 'monitor-counts' },
            (['OK', 'WARN', 'ALERT', 'NO_DATA'] as const).map((name) =>
              h(
                'a',
                { href: '/ui/monitors', class: `count count-${name.toLowerCase()}` },
                h('strong', {}, String(counts[name])),
                pill(name),
              ),
            ),
          ),
      h('p', { class: 'muted' }, `${openBreakers} of ${stats.breakers.length} breakers open`),
    );
    const open = incidents?.incidents ?? [];
    const incidentCard = card(
      `Open incidents (${open.length})`,
      open.length === 0
        ? h('p', { class: 'empty' }, 'No open incidents.')
        : h(
            'ul',
            { class: 'incident-list', 'data-testid': 'open-incidents' },
            open.map((incident) =>
              h(
                'li',
                {},
                pill(incident.severity),
                ' ',
                pill(incident.status),
                ' ',
                h(
                  'a',
                  { href: `/ui/incidents/${encodeURIComponent(incident.id)}` },
                  `${incident.id} ${incident.title}`,
                ),
                h('span', { class: 'muted' }, ` since ${formatTime(incident.createdAtMs)}`),
              ),
            ),
          ),
    );
    return h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Overview'),
      figures,
      h('div', { class: 'grid two' }, healthCard, costCard, monitorCard, incidentCard),
      h(
        'div',
        { class: 'grid two' },
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'Requests',
          series: requests,
          format: formatCount,
          testId: 'chart-requests',
        }),
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'Errors',
          series: errors,
          format: formatCount,
          testId: 'chart-errors',
        }),
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'p95 latency',
          series: latency,
          format: formatMs,
          testId: 'chart-latency',
        }),
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'Cost',
          series: cost,
          format: formatUsd,
          testId: 'chart-cost',
        }),
      ),
      timeChart({
        xRangeMs: windowRangeMs(context),
        title:
          "Keel's own time (p99) against time waiting on upstreams (p95): is slowness internal or upstream?",
        series: [
          { label: 'Keel overhead p99', points: overhead[0]?.points ?? [] },
          { label: 'upstream p95', points: upstream[0]?.points ?? [] },
        ],
        format: formatMs,
        testId: 'chart-overhead',
      }),
    );
  },
};
