// Unit tests of the tracing wiring: off by default, and a failing collector is logged without its headers.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig, type KeelConfigInput } from '../config/index.js';
import { systemClock } from '../spec/index.js';
import { EventBus } from '../telemetry/event-bus.js';
import type { RequestEndEvent } from '../telemetry/events.js';
import { createTracing } from './create-tracing.js';
import { closedPort } from '../../test/support/closed-port.js';

function setup(tracing: NonNullable<KeelConfigInput['telemetry']>['tracing']) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const config = validateConfig(
    { providers: [{ id: 'sim', type: 'mock' }], telemetry: { tracing } },
    { source: 'test', env: {} },
  );
  const events = new EventBus();
  const created = createTracing({ config, events, logger, clock: systemClock, costUsd: () => undefined });
  return { created, events, lines };
}

const event: RequestEndEvent = {
  requestId: 'r1',
  receivedAtMs: Date.now(),
  requestedModel: 'sim/sim-1',
  stream: false,
  metadata: {},
  trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: true },
  status: 200,
  outcome: 'ok',
  totalMs: 5,
  upstreamMs: 4,
  overheadMs: 1,
  attempts: [],
  promptChars: 0,
  responseChars: 0,
  request: { messages: [] },
  responseText: undefined,
};

describe('createTracing', () => {
  it('is off unless enabled', () => {
    const { created, events } = setup(undefined);
    expect(created).toBeUndefined();
    expect(events.has('request:end')).toBe(false);
  });

  it('logs a failed export with the endpoint and lost spans, never the headers, and never throws', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/v1/traces`;
    const { created, events, lines } = setup({
      enabled: true,
      endpoint,
      headers: { authorization: 'Bearer very-secret-token' },
      exportTimeoutMs: 500,
    });
    expect(created).toBeDefined();
    events.emit('request:end', event);
    await created?.flush();
    await expect(created?.shutdown()).resolves.toBeUndefined();
    const warnings = lines.filter((line) => line.msg === 'trace export failed; spans dropped');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ endpoint, droppedSpans: 1 });
    expect(JSON.stringify(lines)).not.toContain('very-secret-token');
    // Shut down, it no longer listens.
    expect(events.has('request:end')).toBe(false);
  });
});
