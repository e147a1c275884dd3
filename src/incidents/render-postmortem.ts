// The postmortem draft of an incident as markdown: facts from the record and timeline, prompts for the rest.
import type { GraphSnapshot } from '../monitors/monitor-transition.js';
import type { Incident, TimelineEntry } from './incident.js';
import { incidentUrl } from './incident-notification.js';
import { formatValue, graphSummary } from './summarize-graph.js';

/** "42 min", "1 h 5 min", "2 d 3 h"; under a minute is "< 1 min". */
export function formatDuration(durationMs: number): string {
  const minutes = Math.floor(durationMs / 60_000);
  if (minutes < 1) return '< 1 min';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return rest > 0 ? `${hours} h ${rest} min` : `${hours} h`;
  return `${rest} min`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Text safe inside one markdown table cell. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function firstLine(text: string, maxChars: number): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  return line.length > maxChars ? `${line.slice(0, maxChars - 1)}…` : line;
}

function summarySection(incident: Incident, publicUrl: string | undefined): string[] {
  const url = incidentUrl(incident, publicUrl);
  const source =
    incident.monitor === undefined
      ? 'declared by hand'
      : `monitor \`${incident.monitor.id}\`${incident.groupId === undefined || incident.groupId === '' ? '' : `, group \`${incident.groupId}\``}`;
  const lines = [
    '## Summary',
    '',
    '| | |',
    '| --- | --- |',
    `| Incident | ${url === undefined ? incident.id : `[${incident.id}](${url})`} |`,
    `| Title | ${cell(incident.title)} |`,
    `| Status | ${incident.status} |`,
    `| Severity | ${incident.severity} |`,
    `| Commander | ${incident.commander === undefined ? '_none named_' : cell(incident.commander)} |`,
    `| Source | ${source} |`,
    `| Opened | ${time(incident.createdAtMs)} |`,
    `| Resolved | ${incident.resolvedAtMs === undefined ? '_not yet_' : time(incident.resolvedAtMs)} |`,
  ];
  if (incident.description !== undefined) lines.push('', incident.description);
  lines.push('', '_TODO: two or three sentences: what users saw, for how long, and what fixed it._');
  return lines;
}

function impactSection(incident: Incident): string[] {
  const end = incident.impactEndMs;
  return [
    '## Customer impact',
    '',
    `- Start: ${time(incident.impactStartMs)}${incident.source === 'monitor' ? ' (first ALERT)' : ' (declared)'}`,
    `- End: ${end === undefined ? '_ongoing_' : `${time(end)} (recovered)`}`,
    `- Duration: ${end === undefined ? '_ongoing_' : formatDuration(end - incident.impactStartMs)}`,
    '',
    '_TODO: who was affected (features, customers, share of requests) and how._',
  ];
}

function triggerSection(incident: Incident): string[] {
  const { monitor, trigger } = incident;
  if (monitor === undefined || trigger === undefined) {
    return ['## Trigger', '', 'Declared by hand; no monitor opened it.'];
  }
  return [
    '## Trigger',
    '',
    `- Monitor: \`${monitor.id}\` (${monitor.type}): ${monitor.title}`,
    `- Group: ${incident.groupId === undefined || incident.groupId === '' ? '_all traffic_' : `\`${incident.groupId}\``}`,
    `- Transition: ${trigger.from} → ${trigger.to} at ${time(trigger.atMs)}`,
    `- Value: ${trigger.value === null ? '_none_' : formatValue(trigger.value)}`,
    `- Reason: ${trigger.reason}`,
  ];
}

function timelineSection(timeline: readonly TimelineEntry[]): string[] {
  const lines = ['## Timeline', '', '| Time (UTC) | Event | By | What |', '| --- | --- | --- | --- |'];
  for (const entry of timeline) {
    const what = entry.kind === 'note' ? firstLine(entry.text, 80) : entry.text;
    lines.push(`| ${time(entry.atMs)} | ${entry.kind} | ${cell(entry.author ?? '')} | ${cell(what)} |`);
  }
  return lines;
}

function graphSection(timeline: readonly TimelineEntry[]): string[] {
  const graphs = timeline.filter((entry) => entry.kind === 'graph');
  if (graphs.length === 0) return [];
  const lines = ['## Graph snapshots', ''];
  for (const entry of graphs) {
    const graph = entry.data as unknown as GraphSnapshot;
    const summary = Array.isArray(graph.points) ? graphSummary(graph) : undefined;
    const span = `${time(graph.fromMs)} to ${time(graph.toMs)}`;
    lines.push(
      summary === undefined
        ? `- ${time(entry.atMs)} \`${graph.metric}\` (${span}): no data`
        : `- ${time(entry.atMs)} \`${graph.metric}\` (${span}, ${summary.points} points): ` +
            `min ${formatValue(summary.min)}, max ${formatValue(summary.max)}, last ${formatValue(summary.last)} ${graph.unit}` +
            (graph.thresholds.critical === undefined
              ? ''
              : `; critical ${formatValue(graph.thresholds.critical)}`) +
            (graph.thresholds.warn === undefined ? '' : `; warn ${formatValue(graph.thresholds.warn)}`),
    );
  }
  return lines;
}

function notesSection(timeline: readonly TimelineEntry[]): string[] {
  const notes = timeline.filter((entry) => entry.kind === 'note');
  const lines = ['## Notes', ''];
  if (notes.length === 0) return [...lines, '_No notes were added._'];
  for (const note of notes) {
    lines.push(
      `### ${time(note.atMs)}${note.author === undefined ? '' : ` · ${note.author}`}`,
      '',
      note.text,
      '',
    );
  }
  return lines.slice(0, -1);
}

function runbookSection(incident: Incident): string[] {
  const runbook = incident.monitor?.runbook;
  return [
    '## Runbook',
    '',
    runbook === undefined || runbook.trim() === '' ? '_No runbook linked._' : runbook,
  ];
}

/**
 * The markdown draft of a postmortem. Pure: everything comes from the incident and its timeline.
 * @example renderPostmortem({ incident, timeline, publicUrl: 'https://keel.example.com' })
 */
export function renderPostmortem(options: {
  incident: Incident;
  timeline: readonly TimelineEntry[];
  /** For the link to the incident in the dashboard. */
  publicUrl?: string | undefined;
}): string {
  const { incident, timeline } = options;
  const sections = [
    [
      `# Postmortem: ${incident.id} ${incident.title}`,
      '',
      `_Draft from Keel's incident record; edit before sharing._`,
    ],
    summarySection(incident, options.publicUrl),
    impactSection(incident),
    triggerSection(incident),
    timelineSection(timeline),
    graphSection(timeline),
    notesSection(timeline),
    runbookSection(incident),
    ['## Root cause', '', '_TODO: what caused it, and why it was possible (the contributing factors)._'],
    ['## Detection and response', '', '_TODO: how it was found, how fast, and what slowed the response._'],
    ['## Action items', '', '- [ ] _TODO: action, owner, due date_'],
  ];
  return `${sections
    .filter((section) => section.length > 0)
    .map((section) => section.join('\n'))
    .join('\n\n')}\n`;
}
