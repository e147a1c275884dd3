// Incidents: the list by status and severity, and one incident's timeline, graphs, runbook, notes and changes.
import type { GraphSnapshot, Incident, TimelineEntry } from '../api-types.js';
import { timeChart, type ThresholdLine } from '../charts.js';
import { card, h, pill, table } from '../dom.js';
import { formatDuration, formatMetricValue, formatTime } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import type { Page, PageContext } from '../page-context.js';

const statuses = ['active', 'stable', 'resolved'] as const;
const severities = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4', 'SEV-5'] as const;

async function renderList(context: PageContext): Promise<HTMLElement> {
  const query = new URLSearchParams(window.location.search);
  const status = query.get('status') ?? 'active,stable';
  const severity = query.get('severity') ?? '';
  const cursor = query.get('cursor') ?? undefined;
  const answer = await context.api.get<{ incidents: Incident[]; nextCursor?: string }>('/api/incidents', {
    status: status === 'all' ? undefined : status,
    severity: severity === '' ? undefined : severity,
    cursor,
    limit: 50,
  });
  const link = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams({ status, severity });
    for (const [name, value] of Object.entries(changes)) {
      if (value === undefined || value === '') next.delete(name);
      else next.set(name, value);
    }
    if (next.get('severity') === '') next.delete('severity');
    return `/ui/incidents?${next.toString()}`;
  };
  const statusFilters = [
    ['active,stable', 'Open'],
    ['active', 'Active'],
    ['stable', 'Stable'],
    ['resolved', 'Resolved'],
    ['all', 'All'],
  ].map(([value, label]) =>
    h('a', { href: link({ status: value }), class: value === status ? 'chip active' : 'chip' }, label ?? ''),
  );
  const severityFilters = ['', ...severities].map((value) =>
    h(
      'a',
      { href: link({ severity: value }), class: value === severity ? 'chip active' : 'chip' },
      value === '' ? 'Any severity' : value,
    ),
  );
  const sorted = [...answer.incidents].sort(
    (left, right) =>
      statuses.indexOf(left.status) - statuses.indexOf(right.status) ||
      left.severity.localeCompare(right.severity),
  );
  const rows = sorted.map((incident) => [
    h('a', { href: `/ui/incidents/${encodeURIComponent(incident.id)}` }, incident.id),
    pill(incident.severity),
    pill(incident.status),
    h(
      'a',
      { href: `/ui/incidents/${encodeURIComponent(incident.id)}`, 'data-testid': 'incident-title' },
      incident.title,
    ),
    incident.commander ?? '—',
    formatTime(incident.createdAtMs),
    formatDuration((incident.impactEndMs ?? Date.now()) - (incident.impactStartMs ?? incident.createdAtMs)),
  ]);
  return h(
    'div',
    { class: 'page' },
    h('h1', {}, 'Incidents'),
    h('div', { class: 'filters' }, statusFilters),
    h('div', { class: 'filters' }, severityFilters),
    card(
      `${answer.incidents.length} incident${answer.incidents.length === 1 ? '' : 's'}`,
      table(['Id', 'Severity', 'Status', 'Title', 'Commander', 'Opened', 'Impact'], rows, {
        'data-testid': 'incidents-table',
      }),
      answer.nextCursor === undefined
        ? null
        : h('p', {}, h('a', { href: link({ cursor: answer.nextCursor }) }, 'Older incidents →')),
    ),
  );
}

function graphChart(entry: TimelineEntry): HTMLElement {
  const graph = entry.data as unknown as GraphSnapshot;
  const thresholds: ThresholdLine[] = [];
  if (typeof graph.thresholds?.warn === 'number')
    thresholds.push({ label: 'warn', value: graph.thresholds.warn, tone: 'warn' });
  if (typeof graph.thresholds?.critical === 'number')
    thresholds.push({ label: 'critical', value: graph.thresholds.critical, tone: 'critical' });
  return timeChart({
    title: entry.text,
    series: [{ label: graph.metric, points: graph.points ?? [] }],
    format: (value) => formatMetricValue(value, graph.metric),
    thresholds,
    testId: 'incident-graph',
    xRangeMs:
      typeof graph.fromMs === 'number' && typeof graph.toMs === 'number'
        ? [graph.fromMs, graph.toMs]
        : undefined,
  });
}

function timelineItem(entry: TimelineEntry): HTMLElement {
  return h(
    'li',
    { class: `timeline-entry kind-${entry.kind}`, 'data-kind': entry.kind },
    h(
      'div',
      { class: 'timeline-meta' },
      formatTime(entry.atMs),
      ' ',
      pill(entry.kind, 'kind'),
      entry.author === undefined ? null : ` ${entry.author}`,
    ),
    entry.kind === 'note'
      ? renderMarkdown(entry.text)
      : entry.kind === 'graph'
        ? graphChart(entry)
        : h('div', {}, entry.text),
  );
}

