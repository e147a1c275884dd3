// Requests: the request log, filtered by provider, model, status and outcome, searched, a cursor page at a time.
import type { RequestRecord, StatsAnswer } from '../api-types.js';
import { card, h, pill, table } from '../dom.js';
import { formatMs, formatTime, formatUsd } from '../format.js';
import type { Page, PageContext } from '../page-context.js';

const filterNames = ['provider', 'model', 'status', 'outcome', 'q'] as const;

/** Free-text search runs over the loaded page: the API filters by exact fields only. */
function matches(record: RequestRecord, search: string): boolean {
  if (search === '') return true;
  const haystack = [
    record.requestId,
    record.requestedModel,
    record.provider,
    record.servedModel,
    record.errorCode,
    record.environment,
    record.application,
    record.promptPreview,
    record.responsePreview,
    ...(record.failoverPath ?? []),
  ]
    .join(' ')
    .toLowerCase();
  return haystack.includes(search.toLowerCase());
}

function attemptPath(record: RequestRecord): HTMLElement {
  const steps = record.failoverPath ?? [];
  if (steps.length === 0) return h('span', { class: 'muted' }, record.cacheHit === true ? 'cache hit' : '—');
  return h(
    'ol',
    { class: 'attempt-path' },
    steps.map((step) => {
      const outcome = step.slice(step.lastIndexOf(':') + 1);
      return h('li', { class: `attempt attempt-${outcome}` }, step);
    }),
  );
}

function filterForm(
  context: PageContext,
  values: URLSearchParams,
  options: { providers: string[]; models: string[] },
) {
  const choose = (name: string, label: string, choices: string[]) =>
    h(
      'label',
      {},
      `${label} `,
      h(
        'select',
        { name, 'aria-label': label },
        h('option', { value: '' }, 'any'),
        choices.map((choice) =>
          h(
            'option',
            { value: choice, selected: values.get(name) === choice },
            choice === '' ? '(none)' : choice,
          ),
        ),
      ),
    );
  const form = h(
    'form',
    { class: 'inline-form', 'data-testid': 'request-filters' },
    h(
      'label',
      {},
      'Search ',
      h('input', {
        name: 'q',
        type: 'search',
        value: values.get('q') ?? '',
        placeholder: 'id, model, error, preview…',
      }),
    ),
    choose('provider', 'Provider', options.providers),
    choose('model', 'Model', options.models),
    h(
      'label',
      {},
      'Status ',
      h('input', {
        name: 'status',
        inputmode: 'numeric',
        size: 4,
        value: values.get('status') ?? '',
        placeholder: '429',
      }),
    ),
    choose('outcome', 'Outcome', ['ok', 'error']),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'),
    h('a', { href: '/ui/requests', class: 'chip' }, 'Clear'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const name of filterNames) {
      const entry = data.get(name);
      const value = typeof entry === 'string' ? entry.trim() : '';
      if (value !== '') next.set(name, value);
    }
    context.navigate(`/ui/requests?${next.toString()}`);
  });
  return form;
}

/** The request log. */
export const requestsPage: Page = {
  title: 'Requests',
  async render(context) {
    const values = new URLSearchParams(window.location.search);
    const [page, dimensions] = await Promise.all([
      context.api.get<{ items: RequestRecord[]; nextCursor?: string }>('/api/requests', {
        window: context.range,
        provider: values.get('provider') ?? undefined,
        model: values.get('model') ?? undefined,
        status: values.get('status') ?? undefined,
        outcome: values.get('outcome') ?? undefined,
        cursor: values.get('cursor') ?? undefined,
        limit: 50,
      }),
      context.api.get<StatsAnswer>('/api/stats', { window: context.range, group_by: 'provider,model' }),
    ]);
    const providers = [...new Set(dimensions.groups.map((group) => group.key.provider ?? ''))].sort();
    const models = [...new Set(dimensions.groups.map((group) => group.key.model ?? ''))]
      .filter(Boolean)
      .sort();
    const search = values.get('q') ?? '';
    const shown = page.items.filter((record) => matches(record, search));
    const rows = shown.map((record) => [
      h(
        'span',
        { title: `${formatTime(record.timeMs)} · ${record.requestId}`, class: 'nowrap' },
        formatTime(record.timeMs).slice(11),
      ),
      h(
        'span',
        {},
        pill(String(record.status), record.outcome === 'ok' ? 'ok' : 'alert'),
        record.errorCode === undefined ? null : h('div', { class: 'muted small' }, record.errorCode),
      ),
      h(
        'div',
        {},
        record.requestedModel,
        h('div', { class: 'muted small' }, `${record.provider ?? '—'} ${record.servedModel ?? ''}`),
      ),
      h('span', { class: 'muted small' }, `${record.environment} / ${record.application}`),
      formatMs(record.totalMs),
      formatMs(record.overheadMs),
      record.totalTokens === undefined ? '—' : String(record.totalTokens),
      formatUsd(record.costUsd),
      attemptPath(record),
      h(
        'div',
        { class: 'previews' },
        h('div', { class: 'preview', title: 'Prompt (redacted)' }, record.promptPreview ?? ''),
        h('div', { class: 'preview muted', title: 'Answer (redacted)' }, record.responsePreview ?? ''),
      ),
    ]);
    const pageLink = (cursor: string | undefined) => {
      const next = new URLSearchParams(values);
      if (cursor === undefined) next.delete('cursor');
      else next.set('cursor', cursor);
      return `/ui/requests?${next.toString()}`;
    };
    return h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Requests'),
      filterForm(context, values, { providers, models }),
      card(
        `${shown.length} of ${page.items.length} on this page`,
        table(
          [
            'Time',
            'Status',
            'Model',
            'Env / app',
            'Total',
            'Overhead',
            'Tokens',
            'Cost',
            'Attempt path',
            'Previews',
          ],
          rows,
          {
            'data-testid': 'requests-table',
            class: 'requests',
          },
        ),
        h(
          'p',
          { class: 'pager' },
          values.has('cursor') ? h('a', { href: pageLink(undefined) }, '← Newest') : null,
          page.nextCursor === undefined
            ? null
            : h('a', { href: pageLink(page.nextCursor), 'data-testid': 'next-page' }, 'Older →'),
        ),
      ),
    );
  },
};
