import { describe, expect, it } from 'vitest';
import { DEFAULT_INCIDENT_SETTINGS, type Incident, type TimelineEntry } from './incident.js';
import { graphSnapshot, MINUTE_MS, T0, transition } from './incident-fixtures.js';
import { applyIncidentEvent, type IncidentEvent } from './incident-lifecycle.js';
import { formatDuration, renderPostmortem } from './render-postmortem.js';

/** Runs events through the lifecycle, numbering entries like the store does. */
function history(events: [number, IncidentEvent][]): { incident: Incident; timeline: TimelineEntry[] } {
  let incident: Incident | undefined;
  const timeline: TimelineEntry[] = [];
  for (const [nowMs, event] of events) {
    const decision = applyIncidentEvent({
      incident,
      event,
      nowMs,
      settings: DEFAULT_INCIDENT_SETTINGS,
      newIncidentNumber: 3,
    });
    incident = decision.incident;
    for (const entry of decision.timeline) timeline.push({ ...entry, id: timeline.length + 1 });
  }
  if (incident === undefined) throw new Error('no incident');
  return { incident, timeline };
}

describe('renderPostmortem', () => {
  it.each([
    [0, '< 1 min'],
    [59_999, '< 1 min'],
    [42 * MINUTE_MS, '42 min'],
    [60 * MINUTE_MS, '1 h'],
    [65 * MINUTE_MS, '1 h 5 min'],
    [(2 * 24 * 60 + 3 * 60 + 10) * MINUTE_MS, '2 d 3 h'],
    [24 * 60 * MINUTE_MS, '1 d'],
  ])('formatDuration(%d) is %s', (durationMs, text) => {
    expect(formatDuration(durationMs)).toBe(text);
  });

  it('drafts a monitor incident: summary, impact, trigger, timeline, graph, notes, runbook and TODO sections', () => {
    const { incident, timeline } = history([
      [
        T0,
        {
          type: 'transition',
          transition: transition({ from: 'WARN', to: 'ALERT', atMs: T0, graph: graphSnapshot(T0) }),
        },
      ],
      [T0 + MINUTE_MS, { type: 'update', patch: { commander: 'alice' }, author: 'bob' }],
      [T0 + 2 * MINUTE_MS, { type: 'note', text: 'Tripped | the breaker\nsecond line', author: 'alice' }],
      [
        T0 + 65 * MINUTE_MS,
        {
          type: 'transition',
          transition: transition({ from: 'ALERT', to: 'OK', atMs: T0 + 65 * MINUTE_MS, value: 900 }),
        },
      ],
      [T0 + 80 * MINUTE_MS, { type: 'tick' }],
    ]);
    const markdown = renderPostmortem({ incident, timeline, publicUrl: 'https://keel.example.com' });
    expect(markdown).toContain('# Postmortem: INC-3 p95 latency above 4000 ms (provider=openai)');
    expect(markdown).toContain('| Incident | [INC-3](https://keel.example.com/ui/incidents/INC-3) |');
    expect(markdown).toContain('| Status | resolved |');
    expect(markdown).toContain('| Severity | SEV-2 |');
    expect(markdown).toContain('| Commander | alice |');
    expect(markdown).toContain('| Source | monitor `p95-latency`, group `provider=openai` |');
    expect(markdown).toContain('| Resolved | 2026-11-30T11:20:00Z |');
    expect(markdown).toContain('- Start: 2026-11-30T10:00:00Z (first ALERT)');
    expect(markdown).toContain('- End: 2026-11-30T11:05:00Z (recovered)');
    expect(markdown).toContain('- Duration: 1 h 5 min');
    expect(markdown).toContain('- Monitor: `p95-latency` (threshold): p95 latency above 4000 ms');
    expect(markdown).toContain('- Transition: WARN → ALERT at 2026-11-30T10:00:00Z');
    expect(markdown).toContain('- Value: 4210');
    expect(markdown).toContain('| 2026-11-30T10:01:00Z | commander | bob | Commander: alice |');
    // A note's first line in the table, its pipe escaped; the whole note under Notes.
    expect(markdown).toContain('| 2026-11-30T10:02:00Z | note | alice | Tripped \\| the breaker |');
    expect(markdown).toContain('### 2026-11-30T10:02:00Z · alice\n\nTripped | the breaker\nsecond line');
    expect(markdown).toContain('min 812, max 4210, last 4210 ms; critical 4000; warn 3000');
    expect(markdown).toContain('## Runbook\n\nCheck the provider status page.');
    for (const heading of ['## Root cause', '## Detection and response', '## Action items']) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('TODO');
    expect(markdown.endsWith('\n')).toBe(true);
  });

  it('drafts a declared incident that is still going on', () => {
    const { incident, timeline } = history([
      [
        T0,
        {
          type: 'declare',
          declaration: { title: 'Wrong language', severity: 'SEV-3', description: 'French answers.' },
        },
      ],
    ]);
    const markdown = renderPostmortem({ incident, timeline });
    expect(markdown).toContain('| Incident | INC-3 |');
    expect(markdown).toContain('| Commander | _none named_ |');
    expect(markdown).toContain('| Source | declared by hand |');
    expect(markdown).toContain('French answers.');
    expect(markdown).toContain('- End: _ongoing_');
    expect(markdown).toContain('Declared by hand; no monitor opened it.');
    expect(markdown).toContain('_No notes were added._');
    expect(markdown).toContain('_No runbook linked._');
    expect(markdown).not.toContain('## Graph snapshots');
  });
});
