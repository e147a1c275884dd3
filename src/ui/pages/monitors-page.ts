// Monitors: the list with state, last value against thresholds and a sparkline; a detail page per monitor.
import type { Evaluation, Monitor, MonitorDetailAnswer, MonitorsAnswer } from '../api-types.js';
import { sparkline, timeChart, type ThresholdLine } from '../charts.js';
import { card, h, pill, table } from '../dom.js';
import { formatMetricValue, formatTime } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import type { Page, PageContext } from '../page-context.js';
import { windowRangeMs } from './page-helpers.js';

type EvaluationsAnswer = { evaluations: (Evaluation & { atMs: number })[] };

function metricOf(monitor: Monitor): string {
  return typeof monitor.definition.metric === 'string' ? monitor.definition.metric : monitor.type;
}

/** warn and critical of a threshold monitor, as chart lines. */
export function thresholdLines(values: Record<string, unknown>): ThresholdLine[] {
  const lines: ThresholdLine[] = [];
  if (typeof values.warn === 'number') lines.push({ label: 'warn', value: values.warn, tone: 'warn' });
  if (typeof values.critical === 'number')
    lines.push({ label: 'critical', value: values.critical, tone: 'critical' });
  return lines;
}

function muteButton(context: PageContext, monitor: Monitor) {
  const action = monitor.muted ? 'unmute' : 'mute';
  const button = h(
    'button',
    { type: 'button', 'data-testid': `${action}-${monitor.id}` },
    monitor.muted ? 'Unmute' : 'Mute',
  );
  button.addEventListener('click', () => {
    button.disabled = true;
    void context.api
      .send('POST', `/api/monitors/${encodeURIComponent(monitor.id)}/${action}`, {})
      .then(() => context.refresh())
      .catch((error: unknown) => window.alert(String(error)));
  });
  return button;
}

async function renderList(context: PageContext): Promise<HTMLElement> {
  const answer = await context.api.get<MonitorsAnswer>('/api/monitors');
  const histories = await Promise.all(
    answer.monitors.map((monitor) =>
      context.api.get<EvaluationsAnswer>(`/api/monitors/${encodeURIComponent(monitor.id)}/evaluations`, {
        window: context.range,
        limit: 500,
      }),
    ),
  );
  const rows = answer.monitors.map((monitor, position) => {
    const worst = monitor.groups.find((group) => group.status === monitor.status) ?? monitor.groups[0];
    const metric = metricOf(monitor);
    const history = (histories[position]?.evaluations ?? [])
      .filter((evaluation) => worst === undefined || evaluation.groupId === worst.groupId)
      .map((evaluation) => ({ tMs: evaluation.atMs, value: evaluation.value }))
      .reverse();
    const limits = thresholdLines(monitor.definition)
      .map((line) => `${line.label} ${formatMetricValue(line.value, metric)}`)
      .join(' · ');
    return [
      h(
        'span',
        { 'data-testid': `monitor-status-${monitor.id}` },
        pill(monitor.status),
        monitor.muted ? pill('muted') : null,
      ),
      h('a', { href: `/ui/monitors/${encodeURIComponent(monitor.id)}` }, monitor.title),
      h('span', { class: 'muted' }, `${monitor.type} · ${monitor.source}`),
      worst === undefined
        ? '—'
        : `${formatMetricValue(worst.value, metric)}${worst.groupId === '' ? '' : ` (${worst.groupId})`}`,
      h('span', { class: 'muted' }, limits === '' ? '—' : limits),
      sparkline(history),
      muteButton(context, monitor),
    ];
  });
  const counts = answer.counts;
  return h(
    'div',
    { class: 'page' },
    h('h1', {}, 'Monitors'),
    h(
      'p',
      { class: 'muted' },
      `${counts.OK} OK · ${counts.WARN} WARN · ${counts.ALERT} ALERT · ${counts.NO_DATA} NO_DATA — evaluated every ${Math.round(answer.evaluationIntervalMs / 1000)} s`,
    ),
    card(
      'All monitors',
      table(['Status', 'Monitor', 'Kind', 'Last value', 'Thresholds', 'History', ''], rows, {
        'data-testid': 'monitors-table',
      }),
    ),
  );
}

async function renderDetail(context: PageContext, id: string): Promise<HTMLElement> {
  const path = `/api/monitors/${encodeURIComponent(id)}`;
  const [monitor, history] = await Promise.all([
    context.api.get<MonitorDetailAnswer>(path),
    context.api.get<EvaluationsAnswer>(`${path}/evaluations`, { window: context.range, limit: 2000 }),
  ]);
  const metric = metricOf(monitor);
  const byGroup = new Map<string, { tMs: number; value: number | null }[]>();
  for (const evaluation of [...history.evaluations].reverse()) {
    const points = byGroup.get(evaluation.groupId) ?? [];
    points.push({ tMs: evaluation.atMs, value: evaluation.value });
    byGroup.set(evaluation.groupId, points);
  }
  const series = [...byGroup].map(([groupId, points]) => ({
    label: groupId === '' ? 'all' : groupId,
    points,
  }));
  const runbook = typeof monitor.definition.runbook === 'string' ? monitor.definition.runbook : undefined;
  return h(
    'div',
    { class: 'page' },
    h('p', {}, h('a', { href: '/ui/monitors' }, '← Monitors')),
    h('h1', {}, monitor.title, ' ', pill(monitor.status), monitor.muted ? pill('muted') : null),
    h('div', { class: 'actions' }, muteButton(context, monitor)),
    timeChart({
      title: `${metric} per evaluation`,
      series,
      format: (value) => formatMetricValue(value, metric),
      thresholds: thresholdLines(monitor.definition),
      heightPx: 260,
      testId: 'monitor-chart',
      xRangeMs: windowRangeMs(context),
    }),
    h(
      'div',
      { class: 'grid two' },
      card(
        'Groups',
        table(
          ['Group', 'Status', 'Value', 'Reason', 'Since'],
          monitor.groups.map((group) => [
            group.groupId === '' ? 'all' : group.groupId,
            pill(group.status),
            formatMetricValue(group.value, metric),
            group.reason ?? '',
            group.since === undefined ? '' : formatTime(Date.parse(group.since)),
          ]),
        ),
      ),
      card('Definition', h('pre', { class: 'definition' }, JSON.stringify(monitor.definition, null, 2))),
    ),
    runbook === undefined ? null : card('Runbook', renderMarkdown(runbook)),
    card(
      'Transitions',
      table(
        ['At', 'Group', 'From → to', 'Value', 'Reason'],
        (monitor.transitions ?? []).map((transition) => [
          transition.at === undefined ? '' : formatTime(Date.parse(transition.at)),
          transition.groupId ?? '',
          `${transition.from} → ${transition.status}`,
          formatMetricValue(transition.value, metric),
          transition.reason ?? '',
        ]),
      ),
    ),
    card(
      'Evaluations',
      table(
        ['At', 'Group', 'Status', 'Value', 'Reason'],
        history.evaluations
          .slice(0, 100)
          .map((evaluation) => [
            formatTime(evaluation.atMs),
            evaluation.groupId === '' ? 'all' : evaluation.groupId,
            pill(evaluation.status),
            formatMetricValue(evaluation.value, metric),
            evaluation.reason ?? '',
          ]),
      ),
    ),
  );
}

/** The monitors list, or one monitor at /ui/monitors/:id. */
export const monitorsPage: Page = {
  title: 'Monitors',
  render(context) {
    const id = context.params[0];
    return id === undefined ? renderList(context) : renderDetail(context, id);
  },
};
