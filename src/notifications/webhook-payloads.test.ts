import { describe, expect, it } from 'vitest';
import type { NotificationMessage } from './notification.js';
import {
  markdownToSlackMrkdwn,
  SLACK_LIMITS,
  toJsonPayload,
  toSlackPayload,
  truncateText,
  type SlackBlock,
} from './webhook-payloads.js';

const message: NotificationMessage = {
  kind: 'incident.opened',
  title: '[SEV-2] p95-latency ALERT provider=openai',
  text: 'p95 latency is **4200 ms** (critical 4000 ms).\nRunbook: [status page](https://status.openai.com/?a=1&b=2)',
  severity: 'SEV-2',
  status: 'open',
  url: 'https://keel.example.com/incidents/inc_1',
  incidentId: 'inc_1',
  monitorId: 'p95-latency',
  fields: { provider: 'openai', valueMs: 4200, muted: false, region: null },
  dedupeKey: 'incident:inc_1:opened',
  atMs: Date.UTC(2026, 11, 1, 9, 30),
};

function sectionFields(blocks: SlackBlock[]): { text: string }[][] {
  return blocks.flatMap((block) => ('fields' in block ? [block.fields] : []));
}

describe('toJsonPayload', () => {
  it('carries every documented field, with null for what the message does not say', () => {
    const payload = toJsonPayload(message, { deliveryId: 'd-1', sentAtMs: message.atMs + 5, attempt: 2 });
    expect(payload).toEqual({
      version: 1,
      deliveryId: 'd-1',
      kind: 'incident.opened',
      title: message.title,
      text: message.text,
      severity: 'SEV-2',
      status: 'open',
      url: 'https://keel.example.com/incidents/inc_1',
      incidentId: 'inc_1',
      monitorId: 'p95-latency',
      fields: { provider: 'openai', valueMs: 4200, muted: false, region: null },
      dedupeKey: 'incident:inc_1:opened',
      atMs: message.atMs,
      sentAtMs: message.atMs + 5,
      attempt: 2,
    });
    const bare = toJsonPayload(
      { kind: 'test', title: 't', text: '', fields: {}, dedupeKey: 'k', atMs: 1 },
      { deliveryId: 'd', sentAtMs: 2, attempt: 1 },
    );
    expect([bare.severity, bare.status, bare.url, bare.incidentId, bare.monitorId]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('toSlackPayload', () => {
  it('has a text fallback, a header, the body in mrkdwn, fields, a link and a context line', () => {
    const payload = toSlackPayload(message);
    expect(payload.text).toBe(
      `${message.title}\np95 latency is *4200 ms* (critical 4000 ms).\nRunbook: <https://status.openai.com/?a=1&b=2|status page>`,
    );
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: message.title, emoji: true },
    });
    expect(payload.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: 'p95 latency is *4200 ms* (critical 4000 ms).\nRunbook: <https://status.openai.com/?a=1&b=2|status page>',
      },
    });
    expect(sectionFields(payload.blocks)).toEqual([
      [
        { type: 'mrkdwn', text: '*Severity*\nSEV-2' },
        { type: 'mrkdwn', text: '*Status*\nopen' },
        { type: 'mrkdwn', text: '*provider*\nopenai' },
        { type: 'mrkdwn', text: '*valueMs*\n4200' },
        { type: 'mrkdwn', text: '*muted*\nfalse' },
        { type: 'mrkdwn', text: '*region*\n—' },
      ],
    ]);
    expect(payload.blocks).toContainEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<https://keel.example.com/incidents/inc_1|Open in Keel>' },
    });
    expect(payload.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'incident.opened · 2026-12-01T09:30:00.000Z · incident inc_1 · monitor p95-latency',
        },
      ],
    });
  });

  it('cuts texts to Slack’s limits and splits fields into sections of at most 10', () => {
    const fields = Object.fromEntries(
      Array.from({ length: 45 }, (_, index) => [`f${index}`, 'x'.repeat(2500)]),
    );
    const payload = toSlackPayload({ ...message, title: 'T'.repeat(400), text: 'y'.repeat(5000), fields });
    const header = payload.blocks[0];
    expect(header?.type === 'header' && header.text.text.length).toBe(SLACK_LIMITS.headerTextChars);
    const body = payload.blocks[1];
    expect(body !== undefined && 'text' in body && body.text.text.length).toBe(SLACK_LIMITS.sectionTextChars);
    expect(body !== undefined && 'text' in body && body.text.text.endsWith('…')).toBe(true);
    const sections = sectionFields(payload.blocks);
    expect(sections).toHaveLength(SLACK_LIMITS.fieldSections);
    for (const section of sections) {
      expect(section.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
      for (const field of section) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldTextChars);
    }
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    expect(payload.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackTextChars);
  });

  it('escapes &, < and > so a message cannot ping @channel or forge links', () => {
    const payload = toSlackPayload({ ...message, text: 'a <!channel> & b', fields: { 'x<y': '<@U1>' } });
    const body = payload.blocks[1];
    expect(body !== undefined && 'text' in body && body.text.text).toBe('a &lt;!channel&gt; &amp; b');
    expect(sectionFields(payload.blocks)[0]).toContainEqual({
      type: 'mrkdwn',
      text: '*x&lt;y*\n&lt;@U1&gt;',
    });
  });

  it('leaves out the body section when there is no text, and the link when there is no url', () => {
    const payload = toSlackPayload({
      kind: 'test',
      title: 'Test',
      text: '  ',
      fields: {},
      dedupeKey: 'k',
      atMs: 0,
    });
    expect(payload.text).toBe('Test');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'context']);
  });
});

describe('markdownToSlackMrkdwn', () => {
  it.each([
    ['**bold**', '*bold*'],
    ['# Heading', '*Heading*'],
    ['[docs](https://x.test/a|b)', '<https://x.test/a%7Cb|docs>'],
    ['plain *kept*', 'plain *kept*'],
    ['1 < 2 > 0', '1 &lt; 2 &gt; 0'],
  ])('%s → %s', (markdown, expected) => {
    expect(markdownToSlackMrkdwn(markdown)).toBe(expected);
  });
});

describe('truncateText', () => {
  it('keeps short text and cuts long text at a code point, with an ellipsis', () => {
    expect(truncateText('abc', 3)).toBe('abc');
    expect(truncateText('abcd', 3)).toBe('ab…');
    expect(truncateText('😀😀😀😀', 3)).toBe('😀😀…');
  });
});
