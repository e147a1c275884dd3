// The webhook payload examples in docs/configuration.md are what Keel sends for an incident opening.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { monitorDefinitionSchema } from '../src/config/monitors-schema.js';
import { applyIncidentEvent } from '../src/incidents/incident-lifecycle.js';
import { monitorSummary } from '../src/monitors/describe-monitor.js';
import { toJsonPayload, toSlackPayload } from '../src/notifications/webhook-payloads.js';

const readDoc = (name: string): string => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

/** The message Keel builds when p95-latency (SEV-2, notify oncall) opens INC-7 for provider=openai. */
function openedMessage() {
  const definition = monitorDefinitionSchema.parse({
    id: 'p95-latency',
    type: 'threshold',
    metric: 'latency.p95',
    groupBy: ['provider'],
    window: '5m',
    warn: 2000,
    critical: 4000,
    priority: 2,
    notify: ['oncall'],
    runbook: "Check the provider's status page; fail over if one target is slow.",
  });
  const atMs = Date.UTC(2026, 11, 1, 9, 30);
  const decision = applyIncidentEvent({
    incident: undefined,
    event: {
      type: 'transition',
      transition: {
        monitor: monitorSummary(definition, false),
        group: { provider: 'openai' },
        groupId: 'provider=openai',
        from: 'OK',
        to: 'ALERT',
        value: 4210,
        reason: '4210 >= critical 4000',
        atMs,
      },
    },
    nowMs: atMs,
    settings: {
      autoResolve: true,
      quietPeriodMs: 900_000,
      publicUrl: 'https://keel.example.com',
      defaultNotify: [],
    },
    newIncidentNumber: 7,
  });
  const message = decision.notifications[0]?.message;
  if (message === undefined) throw new Error('the incident planned no notification');
  return message;
}

/** The ```json blocks of a markdown text that parse as JSON. */
function jsonBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((match) => {
    try {
      return [JSON.parse(match[1] ?? '') as unknown];
    } catch {
      return [];
    }
  });
}

describe('docs: webhook payloads', () => {
  const blocks = jsonBlocks(readDoc('configuration.md'));

  it('shows the JSON payload Keel sends', () => {
    const message = openedMessage();
    const documented = blocks.find(
      (block) => (block as { deliveryId?: unknown }).deliveryId !== undefined,
    ) as { deliveryId: string; sentAtMs: number; attempt: number } | undefined;
    expect(documented).toBeDefined();
    expect(documented).toEqual(
      toJsonPayload(message, {
        deliveryId: documented?.deliveryId ?? '',
        sentAtMs: documented?.sentAtMs ?? 0,
        attempt: documented?.attempt ?? 0,
      }),
    );
  });

  it('shows the Slack payload Keel sends', () => {
    const documented = blocks.find((block) => (block as { blocks?: unknown }).blocks !== undefined);
    expect(documented).toEqual(toSlackPayload(openedMessage()));
  });

  it('names the config key incidents.notify and no config reload', () => {
    for (const name of ['api.md', 'operations.md', 'configuration.md']) {
      const text = readDoc(name);
      expect(text, name).not.toContain('defaultNotify');
      expect(text, name).not.toContain('config reload applies');
    }
  });
});
