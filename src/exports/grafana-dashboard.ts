// Generates a Grafana dashboard (JSON model) of Keel's overview panels over its Prometheus metrics.
import type { KeelConfig } from '../config/index.js';

/** A Grafana panel target: one PromQL query. */
export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: { type: 'prometheus'; uid: string };
}

/** A Grafana panel of the dashboard JSON model. */
export interface GrafanaPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'state-timeline' | 'table' | 'gauge';
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource: { type: 'prometheus'; uid: string };
  targets: GrafanaTarget[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options?: Record<string, unknown>;
}

/** The dashboard JSON model Grafana imports (Dashboards > New > Import). */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  schemaVersion: number;
  version: number;
  editable: boolean;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: Record<string, unknown>[] };
  panels: GrafanaPanel[];
}

const datasource = { type: 'prometheus', uid: '${datasource}' } as const;

interface PanelSpec {
  type?: GrafanaPanel['type'];
  title: string;
  description: string;
  unit: string;
  queries: [expr: string, legend: string][];
  width?: number;
  options?: Record<string, unknown>;
  defaults?: Record<string, unknown>;
}

const byProvider = 'sum by (provider)';
const quantiles = (family: string, by: string): [string, string][] =>
  ([0.5, 0.95, 0.99] as const).map((quantile) => [
    `histogram_quantile(${quantile}, sum by (le${by === '' ? '' : `, ${by}`}) (rate(${family}_bucket[$__rate_interval])))`,
    `p${quantile * 100}${by === '' ? '' : ` {{${by}}}`}`,
  ]);

const PANELS: PanelSpec[] = [
  {
    title: 'Requests',
    description: 'Chat requests per second by provider and outcome (keel_requests_total).',
    unit: 'reqps',
    queries: [
      [
        `sum by (provider, outcome) (rate(keel_requests_total[$__rate_interval]))`,
        '{{provider}} {{outcome}}',
      ],
    ],
  },
  {
    title: 'Error rate',
    description: 'Share of chat requests that ended in error, by provider.',
    unit: 'percentunit',
    queries: [
      [
        `${byProvider} (rate(keel_requests_total{outcome="error"}[$__rate_interval])) / ${byProvider} (rate(keel_requests_total[$__rate_interval]))`,
        '{{provider}}',
      ],
    ],
  },
  {
    title: 'Latency p50 / p95 / p99',
    description: 'Arrival to last byte, all attempts included (gen_ai_client_operation_duration_seconds).',
    unit: 's',
    queries: quantiles('gen_ai_client_operation_duration_seconds', ''),
  },
  {
    title: 'Time to first token',
    description: 'Successful streams: arrival to the first content byte, p95 and p99.',
    unit: 's',
    queries: quantiles('gen_ai_server_time_to_first_token_seconds', '').slice(1),
  },
  {
    title: 'Keel overhead',
    description: "Keel's own time per request: total minus upstream waits and retry backoff.",
    unit: 's',
    queries: quantiles('keel_overhead_seconds', ''),
  },
  {
    title: 'Tokens',
    description: 'Tokens per second by type (input, output).',
    unit: 'short',
    queries: [
      [
        'sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum[$__rate_interval]))',
        '{{gen_ai_token_type}}',
      ],
    ],
  },
  {
    title: 'Cost',
    description: 'US dollars per hour of answered usage, by provider and model.',
    unit: 'currencyUSD',
    queries: [
      [
        'sum by (provider, model) (rate(keel_cost_usd_total[$__rate_interval])) * 3600',
        '{{provider}} {{model}}',
      ],
    ],
  },
  {
    title: 'Failovers',
    description: 'Requests per second that went to more than one target, by model alias.',
    unit: 'reqps',
    queries: [['sum by (model) (rate(keel_failovers_total[$__rate_interval]))', '{{model}}']],
  },
  {
    type: 'state-timeline',
    title: 'Circuit breakers',
    description: 'Per target: 0 closed, 1 half-open, 2 open.',
    unit: 'short',
    queries: [['max by (target) (keel_circuit_breaker_state)', '{{target}}']],
    defaults: {
      mappings: [
        {
          type: 'value',
          options: {
            '0': { text: 'closed', color: 'green' },
            '1': { text: 'half-open', color: 'yellow' },
            '2': { text: 'open', color: 'red' },
          },
        },
      ],
    },
  },
  {
    type: 'state-timeline',
    title: 'Monitor status',
    description: 'Each monitor group’s status (keel_monitor_status == 1).',
    unit: 'short',
    queries: [
      ['max by (monitor, group, status) (keel_monitor_status == 1)', '{{monitor}} {{group}} {{status}}'],
    ],
  },
  {
    type: 'gauge',
    title: 'Health score',
    description: 'Keel’s 0..100 health score per environment (keel_health_score).',
    unit: 'none',
    queries: [['max by (environment) (keel_health_score)', '{{environment}}']],
    defaults: {
      min: 0,
      max: 100,
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'red', value: null },
          { color: 'yellow', value: 70 },
          { color: 'green', value: 90 },
        ],
      },
    },
  },
  {
    title: 'Cache hit ratio',
    description: 'Response cache hits / (hits + misses), by model alias.',
    unit: 'percentunit',
    queries: [
      [
        'sum by (model) (rate(keel_cache_hits_total[$__rate_interval])) / (sum by (model) (rate(keel_cache_hits_total[$__rate_interval])) + sum by (model) (rate(keel_cache_misses_total[$__rate_interval])))',
        '{{model}}',
      ],
    ],
  },
];

const PANEL_HEIGHT = 8;
const PANEL_WIDTH = 12;

/**
 * The overview dashboard: requests, errors, latency, TTFT, overhead, tokens, cost, failovers,
 * breakers, monitor status and health score, over a `datasource` variable (any Prometheus that
 * scrapes Keel's `/metrics`). The config's name for the deployment is not needed: the panels read
 * Keel's metric names only.
 */
export function grafanaDashboard(config: Readonly<KeelConfig>): GrafanaDashboard {
  const aliases = config.models.map((model) => model.name);
  const panels = PANELS.map((spec, index): GrafanaPanel => {
    const width = spec.width ?? PANEL_WIDTH;
    return {
      id: index + 1,
      type: spec.type ?? 'timeseries',
      title: spec.title,
      description: spec.description,
      gridPos: {
        h: PANEL_HEIGHT,
        w: width,
        x: (index % 2) * PANEL_WIDTH,
        y: Math.floor(index / 2) * PANEL_HEIGHT,
      },
      datasource,
      targets: spec.queries.map(([expr, legendFormat], queryIndex) => ({
        refId: String.fromCharCode(65 + queryIndex),
        expr,
        legendFormat,
        datasource,
      })),
      fieldConfig: { defaults: { unit: spec.unit, ...spec.defaults }, overrides: [] },
      ...(spec.options === undefined ? {} : { options: spec.options }),
    };
  });
  return {
    uid: 'keel-overview',
    title: 'Keel overview',
    description: `Generated by \`keel export grafana\`. Model aliases: ${aliases.join(', ') || '(none)'}.`,
    tags: ['keel', 'llm'],
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    panels,
  };
}
