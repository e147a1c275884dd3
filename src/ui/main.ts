// The dashboard shell: navigation, range and group-by pickers, live refresh, theme, and client-side routing.
import './styles.css';
import { ApiClient, ApiError } from './api-client.js';
import { h, replaceChildren } from './dom.js';
import { groupings, ranges, type GroupBy, type Page, type RangeKey } from './page-context.js';
import { environmentsPage } from './pages/environments-page.js';
import { incidentsPage } from './pages/incidents-page.js';
import { monitorsPage } from './pages/monitors-page.js';
import { overviewPage } from './pages/overview-page.js';
import { providersPage } from './pages/providers-page.js';
import { requestsPage } from './pages/requests-page.js';

const refreshIntervalMs = 10_000; // 10 s

const pages: { path: string; label: string; page: Page }[] = [
  { path: 'overview', label: 'Overview', page: overviewPage },
  { path: 'providers', label: 'Providers', page: providersPage },
  { path: 'monitors', label: 'Monitors', page: monitorsPage },
  { path: 'incidents', label: 'Incidents', page: incidentsPage },
  { path: 'requests', label: 'Requests', page: requestsPage },
  { path: 'environments', label: 'Environments & experiments', page: environmentsPage },
];

const settings = {
  range: (localStorage.getItem('keel.range') ?? '1h') as RangeKey,
  groupBy: (localStorage.getItem('keel.groupBy') ?? 'provider') as GroupBy,
  live: localStorage.getItem('keel.live') !== 'off',
  theme: localStorage.getItem('keel.theme') ?? 'auto',
};
if (!(settings.range in ranges)) settings.range = '1h';

const api = new ApiClient(sessionStorage);
const main = h('main', { id: 'content' });
const status = h('span', { class: 'refresh-status', 'data-testid': 'refresh-status' });
const nav = h('nav', { 'aria-label': 'Pages' });

let renderSequence = 0;

function currentRoute(): { entry: (typeof pages)[number]; params: string[] } {
  const parts = window.location.pathname
    .replace(/^\/ui\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const entry = pages.find((candidate) => candidate.path === parts[0]) ?? pages[0]!;
  return { entry, params: parts.slice(1) };
}

function navigate(path: string): void {
  window.history.pushState({}, '', path);
  void render({ scrollTop: true });
}

/** Renders the current route; a newer render wins over one still loading. */
async function render(options: { scrollTop?: boolean } = {}): Promise<void> {
  const sequence = ++renderSequence;
  const { entry, params } = currentRoute();
  for (const link of nav.querySelectorAll('a')) {
    link.classList.toggle('active', link.dataset.page === entry.path);
  }
  document.title = `${entry.label} · Keel`;
  status.textContent = 'loading…';
  try {
    const content = await entry.page.render({
      api,
      range: settings.range,
      groupBy: settings.groupBy,
      params,
      navigate,
      refresh: () => void render(),
    });
    if (sequence !== renderSequence) return;
    replaceChildren(main, content);
    main.dataset.page = entry.path;
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    if (sequence !== renderSequence) return;
    const message =
      error instanceof ApiError ? `${error.code ?? `HTTP ${error.status}`}: ${error.message}` : String(error);
    replaceChildren(main, h('div', { class: 'error-box', role: 'alert' }, message));
    status.textContent = 'failed';
  }
  if (options.scrollTop === true) window.scrollTo(0, 0);
}

/** Live refresh leaves a page alone while someone is typing into one of its forms. */
function isEditing(): boolean {
  const active = document.activeElement;
  if (active instanceof HTMLElement && main.contains(active) && active.matches('input, textarea, select'))
    return true;
  return [...main.querySelectorAll<HTMLTextAreaElement | HTMLInputElement>('.draft')].some(
    (field) => field.value !== '',
  );
}

function applyTheme(): void {
  const dark =
    settings.theme === 'dark' ||
    (settings.theme === 'auto' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

function select<T extends string>(options: {
  label: string;
  testId: string;
  value: T;
  choices: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  const element = h(
    'select',
    { 'aria-label': options.label, 'data-testid': options.testId },
    options.choices.map((choice) =>
      h('option', { value: choice.value, selected: choice.value === options.value }, choice.label),
    ),
  );
  element.addEventListener('change', () => options.onChange(element.value as T));
  return h('label', { class: 'picker' }, h('span', {}, options.label), element);
}

function buildShell(): void {
  for (const entry of pages) {
    const link = h('a', { href: `/ui/${entry.path}`, 'data-page': entry.path }, entry.label);
    nav.append(link);
  }
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('a') : null;
    if (target === null || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey)
      return;
    const href = target.getAttribute('href') ?? '';
    if (!href.startsWith('/ui/') || target.target !== '') return;
    event.preventDefault();
    navigate(href);
  });
  window.addEventListener('popstate', () => void render());

  const liveButton = h('button', {
    type: 'button',
    'data-testid': 'live-toggle',
    'aria-pressed': String(settings.live),
  });
  const showLive = () => {
    liveButton.textContent = settings.live ? 'Live: on' : 'Live: paused';
    liveButton.setAttribute('aria-pressed', String(settings.live));
  };
  showLive();
  liveButton.addEventListener('click', () => {
    settings.live = !settings.live;
    localStorage.setItem('keel.live', settings.live ? 'on' : 'off');
    showLive();
  });
  const themeButton = h('button', { type: 'button', 'data-testid': 'theme-toggle', title: 'Theme' });
  const themes = ['auto', 'dark', 'light'];
  const showTheme = () => {
    themeButton.textContent = `Theme: ${settings.theme}`;
  };
  showTheme();
  themeButton.addEventListener('click', () => {
    settings.theme = themes[(themes.indexOf(settings.theme) + 1) % themes.length] ?? 'auto';
    localStorage.setItem('keel.theme', settings.theme);
    showTheme();
    applyTheme();
    void render();
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', applyTheme);

  const toolbar = h(
    'div',
    { class: 'toolbar' },
    select({
      label: 'Range',
      testId: 'range-picker',
      value: settings.range,
      choices: Object.entries(ranges).map(([value, range]) => ({
        value: value as RangeKey,
        label: range.label,
      })),
      onChange: (value) => {
        settings.range = value;
        localStorage.setItem('keel.range', value);
        void render();
      },
    }),
    select({
      label: 'Group by',
      testId: 'group-picker',
      value: settings.groupBy,
      choices: [{ value: 'none', label: 'none' }, ...groupings.map((value) => ({ value, label: value }))],
      onChange: (value) => {
        settings.groupBy = value;
        localStorage.setItem('keel.groupBy', value);
        void render();
      },
    }),
    liveButton,
    themeButton,
    status,
  );
  const header = h('header', {}, h('a', { class: 'brand', href: '/ui/overview' }, 'Keel'), nav, toolbar);
  replaceChildren(document.getElementById('app') ?? document.body, header, main);
  applyTheme();
  window.setInterval(() => {
    if (settings.live && document.visibilityState === 'visible' && !isEditing()) void render();
  }, refreshIntervalMs);
}

buildShell();
void render();
