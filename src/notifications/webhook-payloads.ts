// The bodies Keel POSTs to webhooks: its own versioned JSON payload and a Slack incoming-webhook message.
import type { NotificationKind, NotificationMessage } from './notification.js';

/** Bumped only when a field of the JSON payload changes meaning or goes away; new fields do not bump it. */
export const NOTIFICATION_PAYLOAD_VERSION = 1;

/** Facts about one delivery attempt that are not part of the message. */
export interface DeliveryMeta {
  /** The outbox id of this message for this target: the same on every retry, so receivers can dedupe. */
  deliveryId: string;
  /** When this attempt was sent, epoch ms. */
  sentAtMs: number;
  /** 1 for the first attempt. */
  attempt: number;
}

/** `format: json`: Keel's documented payload. Absent optional facts are `null`, so every key is always present. */
export interface JsonNotificationPayload {
  version: typeof NOTIFICATION_PAYLOAD_VERSION;
  deliveryId: string;
  kind: NotificationKind;
  title: string;
  text: string;
  severity: string | null;
  status: string | null;
  url: string | null;
  incidentId: string | null;
  monitorId: string | null;
  fields: Record<string, string | number | boolean | null>;
  dedupeKey: string;
  /** When the event happened, epoch ms. */
  atMs: number;
  /** When this attempt was sent, epoch ms. */
  sentAtMs: number;
  attempt: number;
}

/** Builds the JSON payload; pure. */
export function toJsonPayload(message: NotificationMessage, meta: DeliveryMeta): JsonNotificationPayload {
  return {
    version: NOTIFICATION_PAYLOAD_VERSION,
    deliveryId: meta.deliveryId,
    kind: message.kind,
    title: message.title,
    text: message.text,
    severity: message.severity ?? null,
    status: message.status ?? null,
    url: message.url ?? null,
    incidentId: message.incidentId ?? null,
    monitorId: message.monitorId ?? null,
    fields: { ...message.fields },
    dedupeKey: message.dedupeKey,
    atMs: message.atMs,
    sentAtMs: meta.sentAtMs,
    attempt: meta.attempt,
  };
}

/** Block Kit limits (docs.slack.dev/reference/block-kit/blocks): exceeding one makes Slack refuse the whole message. */
export const SLACK_LIMITS = {
  headerTextChars: 150,
  sectionTextChars: 3000,
  fieldsPerSection: 10,
  fieldTextChars: 2000,
  contextElements: 10,
  /** Our own cap on field sections, well under Slack's 50 blocks per message. */
  fieldSections: 4,
  /** The top-level `text`, shown in notifications and where blocks cannot be; Slack truncates at 40 000. */
  fallbackTextChars: 3000,
} as const;

interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

/** The subset of Block Kit Keel sends. */
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

/** `format: slack`: an incoming-webhook body. */
export interface SlackNotificationPayload {
  /** Fallback for notifications and clients that do not render blocks. */
  text: string;
  blocks: SlackBlock[];
}

/** Cuts `text` to at most `maxChars` characters (code points), ending with an ellipsis when cut. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const characters = Array.from(text);
  if (characters.length <= maxChars) return text;
  return `${characters.slice(0, maxChars - 1).join('')}…`;
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is literal. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A URL inside `<url|label>`: `|` and `>` would end it early. */
function slackLinkUrl(url: string): string {
  return url.replace(/\|/g, '%7C').replace(/>/g, '%3E').replace(/</g, '%3C');
}

/**
 * Markdown as monitors and incidents write it, in Slack's mrkdwn: `**bold**` → `*bold*`,
 * `[label](url)` → `<url|label>`, `# heading` → `*heading*`. Other text is escaped, not interpreted.
 */
export function markdownToSlackMrkdwn(markdown: string): string {
  return escapeSlackText(markdown)
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_match, label: string, url: string) => {
      return `<${slackLinkUrl(url.replace(/&amp;/g, '&'))}|${label}>`;
    })
    .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
    .replace(/^#{1,6}\s+(.+)$/gm, '*$1*');
}

function mrkdwn(text: string, maxChars: number): SlackText {
  return { type: 'mrkdwn', text: truncateText(text, maxChars) };
}

function fieldValue(value: string | number | boolean | null): string {
  return value === null ? '—' : String(value);
}

/** Builds the Slack payload; pure. Every text is cut to fit Slack's limits rather than refused. */
export function toSlackPayload(message: NotificationMessage): SlackNotificationPayload {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncateText(message.title, SLACK_LIMITS.headerTextChars),
        emoji: true,
      },
    },
  ];
  if (message.text.trim() !== '') {
    blocks.push({
      type: 'section',
      text: mrkdwn(markdownToSlackMrkdwn(message.text), SLACK_LIMITS.sectionTextChars),
    });
  }
  const facts: [string, string][] = [];
  if (message.severity !== undefined) facts.push(['Severity', message.severity]);
  if (message.status !== undefined) facts.push(['Status', message.status]);
  // Severity and status are shown once, from the message, even when the fields repeat them.
  const shown = new Set(facts.map(([name]) => name.toLowerCase()));
  for (const [name, value] of Object.entries(message.fields)) {
    if (!shown.has(name.toLowerCase())) facts.push([name, fieldValue(value)]);
  }
  const maxFields = SLACK_LIMITS.fieldsPerSection * SLACK_LIMITS.fieldSections;
  for (let start = 0; start < Math.min(facts.length, maxFields); start += SLACK_LIMITS.fieldsPerSection) {
    const chunk = facts.slice(start, Math.min(start + SLACK_LIMITS.fieldsPerSection, maxFields));
    blocks.push({
      type: 'section',
      fields: chunk.map(([name, value]) =>
        mrkdwn(`*${escapeSlackText(name)}*\n${escapeSlackText(value)}`, SLACK_LIMITS.fieldTextChars),
      ),
    });
  }
  if (message.url !== undefined) {
    blocks.push({ type: 'section', text: mrkdwn(`<${slackLinkUrl(message.url)}|Open in Keel>`, 3000) });
  }
  const context = [message.kind, new Date(message.atMs).toISOString()];
  if (message.incidentId !== undefined) context.push(`incident ${message.incidentId}`);
  if (message.monitorId !== undefined) context.push(`monitor ${message.monitorId}`);
  blocks.push({
    type: 'context',
    elements: [mrkdwn(escapeSlackText(context.join(' · ')), SLACK_LIMITS.sectionTextChars)],
  });
  const title = escapeSlackText(message.title);
  const fallback = message.text.trim() === '' ? title : `${title}\n${markdownToSlackMrkdwn(message.text)}`;
  return { text: truncateText(fallback, SLACK_LIMITS.fallbackTextChars), blocks };
}
