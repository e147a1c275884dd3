// One POST of one outbox message to one webhook, its answer boiled down to an AttemptResult.
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { parseRetryAfterMs } from '../providers/shared/upstream-errors.js';
import type { AttemptResult } from './delivery-policy.js';
import type { OutboxEntry } from './sqlite-outbox.js';
import { toJsonPayload, toSlackPayload, truncateText } from './webhook-payloads.js';

/** One configured webhook (`notifications.webhooks[]`). */
export interface WebhookTarget {
  id: string;
  url: string;
  format: 'json' | 'slack';
  /** Sent with every POST; values (authorization) are never logged or reported. */
  headers?: Record<string, string> | undefined;
}

/**
 * Text about a failure with the webhook's secrets taken out: its URL and path (Slack's hold its
 * token) and the values of its configured headers, should a receiver echo them back.
 */
export function redactWebhookSecrets(text: string, webhook: WebhookTarget): string {
  let path = '';
  try {
    const url = new URL(webhook.url);
    path = `${url.pathname}${url.search}`;
  } catch {
    // The config validated the URL; nothing else to take out.
  }
  let redacted = text.split(webhook.url).join(`<webhook ${webhook.id}>`);
  if (path.length > 1) redacted = redacted.split(path).join('/…');
  for (const value of Object.values(webhook.headers ?? {})) {
    // The whole value, and its token alone ("Bearer abc…" echoed as "abc…").
    const secrets = [value, ...value.split(/\s+/).filter((part) => part.length >= 8)];
    for (const secret of secrets) {
      if (secret.length >= 4) redacted = redacted.split(secret).join('<redacted>');
    }
  }
  return redacted;
}

/** An error's message and its cause's code (ECONNREFUSED, UND_ERR_SOCKET), the URL taken out. */
export function describeDeliveryError(error: unknown, webhook: WebhookTarget): string {
  const base = error instanceof Error ? error.message : String(error);
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const causeText =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  const text = causeText === '' || base.includes(causeText) ? base : `${base} (${causeText})`;
  return truncateText(redactWebhookSecrets(text, webhook), 500);
}

/** The headers of one POST: the configured ones (names lower-cased), then Keel's, which win. */
export function webhookHeaders(options: {
  webhook: WebhookTarget;
  deliveryId: string;
  attempt: number;
}): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.webhook.headers ?? {}))
    headers[name.toLowerCase()] = value;
  return Object.assign(headers, {
    'content-type': 'application/json',
    'user-agent': 'keel-notifier',
    'x-keel-delivery-id': options.deliveryId,
    'x-keel-delivery-attempt': String(options.attempt),
  });
}

/** Most bytes of a non-2xx answer read for its excerpt; the rest is never buffered. */
export const ERROR_BODY_READ_BYTES = 4096;

/**
 * The first `maxBytes` of a body as text; the body is then destroyed, so a huge answer is never
 * held in memory (the connection goes with it). A body that breaks off gives what arrived.
 */
export async function readCappedText(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buffer);
      bytes += buffer.length;
      if (bytes >= maxBytes) break;
    }
  } catch {
    // A reset or aborted body: the excerpt is what arrived before.
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

export interface PostWebhookOptions {
  entry: OutboxEntry;
  webhook: WebhookTarget;
  attempt: number;
  sentAtMs: number;
  timeoutMs: number;
  /** Aborts the POST without it counting as an attempt (shutdown). */
  stopSignal: AbortSignal;
  dispatcher?: Dispatcher | undefined;
  now: () => number;
}

/** POSTs the message in the webhook's format. Undefined when `stopSignal` aborted it; never rejects otherwise. */
export async function postWebhook(options: PostWebhookOptions): Promise<AttemptResult | undefined> {
  const { entry, webhook, attempt, sentAtMs, timeoutMs, stopSignal, dispatcher } = options;
  const payload =
    webhook.format === 'slack'
      ? toSlackPayload(entry.message)
      : toJsonPayload(entry.message, { deliveryId: entry.id, sentAtMs, attempt });
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(webhook.url, {
      method: 'POST',
      headers: webhookHeaders({ webhook, deliveryId: entry.id, attempt }),
      body: JSON.stringify(payload),
      signal: AbortSignal.any([timeout, stopSignal]),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
    const status = response.statusCode;
    let bodyText = '';
    if (status >= 200 && status < 300) await response.body.dump();
    else bodyText = await readCappedText(response.body, ERROR_BODY_READ_BYTES);
    return {
      kind: 'response',
      status,
      retryAfterMs: parseRetryAfterMs(response.headers, options.now()),
      bodyText: truncateText(redactWebhookSecrets(bodyText.trim(), webhook), 200),
    };
  } catch (error) {
    if (stopSignal.aborted) return undefined;
    const message = timeout.aborted
      ? `no answer within ${timeoutMs} ms`
      : describeDeliveryError(error, webhook);
    return { kind: 'error', message };
  }
}
