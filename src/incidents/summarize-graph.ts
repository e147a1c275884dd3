// One line describing a graph snapshot: metric, span, min, max and last value.
import type { GraphSnapshot } from '../monitors/monitor-transition.js';

/** The extremes and the last point of a snapshot; undefined without points. */
export interface GraphSummary {
  points: number;
  min: number;
  max: number;
  last: number;
  lastAtMs: number;
}

/** Min, max and last of a snapshot's points. */
export function graphSummary(graph: GraphSnapshot): GraphSummary | undefined {
  const last = graph.points.at(-1);
  if (last === undefined) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const point of graph.points) {
    min = Math.min(min, point.value);
    max = Math.max(max, point.value);
  }
  return { points: graph.points.length, min, max, last: last.value, lastAtMs: last.tMs };
}

/** A number for people: at most 4 significant digits after the point. */
export function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/**
 * @example summarizeGraph(snapshot) // 'latency.p95 over 30 min: min 812, max 4210, last 4210 ms (critical 4000)'
 */
export function summarizeGraph(graph: GraphSnapshot): string {
  const minutes = Math.round((graph.toMs - graph.fromMs) / 60_000);
  const summary = graphSummary(graph);
  const levels = [
    graph.thresholds.warn === undefined ? undefined : `warn ${formatValue(graph.thresholds.warn)}`,
    graph.thresholds.critical === undefined
      ? undefined
      : `critical ${formatValue(graph.thresholds.critical)}`,
  ].filter((level) => level !== undefined);
  const thresholds = levels.length === 0 ? '' : ` (${levels.join(', ')})`;
  if (summary === undefined) return `${graph.metric} over ${minutes} min: no data${thresholds}`;
  return (
    `${graph.metric} over ${minutes} min: min ${formatValue(summary.min)}, max ${formatValue(summary.max)}, ` +
    `last ${formatValue(summary.last)} ${graph.unit}${thresholds}`
  );
}
