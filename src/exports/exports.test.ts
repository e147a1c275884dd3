import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { exportCommand } from '../cli/export-command.js';
import { demoConfig, validateConfig } from '../config/index.js';
import { datadogDashboard, datadogMonitors } from './datadog.js';
import { deployExports } from './deploy-exports.js';
import { grafanaDashboard } from './grafana-dashboard.js';
import { prometheusRules, prometheusRulesYaml } from './prometheus-rules.js';
import { translateMonitorQuery } from './translate-monitor-to-promql.js';

const demo = validateConfig(demoConfig, { source: 'built-in demo config' });
const root = new URL('../../', import.meta.url);

/** The fields Grafana's dashboard JSON model documents for import (grafana.com/docs, "JSON model"). */
const grafanaSchema = z.object({
  title: z.string().min(1),
  uid: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  time: z.object({ from: z.string(), to: z.string() }),
  templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
  panels: z
    .array(
      z.object({
        id: z.number().int(),
        type: z.enum(['timeseries', 'stat', 'state-timeline', 'table', 'gauge']),
        title: z.string().min(1),
        gridPos: z.object({
          h: z.number().int().positive(),
          w: z.number().int().min(1).max(24),
          x: z.number().int().min(0).max(23),
          y: z.number().int().min(0),
        }),
        targets: z.array(z.object({ refId: z.string().regex(/^[A-Z]$/), expr: z.string().min(1) })).min(1),
      }),
    )
    .min(1),
});

/** Datadog API v1 `POST /api/v1/monitor` required fields and the options Keel sets. */
const datadogMonitorSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['query alert', 'metric alert']),
  query: z.string().regex(/^(sum|avg|max|min)\(last_\d+[mhd]\):.+ [<>] -?[\d.]+$/),
  message: z.string().min(1),
  tags: z.array(z.string().regex(/^[^\s]+$/)),
  priority: z.number().int().min(1).max(5),
  options: z.object({
    thresholds: z.object({
      critical: z.number(),
      warning: z.number().optional(),
      critical_recovery: z.number().optional(),
      warning_recovery: z.number().optional(),
    }),
    notify_no_data: z.boolean(),
  }),
});

/** Datadog API v1 `POST /api/v1/dashboard` required fields. */
const datadogDashboardSchema = z.object({
  title: z.string().min(1),
  layout_type: z.enum(['ordered', 'free']),
  widgets: z
    .array(
      z.object({
        definition: z.object({
          type: z.string().min(1),
          title: z.string().optional(),
          requests: z.array(z.object({ q: z.string().min(1) })).min(1),
        }),
      }),
    )
    .min(1),
});

