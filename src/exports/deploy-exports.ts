// The export files committed under deploy/, keyed by path: what `npm run exports` writes and a test checks.
import type { KeelConfig } from '../config/index.js';
import { datadogDashboard, datadogMonitors } from './datadog.js';
import { grafanaDashboard } from './grafana-dashboard.js';
import { prometheusRulesYaml } from './prometheus-rules.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The formats `keel export` writes. */
export const EXPORT_FORMATS = ['prometheus-rules', 'grafana', 'datadog'] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * One export as text. `datadog` is `{ "dashboard": ..., "monitors": [...] }`, the bodies of
 * `POST /api/v1/dashboard` and (one per monitor) `POST /api/v1/monitor`.
 */
export function exportText(config: Readonly<KeelConfig>, format: ExportFormat): string {
  switch (format) {
    case 'prometheus-rules':
      return prometheusRulesYaml(config);
    case 'grafana':
      return json(grafanaDashboard(config));
    case 'datadog': {
      const { monitors, skipped } = datadogMonitors(config);
      return json({ dashboard: datadogDashboard(config), monitors, notExported: skipped });
    }
  }
}

/** The files under `deploy/` (paths relative to the repository), made from `config`. */
export function deployExports(config: Readonly<KeelConfig>): Record<string, string> {
  const { monitors, skipped } = datadogMonitors(config);
  return {
    'deploy/prometheus/keel-rules.yml': prometheusRulesYaml(config),
    'deploy/grafana/keel-dashboard.json': json(grafanaDashboard(config)),
    'deploy/datadog/dashboard.json': json(datadogDashboard(config)),
    'deploy/datadog/monitors.json': json(monitors),
    'deploy/datadog/not-exported.json': json(skipped),
  };
}
