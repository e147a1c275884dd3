// `keel export`: Prometheus rules, a Grafana dashboard or Datadog definitions made from a config's monitors.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { demoConfig, loadConfigFile, validateConfig } from '../config/index.js';
import { EXPORT_FORMATS, exportText, type ExportFormat } from '../exports/deploy-exports.js';

export const exportUsage = `  keel export prometheus-rules|grafana|datadog [--config FILE] [--out FILE]
      Prometheus recording and alerting rules (monitors and SLO burn rates), a Grafana dashboard,
      or Datadog dashboard and monitors, from the config's monitors (the default pack when it has
      none; without --config or KEEL_CONFIG, the built-in demo). Written to --out or stdout.`;

/**
 * Runs `keel export FORMAT`: returns the text for stdout, or writes it to `--out` and returns a
 * one-line note.
 *
 * @throws Error naming the bad format; parseArgs errors (with a `code`) for bad flags.
 */
export async function exportCommand(args: string[], environment = process.env): Promise<string> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' } },
    allowPositionals: true,
    strict: true,
  });
  const [format, ...extra] = positionals;
  if (format === undefined || !(EXPORT_FORMATS as readonly string[]).includes(format) || extra.length > 0)
    throw new Error(
      `write one format: ${EXPORT_FORMATS.join(', ')}${format === undefined ? '' : ` (got ${JSON.stringify(positionals.join(' '))})`}`,
    );
  const path = values.config ?? (environment.KEEL_CONFIG || undefined);
  const config =
    path === undefined
      ? validateConfig(demoConfig, { source: 'built-in demo config' })
      : await loadConfigFile(path);
  const text = exportText(config, format as ExportFormat);
  if (values.out === undefined) return text;
  writeFileSync(values.out, text);
  return `wrote ${format} to ${values.out}\n`;
}