function changeForm(context: PageContext, incident: Incident): HTMLElement {
  const status = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    statuses.map((value) => h('option', { value, selected: value === incident.status }, value)),
  );
  const severity = h(
    'select',
    { name: 'severity', 'aria-label': 'Severity' },
    severities.map((value) => h('option', { value, selected: value === incident.severity }, value)),
  );
  const commander = h('input', {
    name: 'commander',
    placeholder: 'commander',
    value: incident.commander ?? '',
    'aria-label': 'Commander',
  });
  const author = h('input', {
    name: 'author',
    placeholder: 'your name',
    'aria-label': 'Your name',
    value: localStorage.getItem('keel.author') ?? '',
  });
  const form = h(
    'form',
    { class: 'inline-form', 'data-testid': 'incident-change' },
    h('label', {}, 'Status ', status),
    h('label', {}, 'Severity ', severity),
    h('label', {}, 'Commander ', commander),
    h('label', {}, 'As ', author),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const change: Record<string, unknown> = {};
    if (status.value !== incident.status) change.status = status.value;
    if (severity.value !== incident.severity) change.severity = severity.value;
    const newCommander = commander.value.trim();
    if (newCommander !== (incident.commander ?? ''))
      change.commander = newCommander === '' ? null : newCommander;
    if (Object.keys(change).length === 0) return;
    if (author.value.trim() !== '') {
      change.author = author.value.trim();
      localStorage.setItem('keel.author', author.value.trim());
    }
    void context.api
      .send('PATCH', `/api/incidents/${encodeURIComponent(incident.id)}`, change)
      .then(() => context.refresh())
      .catch((error: unknown) => window.alert(String(error)));
  });
  return form;
}

function noteForm(context: PageContext, incident: Incident): HTMLElement {
  const text = h('textarea', {
    name: 'note',
    rows: 4,
    class: 'draft',
    placeholder: 'Add a note (markdown)',
    'aria-label': 'Note',
    'data-testid': 'note-text',
  });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'note-submit' }, 'Add note');
  const form = h('form', { class: 'note-form' }, text, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const note = text.value.trim();
    if (note === '') return;
    submit.disabled = true;
    const author = localStorage.getItem('keel.author') ?? undefined;
    void context.api
      .send('POST', `/api/incidents/${encodeURIComponent(incident.id)}/notes`, {
        text: note,
        author: author === '' ? undefined : author,
      })
      .then(() => {
        text.value = '';
        context.refresh();
      })
      .catch((error: unknown) => {
        submit.disabled = false;
        window.alert(String(error));
      });
  });
  return form;
}

function postmortemCard(context: PageContext, incident: Incident): HTMLElement {
  const holder = h('div', {});
  const button = h('button', { type: 'button', 'data-testid': 'postmortem-draft' }, 'Draft postmortem');
  button.addEventListener('click', () => {
    void context.api
      .get<{ markdown: string }>(`/api/incidents/${encodeURIComponent(incident.id)}/postmortem`, {
        format: 'json',
      })
      .then((answer) => {
        holder.replaceChildren(
          h('div', { class: 'postmortem' }, renderMarkdown(answer.markdown)),
          h('details', {}, h('summary', {}, 'Markdown source'), h('pre', {}, answer.markdown)),
        );
      })
      .catch((error: unknown) => window.alert(String(error)));
  });
  return card('Postmortem', button, holder);
}

async function renderDetail(context: PageContext, id: string): Promise<HTMLElement> {
  const { incident, timeline } = await context.api.get<{ incident: Incident; timeline: TimelineEntry[] }>(
    `/api/incidents/${encodeURIComponent(id)}`,
  );
  const runbook = incident.monitor?.runbook;
  return h(
    'div',
    { class: 'page', 'data-incident': incident.id },
    h('p', {}, h('a', { href: '/ui/incidents' }, '← Incidents')),
    h('h1', {}, `${incident.id} `, incident.title),
    h(
      'p',
      {},
      pill(incident.severity),
      ' ',
      pill(incident.status),
      h('span', { class: 'muted' }, ` opened ${formatTime(incident.createdAtMs)} · ${incident.source}`),
      incident.commander === undefined
        ? null
        : h('span', { class: 'muted' }, ` · commander ${incident.commander}`),
      incident.trigger === undefined
        ? null
        : h('span', { class: 'muted' }, ` · trigger: ${incident.trigger.reason}`),
    ),
    changeForm(context, incident),
    incident.description === undefined ? null : card('Description', renderMarkdown(incident.description)),
    h(
      'div',
      { class: 'grid detail' },
      card(
        'Timeline',
        h('ol', { class: 'timeline', 'data-testid': 'timeline' }, timeline.map(timelineItem)),
        noteForm(context, incident),
      ),
      h(
        'div',
        {},
        card(
          'Runbook',
          runbook === undefined
            ? h('p', { class: 'empty' }, 'No runbook for this monitor.')
            : renderMarkdown(runbook),
        ),
        postmortemCard(context, incident),
      ),
    ),
  );
}

/** The incidents list, or one incident at /ui/incidents/:id. */
export const incidentsPage: Page = {
  title: 'Incidents',
  render(context) {
    const id = context.params[0];
    return id === undefined ? renderList(context) : renderDetail(context, id);
  },
};
