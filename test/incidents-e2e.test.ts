// Monitors to incidents end to end: a latency spike and then an outage behind Keel alert, open one incident
// per monitor and group, notify a local webhook (also across a restart), and resolve after recovery.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeel, type Keel } from '../src/compose/create-keel.js';
import { validateConfig, type KeelConfigInput } from '../src/config/index.js';
import type { Incident, TimelineEntry } from '../src/incidents/incident.js';
import type { Clock, Scheduler } from '../src/spec/index.js';
import { readJsonFixture, startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';

/** Real time shifted by an offset the test moves: latencies are real, windows jump. */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
  }
}

/** Monitor ticks run only when the test calls them. */
const manualTicks: Scheduler = { every: () => () => undefined, soon: (task) => setImmediate(task) };

const completion = () =>
  readJsonFixture(import.meta.url, '../src/providers/openai/fixtures/chat-completion.json');
const upstreamMode = { delayMs: 5, status: 200 };

interface IncidentView {
  incident: Incident;
  timeline: TimelineEntry[];
}

describe('monitors, incidents and notifications end to end', () => {
  const clock = new OffsetClock();
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-incidents-'));
  let upstream: FixtureServer;
  let receiver: WebhookReceiver;
  let keel: Keel;
  let url: string;
  let config: KeelConfigInput;

  const start = async () => {
    keel = createKeel({
      config: validateConfig(config, { source: 'test', env: {} }),
      clock,
      logger: pino({ level: 'silent' }),
      monitorScheduler: manualTicks,
    });
    url = await keel.listen({ port: 0, host: '127.0.0.1' });
  };

  beforeAll(async () => {
    upstream = await startFixtureServer();
    upstream.fallback = {
      kind: 'handler',
      handle: (_request, response) => {
        const { delayMs, status } = upstreamMode;
        setTimeout(() => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify(status === 200 ? completion() : { error: { message: 'upstream down' } }),
          );
        }, delayMs);
      },
    };
    receiver = await startWebhookReceiver();
    const notify = ['oncall'];
    config = {
      providers: [{ id: 'primary', type: 'openai', baseUrl: `${upstream.url}/v1` }],
      models: [{ name: 'chat', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] }],
      reliability: {
        retry: { maxAttempts: 1 },
        circuitBreaker: { consecutiveFailures: 1000, minimumRequests: 1000 },
      },
      keys: { path: join(dir, 'keys.db') },
      ops: { path: join(dir, 'ops.db') },
      telemetry: {
        store: { path: join(dir, 'keel.db'), spoolPath: join(dir, 'spool.jsonl') },
        jsonl: { dir: join(dir, 'telemetry') },
      },
      monitors: {
        definitions: [
          {
            id: 'p95-latency',
            type: 'threshold',
            metric: 'latency.p95',
            groupBy: ['provider'],
            window: '1m',
            warn: 300,
            critical: 500,
            recoveryCritical: 400,
            minRequests: 5,
            priority: 2,
            notify,
            runbook: "Check the provider's status page; fail over if one target is slow.",
          },
          {
            id: 'error-rate',
            type: 'threshold',
            metric: 'error_rate',
            groupBy: ['provider'],
            window: '1m',
            critical: 0.5,
            minRequests: 5,
            priority: 1,
            notify,
          },
        ],
      },
      notifications: { webhooks: [{ id: 'oncall', url: receiver.url, format: 'json' }] },
      incidents: { quietPeriodMs: 60_000 },
    };
    await start();
  });

  afterAll(async () => {
    await keel.close(1000);
    await Promise.all([upstream.close(), receiver.close()]);
  });

  const client = () => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
  /** Ten concurrent calls; failures are expected during the outage. */
  const traffic = async () => {
    const openai = client();
    await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }),
      ),
    );
  };
  /** Moves past the monitors' 1-minute windows (minute-granular) so the next phase is judged alone. */
  const nextPhase = () => {
    clock.offsetMs += 3 * 60_000;
  };
  const tick = () => {
    const monitors = keel.operations.monitors;
    if (monitors === undefined) throw new Error('monitors are off');
    return monitors.scheduler.tick();
  };
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    });
    expect(response.ok).toBe(true);
    return (await response.json()) as T;
  };
  const incidents = async () => (await api<{ incidents: Incident[] }>('/api/incidents')).incidents;
  const incidentOf = async (monitorId: string) => {
    const found = (await incidents()).filter((incident) => incident.monitor?.id === monitorId);
    expect(found).toHaveLength(1);
    return api<IncidentView>(`/api/incidents/${found[0]?.id}`);
  };
  const kindsReceived = (from = 0) =>
    receiver.received.slice(from).map((request) => {
      const body = JSON.parse(request.body) as { kind: string; monitorId?: string };
      return `${body.monitorId}:${body.kind}`;
    });
  const eventually = async (check: () => void | Promise<void>, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await check();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  it('stays quiet on normal traffic', async () => {
    // Warm up connections and code paths first: a cold start is not what this phase is about.
    await traffic();
    nextPhase();
    await traffic();
    const summary = await tick();
    expect(summary.failed).toEqual([]);
    expect(summary.transitions).toEqual([]);
    expect(await incidents()).toEqual([]);
  });

  it('alerts on a latency spike within two ticks and opens one incident for the monitor and group', async () => {
    nextPhase();
    upstreamMode.delayMs = 800;
    await traffic();
    const first = await tick();
    const second = first.transitions.some((transition) => transition.to === 'ALERT') ? first : await tick();
    expect(
      second.transitions.map(
        (transition) => `${transition.monitor.id}:${transition.groupId}:${transition.to}`,
      ),
    ).toEqual(['p95-latency:provider=primary:ALERT']);
    // More ticks while it is still firing join the same incident.
    await traffic();
    await tick();
    await tick();
    const { incident, timeline } = await incidentOf('p95-latency');
    expect(incident).toMatchObject({ status: 'active', severity: 'SEV-2', groupId: 'provider=primary' });
    expect(timeline.map((entry) => entry.kind)).toEqual(expect.arrayContaining(['created', 'graph']));
    const graph = timeline.find((entry) => entry.kind === 'graph');
    const points = (graph?.data.points as { value: number }[] | undefined) ?? [];
    expect(points.at(-1)?.value).toBeGreaterThan(500);
    await eventually(() => expect(kindsReceived()).toContain('p95-latency:incident.opened'));
  });

  it('takes a note into the timeline', async () => {
    const { incident } = await incidentOf('p95-latency');
    await api(`/api/incidents/${incident.id}/notes`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Provider status page shows degraded latency.', author: 'alice' }),
    });
    const { timeline } = await incidentOf('p95-latency');
    expect(timeline.at(-1)).toMatchObject({
      kind: 'note',
      author: 'alice',
      text: 'Provider status page shows degraded latency.',
    });
  });

  it('alerts on an outage, and delivers its notification after a restart even though the receiver was down', async () => {
    nextPhase();
    upstreamMode.delayMs = 5;
    upstreamMode.status = 500;
    receiver.fallback = { status: 503 };
    const before = receiver.received.length;
    await traffic();
    const summary = await tick();
    expect(summary.transitions.map((transition) => `${transition.monitor.id}:${transition.to}`)).toEqual(
      expect.arrayContaining(['error-rate:ALERT']),
    );
    // The first delivery is refused; the notification waits in the outbox for its retry.
    await eventually(() => expect(receiver.received.length).toBeGreaterThan(before));
    // The incident's message is in the outbox, not delivered: the webhook keeps refusing.
    const pending = await api<{ notifications: { kind: string; title: string; status: string }[] }>(
      '/api/notifications?status=pending',
    );
    // (p95-latency's opening was delivered during the spike: this one is error-rate's.)
    expect(pending.notifications.map((row) => row.kind)).toContain('incident.opened');
    await keel.close(1000);
    const afterRestart = receiver.received.length;
    receiver.fallback = { status: 200 };
    await start();
    await eventually(
      () => expect(kindsReceived(afterRestart)).toContain('error-rate:incident.opened'),
      15_000,
    );
    const { incident, timeline } = await incidentOf('error-rate');
    expect(incident).toMatchObject({ status: 'active', severity: 'SEV-1' });
    await eventually(async () => {
      const view = await incidentOf('error-rate');
      const deliveries = view.timeline.filter((entry) => entry.kind === 'notification');
      expect(deliveries.map((entry) => entry.data.outcome)).toContain('delivered');
    });
    expect(timeline[0]?.kind).toBe('created');
    expect((await incidents()).length).toBe(2);
  });

  it('moves incidents to stable on recovery and resolves them after the quiet period', async () => {
    // Fast errors during the outage brought p95 back under its recovery level: that incident is stable.
    expect((await incidentOf('p95-latency')).incident.status).toBe('stable');
    nextPhase();
    upstreamMode.status = 200;
    await traffic();
    await tick();
    // The latency incident has been quiet for longer than the quiet period; the error one just recovered.
    expect((await incidentOf('p95-latency')).incident.status).toBe('resolved');
    expect((await incidentOf('error-rate')).incident.status).toBe('stable');
    clock.offsetMs += 61_000;
    await traffic();
    await tick();
    const latency = await incidentOf('p95-latency');
    const errors = await incidentOf('error-rate');
    expect([latency.incident.status, errors.incident.status]).toEqual(['resolved', 'resolved']);
    expect(errors.incident.impactEndMs).toBeGreaterThan(errors.incident.impactStartMs);
    expect(errors.timeline.map((entry) => entry.kind)).toEqual(
      expect.arrayContaining(['status', 'resolved']),
    );
    await eventually(() =>
      expect(kindsReceived()).toEqual(
        expect.arrayContaining(['p95-latency:incident.resolved', 'error-rate:incident.resolved']),
      ),
    );
    const postmortem = await fetch(`${url}/api/incidents/${errors.incident.id}/postmortem`);
    expect(await postmortem.text()).toContain('error-rate');
  });
});
