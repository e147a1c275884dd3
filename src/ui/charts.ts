// uPlot wrappers: time-series charts with aligned series and threshold lines, and sparklines.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';

/** One line: its label and its points (epoch ms). */
export interface ChartSeries {
  label: string;
  points: { tMs: number; value: number | null }[];
}

/** A horizontal line at a value (warn, critical...). */
export interface ThresholdLine {
  label: string;
  value: number;
  tone: 'warn' | 'critical' | 'neutral';
}

const palette = ['#4e9af1', '#f1a24e', '#58c27d', '#d46ae0', '#e0d46a', '#6ad4e0', '#e06a6a', '#9a9a9a'];

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

/** Joins series on the union of their timestamps (uPlot wants one x array), null where a series has no point. */
export function alignSeries(series: ChartSeries[]): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((line) => line.points.map((point) => point.tMs)))].sort(
    (a, b) => a - b,
  );
  const index = new Map(times.map((time, position) => [time, position]));
  const columns = series.map((line) => {
    const values: (number | null)[] = new Array<number | null>(times.length).fill(null);
    for (const point of line.points) values[index.get(point.tMs) ?? 0] = point.value;
    return values;
  });
  return [times.map((time) => time / 1000), ...columns];
}

/**
 * A time-series chart that fills its container's width.
 * @example container.append(timeChart({ title: 'Requests', series, format: formatCount }))
 */
export function timeChart(options: {
  title: string;
  series: ChartSeries[];
  format: (value: number) => string;
  thresholds?: ThresholdLine[];
  heightPx?: number;
  testId?: string;
  /** The x axis's span, epoch ms; default: the points' own span (padded when there is only one). */
  xRangeMs?: [number, number];
}): HTMLElement {
  const holder = h('div', { class: 'chart', 'data-testid': options.testId });
  const figure = h('figure', { class: 'chart-card' }, h('figcaption', {}, options.title), holder);
  const hasPoints = options.series.some((line) => line.points.length > 0);
  if (!hasPoints) {
    holder.append(h('div', { class: 'empty chart-empty' }, 'No data in this range.'));
    return figure;
  }
  const axisColor = cssColor('--muted', '#888');
  const gridColor = cssColor('--grid', 'rgba(128,128,128,0.2)');
  const thresholds = options.thresholds ?? [];
  const thresholdColors = {
    warn: cssColor('--warn', '#e0a030'),
    critical: cssColor('--alert', '#e05050'),
    neutral: axisColor,
  };
  const chartOptions: uPlot.Options = {
    width: 600,
    height: options.heightPx ?? 200,
    legend: { show: options.series.length > 1 || thresholds.length > 0 },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: {
        time: true,
        range: (_chart, min, max) => {
          if (options.xRangeMs !== undefined) return [options.xRangeMs[0] / 1000, options.xRangeMs[1] / 1000];
          return min === max ? [min - 60, max + 60] : [min, max];
        },
      },
      y: {
        range: (_chart, min, max) => {
          const values = [min, max, ...thresholds.map((line) => line.value)].filter(Number.isFinite);
          const low = Math.min(0, ...values);
          const high = Math.max(...values);
          return [low, high === low ? low + 1 : high * 1.1];
        },
      },
    },
    axes: [
      { stroke: axisColor, grid: { stroke: gridColor } },
      {
        stroke: axisColor,
        grid: { stroke: gridColor },
        size: 84,
        values: (_chart, ticks) => ticks.map((tick) => options.format(tick)),
      },
    ],
    series: [
      {},
      ...options.series.map((line, position) => ({
        label: line.label,
        stroke: palette[position % palette.length],
        width: 2,
        spanGaps: false,
        points: { show: line.points.length < 3 },
        value: (_chart: uPlot, value: number | null) => (value === null ? '—' : options.format(value)),
      })),
    ],
    hooks: {
      draw: [
        (chart) => {
          const { ctx, bbox } = chart;
          for (const line of thresholds) {
            const y = chart.valToPos(line.value, 'y', true);
            ctx.save();
            ctx.strokeStyle = thresholdColors[line.tone];
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(bbox.left, y);
            ctx.lineTo(bbox.left + bbox.width, y);
            ctx.stroke();
            ctx.fillStyle = thresholdColors[line.tone];
            ctx.font = `${12 * devicePixelRatio}px sans-serif`;
            const label = `${line.label} ${options.format(line.value)}`;
            ctx.textAlign = 'right';
            ctx.fillText(label, bbox.left + bbox.width - 6, y - 4);
            ctx.restore();
          }
        },
      ],
    },
  };
  const chart = new uPlot(chartOptions, alignSeries(options.series), holder);
  fitWidth(chart, holder);
  return figure;
}

/** A tiny line with no axes, for tables. */
export function sparkline(
  points: { tMs: number; value: number | null }[],
  tone = 'var(--accent)',
): HTMLElement {
  const holder = h('span', { class: 'sparkline' });
  if (points.length < 2) {
    holder.textContent = points.length === 0 ? '—' : '·';
    return holder;
  }
  const stroke = tone.startsWith('var(') ? cssColor(tone.slice(4, -1), '#4e9af1') : tone;
  new uPlot(
    {
      width: 120,
      height: 28,
      legend: { show: false },
      cursor: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: false } },
      series: [{}, { stroke, width: 1.5 }],
    },
    alignSeries([{ label: '', points }]),
    holder,
  );
  return holder;
}

/** Resizes the chart with its container (charts are built before they are attached). */
function fitWidth(chart: uPlot, holder: HTMLElement): void {
  const observer = new ResizeObserver(() => {
    if (!holder.isConnected) {
      observer.disconnect();
      chart.destroy();
      return;
    }
    const width = Math.max(200, Math.floor(holder.clientWidth));
    if (Math.abs(width - chart.width) > 2) chart.setSize({ width, height: chart.height });
  });
  observer.observe(holder);
}
