// Providers: each target's breaker with its provider's latency, errors and failovers; trip and reset by hand; chaos in force.
import type { Breaker, ChaosInjection, StatsAnswer, StatsGroup } from '../api-types.js';
import { timeChart } from '../charts.js';
import { card, h, pill, table } from '../dom.js';
import { formatCount, formatMs, formatPercent, formatTime } from '../format.js';
import type { Page, PageContext } from '../page-context.js';
import { readSeries, windowQuery, windowRangeMs } from './page-helpers.js';

function breakerButton(context: PageContext, breaker: Breaker, action: 'trip' | 'reset') {
  const button = h(
    'button',
    {
      type: 'button',
      class: action === 'trip' ? 'danger' : '',
      'data-testid': `${action}-${breaker.target}`,
      disabled: action === 'trip' ? breaker.status === 'open' : breaker.status === 'closed',
    },
    action === 'trip' ? 'Trip' : 'Reset',
  );
  button.addEventListener('click', () => {
    const verb = action === 'trip' ? 'Open' : 'Close';
    if (!window.confirm(`${verb} the breaker of ${breaker.target}?`)) return;
    button.disabled = true;
    void context.api
      .send('POST', `/api/breakers/${action}`, {
        target: breaker.target,
        reason: `${action} from the dashboard`,
      })
      .then(() => context.refresh())
      .catch((error: unknown) => {
        button.disabled = false;
        window.alert(String(error));
      });
  });
  return button;
}

function describeFaults(injection: ChaosInjection): string {
  const faults: string[] = [];
  if (injection.outage === true) faults.push(`outage (${injection.errorKind ?? '503'})`);
  if (injection.errorRate !== undefined && injection.errorRate > 0) {
    faults.push(`${formatPercent(injection.errorRate)} errors (${injection.errorKind ?? '500'})`);
  }
  if (injection.latencyMs !== undefined && injection.latencyMs > 0)
    faults.push(`+${formatMs(injection.latencyMs)}`);
  if (injection.cutRate !== undefined && injection.cutRate > 0)
    faults.push(`${formatPercent(injection.cutRate)} cut`);
  return faults.join(', ');
}

function clearButton(context: PageContext, injection: ChaosInjection) {
  const button = h('button', { type: 'button', 'data-testid': `chaos-clear-${injection.target}` }, 'Clear');
  button.addEventListener('click', () => {
    if (!window.confirm(`End the chaos injection on ${injection.target}?`)) return;
    button.disabled = true;
    void context.api
      .send('POST', '/api/chaos/clear', { target: injection.target })
      .then(() => context.refresh())
      .catch((error: unknown) => {
        button.disabled = false;
        window.alert(String(error));
      });
  });
  return button;
}

/** The fault injections in force (keel chaos inject), with a Clear button each. */
function chaosCard(context: PageContext, injections: readonly ChaosInjection[]) {
  return card(
    'Chaos injections',
    h('p', { class: 'muted' }, 'Faults injected with keel chaos inject; each ends by itself at its expiry.'),
    table(
      ['Target', 'Faults', 'Since', 'Expires', ''],
      injections.map((injection) => [
        h('strong', { 'data-testid': `chaos-${injection.target}` }, injection.target),
        describeFaults(injection),
        formatTime(Date.parse(injection.startedAt)),
        formatTime(Date.parse(injection.expiresAt)),
        clearButton(context, injection),
      ]),
      { 'data-testid': 'chaos-table' },
    ),
  );
}

/** Breakers and per-provider figures. */
export const providersPage: Page = {
  title: 'Providers',
  async render(context) {
    const [stats, latency, failovers, chaos] = await Promise.all([
      context.api.get<StatsAnswer>('/api/stats', { ...windowQuery(context), group_by: 'provider' }),
      readSeries({ ...context, groupBy: 'provider' }, { metric: 'latency_p95' }),
      readSeries({ ...context, groupBy: 'provider' }, { metric: 'failovers' }),
      context.api.get<{ injections: ChaosInjection[] }>('/api/chaos'),
    ]);
    const byProvider = new Map<string, StatsGroup>(
      stats.groups.map((group) => [group.key.provider ?? '', group]),
    );
    const rows = stats.breakers.map((breaker) => {
      const provider = breaker.target.split('/')[0] ?? '';
      const group = byProvider.get(provider);
      return [
        h('strong', {}, breaker.target),
        h('span', { 'data-testid': `breaker-${breaker.target}` }, pill(breaker.status)),
        h('span', { class: 'muted' }, breaker.reason),
        `${breaker.windowFailures}/${breaker.windowCalls}`,
        formatCount(group?.requests ?? 0),
        formatPercent(group?.errorRate),
        formatMs(group?.latency.p50),
        formatMs(group?.latency.p95),
        formatMs(group?.upstream?.p95),
        formatCount(group?.failovers ?? 0),
        h(
          'span',
          { class: 'actions' },
          breakerButton(context, breaker, 'trip'),
          breakerButton(context, breaker, 'reset'),
        ),
      ];
    });
    return h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Providers'),
      card(
        'Targets and breakers',
        h(
          'p',
          { class: 'muted' },
          'Latency, errors and failovers are per provider over the range; breakers are live.',
        ),
        table(
          [
            'Target',
            'Breaker',
            'Reason',
            'Window failures',
            'Requests',
            'Error rate',
            'p50',
            'p95',
            'Upstream p95',
            'Failovers',
            '',
          ],
          rows,
          { 'data-testid': 'providers-table' },
        ),
      ),
      chaosCard(context, chaos.injections),
      h(
        'div',
        { class: 'grid two' },
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'p95 latency by provider',
          series: latency,
          format: formatMs,
        }),
        timeChart({
          xRangeMs: windowRangeMs(context),
          title: 'Failovers by provider',
          series: failovers,
          format: formatCount,
        }),
      ),
    );
  },
};
