// Chaos end to end: faults injected through the control API and the CLI reach real calls, then expire by themselves.
import { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chaosCommand } from '../src/cli/chaos-command.js';
import { ManualClock, startKeel, type KeelHarness } from './support/keel-harness.js';

const mock = (id: string) => ({
  id,
  type: 'mock' as const,
  latencyMs: { p50: 0, p99: 0 },
  errorRate: 0,
  outputTokens: 20,
  seed: 3,
});

describe('chaos', () => {
  let harness: KeelHarness;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    harness = await startKeel(
      {
        providers: [mock('primary'), mock('backup')],
        models: [
          {
            name: 'chat',
            strategy: 'fallback',
            targets: [
              { provider: 'primary', model: 'sim-1' },
              { provider: 'backup', model: 'sim-1' },
            ],
          },
          { name: 'solo', targets: [{ provider: 'primary', model: 'sim-1' }] },
        ],
        reliability: { retry: { maxAttempts: 1 } },
      },
      { clock },
    );
  });
  afterEach(async () => {
    await harness.close();
  });

  const api = async (path: string, body?: unknown) => {
    const response = await fetch(`${harness.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const ask = (model = 'chat') =>
    harness.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();

  it('fails over during an injected 503 outage, lists it, and ends it when it expires', async () => {
    const injected = await api('/api/chaos/inject', { target: 'primary', outage: true, forMs: 60_000 });
    expect(injected.status).toBe(201);
    expect(injected.body).toMatchObject({
      target: 'primary',
      outage: true,
      expiresAt: '2026-01-01T00:01:00.000Z',
    });

    const { response } = await ask();
    expect(response.headers.get('x-keel-provider')).toBe('backup');
    expect(harness.ended.at(-1)?.attempts[0]).toMatchObject({
      target: 'primary/sim-1',
      outcome: 'error',
      errorCode: 'KEEL_UPSTREAM_OVERLOADED',
      upstreamStatus: 503,
    });
    expect(harness.ended.at(-1)?.attempts[0]?.errorMessage).toContain('chaos injection');

    const listed = await api('/api/chaos');
    expect(listed.body.injections).toEqual([expect.objectContaining({ target: 'primary', outage: true })]);

    // With the backup down as well, the request fails as a real double outage would.
    await api('/api/chaos/inject', { target: 'backup/sim-1', outage: true, errorKind: '500', forMs: 30_000 });
    const failed = await ask().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(APIError);
    expect((failed as APIError).code).toBe('KEEL_ALL_TARGETS_FAILED');

    clock.advance(60_000);
    expect((await api('/api/chaos')).body.injections).toEqual([]);
    const recovered = await ask();
    expect(recovered.response.headers.get('x-keel-provider')).toBe('primary');
  });

  it('cuts a stream mid-way with the stream error event', async () => {
    await api('/api/chaos/inject', { target: 'primary/sim-1', cutRate: 1, forMs: 60_000 });
    const stream = await harness.client.chat.completions.create({
      model: 'solo',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    let error: unknown;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch (caught) {
      error = caught;
    }
    expect(text).not.toBe('');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).code).toBe('KEEL_STREAM_INTERRUPTED');
    expect(harness.ended.at(-1)).toMatchObject({ outcome: 'error', errorCode: 'KEEL_STREAM_INTERRUPTED' });
  });

  it('refuses bad injections with KEEL_INVALID_REQUEST naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ target: 'primary', outage: true }, 'forMs'],
      [{ target: 'primary', outage: true, forMs: 3_600_001 }, 'forMs'],
      [{ target: 'nowhere', outage: true, forMs: 1000 }, 'target'],
      [{ target: 'primary', errorRate: 2, forMs: 1000 }, 'errorRate'],
      [{ target: 'primary', errorRate: 0.5, errorKind: '418', forMs: 1000 }, 'errorKind'],
    ];
    for (const [body, param] of cases) {
      const answer = await api('/api/chaos/inject', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'KEEL_INVALID_REQUEST', param });
    }
    const noFault = await api('/api/chaos/inject', { target: 'primary', forMs: 1000 });
    expect(noFault.status).toBe(400);
    expect((await api('/api/chaos')).body.injections).toEqual([]);
  });

  it('writes injections to the timeline of open incidents', async () => {
    const { incident } = harness.keel.operations.incidents.declare({
      title: 'Primary slow',
      severity: 'SEV-3',
    });
    await api('/api/chaos/inject', { target: 'primary', latencyMs: 3000, errorRate: 0.5, forMs: 300_000 });
    await api('/api/chaos/clear', {});
    const notes = harness.keel.operations.incidents
      .get(incident.id)
      .timeline.filter((entry) => entry.author === 'chaos')
      .map((entry) => entry.text);
    expect(notes).toEqual([
      expect.stringMatching(
        /^Chaos injection chaos-1 started on `primary`: 50 % errors \(500\), \+3000 ms latency; expires/,
      ),
      'Chaos injection chaos-1 on `primary` ended (cleared).',
    ]);
  });

  it('injects, lists and clears from the CLI', async () => {
    const injected = await chaosCommand([
      'inject',
      '--url',
      harness.url,
      '--target',
      'primary',
      '--error-rate',
      '0.5',
      '--latency-ms',
      '3000',
      '--for',
      '5m',
    ]);
    expect(injected).toMatch(
      /^Injected chaos-1 {2}primary {2}errors=0.5\(500\) latency=3000ms {2}until 2026-01-01T00:05:00.000Z/,
    );
    expect(await chaosCommand(['list', '--url', harness.url])).toContain('chaos-1  primary');
    expect(await chaosCommand(['clear', '--url', harness.url])).toMatch(/^Cleared 1 injection\./);
    expect(await chaosCommand(['list', '--url', harness.url])).toBe('No chaos injections.\n');
    await expect(
      chaosCommand(['inject', '--url', harness.url, '--target', 'primary', '--outage']),
    ).rejects.toThrow(/needs --for/);
  });
});
