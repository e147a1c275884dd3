// Number and time formatting for the dashboard (pure; no DOM).

/** Milliseconds as `412 ms` or `2.41 s`; `—` without a value. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 100) return `${Math.round(value)} ms`;
  return `${value.toFixed(1)} ms`;
}

/** A ratio 0..1 as a percentage. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const percent = value * 100;
  return `${percent >= 10 || percent === 0 ? percent.toFixed(1) : percent.toFixed(2)} %`;
}

/** US dollars with enough digits for small LLM costs. */
export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value === 0) return '$0';
  if (Math.abs(value) < 0.01) return `$${value.toPrecision(2)}`;
  return `$${value.toFixed(2)}`;
}

/** A count with thousands separators (`12,345`), or `1.2 M` past a million. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1_000_000) return `${(value / 1_000_000).toFixed(1)} M`;
  return Math.round(value).toLocaleString('en-US');
}

/** Epoch ms as a local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(timeMs: number | null | undefined): string {
  if (timeMs === null || timeMs === undefined) return '—';
  const date = new Date(timeMs);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A duration in ms as `3m 12s`, `2h 5m`. */
export function formatDuration(durationMs: number): string {
  const seconds = Math.round(durationMs / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A group key (`{ provider: 'openai' }`) as `provider=openai`; `all` for the ungrouped one. */
export function formatKey(key: Record<string, string>): string {
  const parts = Object.entries(key).map(([name, value]) => `${name}=${value === '' ? '(none)' : value}`);
  return parts.length === 0 ? 'all' : parts.join(', ');
}

/** A value in a monitor metric's unit. */
export function formatMetricValue(value: number | null | undefined, metric: string): string {
  if (value === null || value === undefined) return '—';
  if (
    metric.startsWith('latency') ||
    metric.endsWith('_ms') ||
    metric.includes('ttft') ||
    metric.includes('overhead')
  )
    return formatMs(value);
  if (metric.includes('rate')) return formatPercent(value);
  if (metric.includes('cost')) return formatUsd(value);
  return Number.isInteger(value) ? formatCount(value) : value.toFixed(3);
}
