// /api/monitors over real HTTP: the config's monitors, API-made ones, mute, evaluate, history and metrics.
import { afterEach, describe, expect, it } from 'vitest';
import type { KeelConfigInput } from '../src/config/index.js';
import { defaultMonitorPack } from '../src/monitors/default-monitor-pack.js';
import { ManualScheduler } from './support/manual-scheduler.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

const config: KeelConfigInput = {
  providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 1, p99: 2 }, seed: 7 }],
  models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
  monitors: {
    definitions: [
      {
        id: 'p95-latency',
        type: 'threshold',
        metric: 'latency.p95',
        groupBy: ['provider'],
        window: '5m',
        warn: 2000,
        critical: 4000,
      },
      { id: 'availability', type: 'slo', objective: 0.99, window: '30d', good: 'status=ok and latency<5000' },
    ],
  },
};

let harness: KeelHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

interface MonitorView {
  id: string;
  type: string;
  title: string;
  source: string;
  status: string;
  muted: boolean;
  groups: { groupId: string; status: string; details: Record<string, unknown> }[];
  definition: Record<string, unknown>;
}

/** What the API answers: a monitor, a list, an evaluation summary or an error, read loosely. */
interface Body extends Partial<MonitorView> {
  monitors: MonitorView[];
  counts: Record<string, number>;
  evaluated: number;
  evaluations: Record<string, unknown>[];
  error: { code: string; message: string };
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${harness?.url}${path}`, {
    ...init,
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Body };
}

describe('/api/monitors', () => {
  it('lists the config monitors with their state after an evaluation', async () => {
    harness = await startKeel(config);
    for (let index = 0; index < 5; index += 1) {
      await harness.client.chat.completions.create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
      });
    }
    const evaluated = await call('/api/monitors/evaluate', { method: 'POST' });
    expect(evaluated.status).toBe(200);
    expect(evaluated.body.evaluated).toBe(2);
    const listed = await call('/api/monitors');
    expect(listed.body.counts).toEqual({ OK: 2, WARN: 0, ALERT: 0, NO_DATA: 0 });
    expect(listed.body.monitors.map((monitor) => [monitor.id, monitor.source, monitor.status])).toEqual([
      ['p95-latency', 'config', 'OK'],
      ['availability', 'config', 'OK'],
    ]);
    const slo = await call('/api/monitors/availability');
    expect(slo.body.title).toBe('SLO: 99% of requests succeed and finish under 5000 ms over 30d');
    expect(slo.body.groups?.[0]?.details).toMatchObject({
      errorBudgetRemaining: 1,
      periodTotal: 5,
      periodGood: 5,
    });
    const history = await call('/api/monitors/p95-latency/evaluations?window=1h');
    expect(history.body.evaluations).toHaveLength(1);
    expect(history.body.evaluations[0]).toMatchObject({ groupId: 'provider=sim', status: 'OK' });
    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain(
      'keel_monitor_status{monitor="p95-latency",group="provider=sim",status="OK"} 1',
    );
    expect(metrics).toContain('keel_slo_error_budget_remaining{monitor="availability"} 1');
  });

  it('creates, replaces and deletes API monitors, and keeps config monitors read-only except for mute', async () => {
    harness = await startKeel(config);
    const created = await call('/api/monitors', {
      method: 'POST',
      body: JSON.stringify({
        id: 'errors',
        type: 'threshold',
        metric: 'error_rate',
        window: '5m',
        critical: 0.1,
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'errors', source: 'api', muted: false });
    expect(created.body.definition).toMatchObject({ noData: 'no-data', priority: 3, direction: 'above' });

    const duplicate = await call('/api/monitors', {
      method: 'POST',
      body: JSON.stringify(created.body.definition),
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('KEEL_MONITOR_EXISTS');

    const bad = await call('/api/monitors', {
      method: 'POST',
      body: JSON.stringify({
        id: 'bad',
        type: 'threshold',
        metric: 'latency.p42',
        window: '5m',
        critical: 1,
        notify: ['nobody'],
      }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('KEEL_INVALID_REQUEST');
    expect(bad.body.error.message).toContain('unknown monitor metric "latency.p42"');

    const replaced = await call('/api/monitors/errors', {
      method: 'PUT',
      body: JSON.stringify({
        type: 'threshold',
        metric: 'error_rate',
        window: '15m',
        warn: 0.02,
        critical: 0.1,
      }),
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.definition).toMatchObject({ id: 'errors', window: '15m', warn: 0.02 });

    const readOnly = await call('/api/monitors/p95-latency', { method: 'DELETE' });
    expect(readOnly.status).toBe(409);
    expect(readOnly.body.error.code).toBe('KEEL_MONITOR_READ_ONLY');
    const muted = await call('/api/monitors/p95-latency/mute', { method: 'POST' });
    expect(muted.body.muted).toBe(true);

    expect((await call('/api/monitors/errors', { method: 'DELETE' })).status).toBe(204);
    const missing = await call('/api/monitors/errors');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('KEEL_MONITOR_NOT_FOUND');
    const listed = await call('/api/monitors');
    expect(listed.body.monitors.map((monitor) => [monitor.id, monitor.muted])).toEqual([
      ['p95-latency', true],
      ['availability', false],
    ]);
  });

  it('runs the default pack when the config defines no monitors', async () => {
    harness = await startKeel({ providers: config.providers, models: config.models });
    const listed = await call('/api/monitors');
    expect(listed.body.monitors.map((monitor) => `${monitor.source}:${monitor.type}:${monitor.id}`)).toEqual([
      'default:threshold:error-rate',
      'default:threshold:p95-latency',
      'default:threshold:ttft-p95',
      'default:threshold:keel-overhead',
      'default:threshold:failover-rate',
      'default:anomaly:error-rate-anomaly',
      'default:anomaly:p95-latency-anomaly',
      'default:anomaly:cost-anomaly',
      'default:slo:latency-slo',
      'default:forecast:daily-cost-budget',
    ]);
  });

  it('adds the probe monitors to the default pack when probes are on', async () => {
    harness = await startKeel(
      { providers: config.providers, models: config.models, probes: { enabled: true } },
      { probeScheduler: new ManualScheduler() },
    );
    const listed = await call('/api/monitors');
    const ids = listed.body.monitors.map((monitor) => monitor.id);
    expect(ids.slice(-2)).toEqual(['probe-failures', 'probe-latency']);
    expect(ids).toHaveLength(12);
  });

  it.each([
    [60_000, '5m', '15m'],
    [300_000, '15m', '20m'],
  ])(
    'sizes the probe monitors for a probe interval of %i ms: windows %s and %s',
    (intervalMs, failures, latency) => {
      const pack = defaultMonitorPack({ probeIntervalMs: intervalMs });
      const windows = Object.fromEntries(
        pack
          .filter((monitor) => monitor.id.startsWith('probe-'))
          .map((monitor) => [monitor.id, monitor.type === 'slo' ? '' : monitor.window]),
      );
      expect(windows).toEqual({ 'probe-failures': failures, 'probe-latency': latency });
    },
  );
});