function promtool(...args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const customConfig = validateConfig(
  {
    ...demoConfig,
    monitors: {
      definitions: [
        {
          id: 'model-errors',
          type: 'threshold',
          metric: 'error_rate',
          groupBy: ['model'],
          window: '10m',
          critical: 0.2,
          filters: { provider: 'sim-openai' },
        },
        {
          id: 'slow-gpt',
          type: 'threshold',
          metric: 'latency.p99',
          window: '15m',
          critical: 3000,
          filters: { model: 'chat-default' },
        },
        { id: 'quiet', type: 'threshold', metric: 'requests', window: '1h', direction: 'below', critical: 1 },
        { id: 'spend', type: 'threshold', metric: 'cost.sum', window: '1d', critical: 50 },
        {
          id: 'prod-errors',
          type: 'threshold',
          metric: 'error_rate',
          window: '5m',
          critical: 0.1,
          filters: { environment: 'prod' },
        },
        {
          id: 'probe-failing',
          type: 'threshold',
          metric: 'probe.failure_rate',
          groupBy: ['environment', 'model'],
          window: '5m',
          critical: 0.5,
          minRequests: 2,
        },
        {
          id: 'probe-slow',
          type: 'threshold',
          metric: 'probe.latency.p95',
          window: '15m',
          critical: 10_000,
          filters: { environment: 'prod' },
        },
        {
          id: 'availability',
          type: 'slo',
          objective: 0.999,
          good: 'status=ok',
          filters: { model: 'chat-default' },
        },
      ],
    },
  },
  { source: 'test config' },
);

describe('exports', () => {
  it('deploy/ holds the exports of the demo config: run `npm run exports` after changing them', () => {
    for (const [path, text] of Object.entries(deployExports(demo))) {
      expect(readFileSync(new URL(path, root), 'utf8'), path).toBe(text);
    }
  });

  it('promtool checks the generated rules and passes their unit tests (burn-rate alerts included)', () => {
    expect(promtool('check', 'rules', new URL('deploy/prometheus/keel-rules.yml', root).pathname)).toContain(
      'SUCCESS',
    );
    expect(
      promtool('test', 'rules', new URL('deploy/prometheus/keel-rules.test.yml', root).pathname),
    ).toContain('SUCCESS');
  });

  it('translates configured monitors and refuses what Prometheus has no label for', () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-exports-'));
    const file = join(directory, 'rules.yml');
    writeFileSync(file, prometheusRulesYaml(customConfig));
    expect(promtool('check', 'rules', file)).toContain('SUCCESS');
    const { rules, skipped } = prometheusRules(customConfig);
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.find((rule) => rule.labels?.monitor === 'model-errors')?.expr).toBe(
      'sum by (model) (rate(keel_requests_total{provider="sim-openai",outcome="error"}[10m])) / sum by (model) (rate(keel_requests_total{provider="sim-openai"}[10m]))',
    );
    expect(all.find((rule) => rule.alert === 'KeelQuiet')?.expr).toBe(
      'keel_monitor:quiet:value{monitor="quiet"} < 1',
    );
    expect(all.find((rule) => rule.record === 'keel_slo:error_ratio:rate5m')?.expr).toBe(
      'sum(rate(keel_requests_total{model="chat-default",outcome="error"}[5m])) / sum(rate(keel_requests_total{model="chat-default"}[5m]))',
    );
    expect(all.filter((rule) => rule.alert === 'KeelSloErrorBudgetBurn').map((rule) => rule.expr)).toContain(
      'keel_slo:error_ratio:rate1h{monitor="availability"} > 0.0144 and keel_slo:error_ratio:rate5m{monitor="availability"} > 0.0144',
    );
    expect(skipped).toEqual([
      { id: 'prod-errors', reason: 'keel_requests_total cannot be filtered by environment' },
    ]);
    // Probe monitors read keel_probe_*, guarded by the probe count rather than requests.
    expect(all.find((rule) => rule.record === 'keel_monitor:probe_failing:value')?.expr).toBe(
      'sum by (environment, model) (rate(keel_probes_total{outcome="failure"}[5m])) / sum by (environment, model) (rate(keel_probes_total[5m]))',
    );
    expect(
      translateMonitorQuery({
        metric: 'probe.latency.p95',
        groupBy: [],
        window: '15m',
        filters: { environment: 'prod' },
      }),
    ).toEqual({
      value:
        'histogram_quantile(0.95, sum by (le) (rate(keel_probe_duration_seconds_bucket{environment="prod"}[15m]))) * 1000',
      requests: 'sum(increase(keel_probes_total{environment="prod"}[15m]))',
      groupLabels: [],
    });
    expect(prometheusRulesYaml(customConfig)).toContain(
      '# Not exported: prod-errors: keel_requests_total cannot be filtered by environment.',
    );
  });

  it('keeps the default pack when no monitors are configured, and lists anomaly and forecast monitors as not exported', () => {
    const { skipped } = prometheusRules(demo);
    expect(skipped.map((monitor) => monitor.id)).toEqual([
      'error-rate-anomaly',
      'p95-latency-anomaly',
      'cost-anomaly',
      'daily-cost-budget',
    ]);
    expect(parse(prometheusRulesYaml(demo))).toEqual(prometheusRules(demo).rules);
  });

  it('groups latency by provider type on the GenAI histograms and cannot filter them by provider id', () => {
    expect(
      translateMonitorQuery({ metric: 'ttft.p95', groupBy: ['provider'], window: '5m', filters: undefined }),
    ).toMatchObject({
      groupLabels: ['gen_ai_provider_name'],
    });
    expect(
      translateMonitorQuery({
        metric: 'latency.p95',
        groupBy: [],
        window: '5m',
        filters: { provider: 'primary' },
      }),
    ).toEqual({ skip: 'gen_ai_client_operation_duration_seconds cannot be filtered by provider' });
  });

  it('writes a Grafana dashboard of the documented shape with the overview panels', () => {
    const dashboard = grafanaSchema.parse(grafanaDashboard(demo));
    const queries = dashboard.panels
      .flatMap((panel) => panel.targets.map((target) => target.expr))
      .join('\n');
    for (const family of [
      'keel_requests_total',
      'gen_ai_client_operation_duration_seconds_bucket',
      'gen_ai_server_time_to_first_token_seconds_bucket',
      'keel_overhead_seconds_bucket',
      'gen_ai_client_token_usage_sum',
      'keel_cost_usd_total',
      'keel_circuit_breaker_state',
      'keel_monitor_status',
      'keel_health_score',
    ])
      expect(queries).toContain(family);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('writes Datadog monitors and a dashboard of the documented shapes', () => {
    const { monitors, skipped } = datadogMonitors(demo);
    for (const monitor of monitors) {
      const parsed = datadogMonitorSchema.parse(monitor);
      expect(parsed.query.endsWith(` ${parsed.options.thresholds.critical}`)).toBe(true);
    }
    expect(monitors.map((monitor) => monitor.name)).toContain(
      '[Keel] latency-slo: error budget burn 14.4x over 1h',
    );
    expect(skipped.map((monitor) => monitor.id)).toContain('cost-anomaly');
    datadogDashboardSchema.parse(datadogDashboard(demo));
    const custom = datadogMonitors(customConfig);
    expect(custom.monitors.find((monitor) => monitor.name === '[Keel] slow-gpt')?.query).toBe(
      'avg(last_15m):p99:keel.request.duration{model:chat-default} > 3000',
    );
    // Probes send no DogStatsD metrics: their monitors stay in Keel.
    expect(custom.skipped.map((monitor) => monitor.id)).toEqual([
      'prod-errors',
      'probe-failing',
      'probe-slow',
    ]);
  });

  it('keel export writes each format to stdout or --out, and names the formats on a bad one', async () => {
    const rules = await exportCommand(['prometheus-rules'], {});
    expect(rules).toBe(prometheusRulesYaml(demo));
    const directory = mkdtempSync(join(tmpdir(), 'keel-export-cli-'));
    const out = join(directory, 'dashboard.json');
    expect(await exportCommand(['grafana', '--out', out], {})).toBe(`wrote grafana to ${out}\n`);
    grafanaSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const datadog = JSON.parse(await exportCommand(['datadog'], {})) as {
      dashboard: unknown;
      monitors: unknown[];
    };
    datadogDashboardSchema.parse(datadog.dashboard);
    expect(datadog.monitors.length).toBeGreaterThan(0);
    await expect(exportCommand(['kibana'], {})).rejects.toThrow(
      'write one format: prometheus-rules, grafana, datadog (got "kibana")',
    );
  });
});
