// Unit tests of the StatsD exporter: synthetic events on a bus, a real hot-shots client, a real UDP receiver.
import { StatsD } from 'hot-shots';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { statsdSchema } from '../../config/statsd-schema.js';
import type { BreakerTransition } from '../../reliability/breaker-registry.js';
import type { Clock } from '../../spec/index.js';
import { EventBus } from '../event-bus.js';
import type { AttemptRecord, RequestEndEvent } from '../events.js';
import { makeAttempt, makeRequestEnd } from '../../../test/support/telemetry-events.js';
import { UdpReceiver } from '../../../test/support/udp-receiver.js';
import { createStatsdExporter, errorLogIntervalMs, type StatsdExporterOptions } from './statsd-exporter.js';
import { sanitizeNameSegment } from './statsd-metrics.js';

function attempt(
  fields: Partial<AttemptRecord> & Pick<AttemptRecord, 'providerId' | 'modelId'>,
): AttemptRecord {
  return makeAttempt({ durationMs: 1490, ...fields });
}

/** A stream with TTFT, client metadata and cached and reasoning tokens. */
function requestEnd(fields: Partial<RequestEndEvent> = {}): RequestEndEvent {
  return makeRequestEnd({
    stream: true,
    metadata: { environment: 'prod', application: 'checkout' },
    usage: { inputTokens: 12, outputTokens: 30, totalTokens: 42, cachedInputTokens: 4, reasoningTokens: 10 },
    ttftMs: 250,
    attempts: [attempt({ providerId: 'primary', modelId: 'gpt-4o' })],
    ...fields,
  });
}

const knownModels = new Set(['smart', 'gpt-4o', 'gpt-4o.mini', 'primary/gpt-4o', 'odd|name,#1:x']);

/** A clock moved by hand; sleeping is not used by the exporter. */
function manualClock(): Clock & { nowMs: number } {
  return {
    nowMs: 0,
    now() {
      return this.nowMs;
    },
    sleep: () => Promise.resolve(),
  };
}

describe('StatsD exporter', () => {
  let receiver: UdpReceiver;
  beforeEach(async () => {
    receiver = await UdpReceiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  /** Sends `emit`'s events through an exporter configured with `config`, closes it, returns the lines. */
  const exporterFor = (
    config: Record<string, unknown>,
    overrides: Partial<StatsdExporterOptions> = {},
  ): { events: EventBus; close: () => Promise<void>; errors: () => number } => {
    const events = new EventBus();
    const exporter = createStatsdExporter({
      config: statsdSchema.parse({ enabled: true, host: '127.0.0.1', port: receiver.port, ...config }),
      events,
      clock: manualClock(),
      onError: () => undefined,
      costUsd: () => 0.0123,
      providers: [{ id: 'primary', type: 'openai' }],
      knownModels,
      ...overrides,
    });
    return { events, close: () => exporter.close(), errors: () => exporter.errors };
  };
  const received = async (expected: string[]): Promise<void> => {
    await vi.waitFor(() => expect(receiver.lines.map((line) => line.raw)).toEqual(expected));
  };

  it('sends DogStatsD lines with tags, global tags first, for a request, its attempt and a breaker', async () => {
    const { events, close } = exporterFor({
      globalTags: { env: 'prod', service: 'keel' },
      metadataTags: { environment: ['prod', 'staging'] },
    });
    events.emit('attempt:end', {
      requestId: 'r1',
      attempt: attempt({ providerId: 'primary', modelId: 'gpt-4o' }),
    });
    events.emit('request:end', requestEnd());
    const transition: BreakerTransition = {
      target: 'primary/gpt-4o',
      from: 'closed',
      to: 'open',
      reason: 'failures',
      atMs: 0,
    };
    events.emit('breaker:transition', transition);
    await close();
    const global = 'env:prod,service:keel';
    const target = `${global},provider:primary,model:smart`;
    await received([
      `keel.attempts:1|c|#${global},provider:primary,model:gpt-4o,outcome:ok`,
      `keel.attempt.duration:1490|d|#${global},provider:primary,model:gpt-4o,outcome:ok`,
      `keel.requests:1|c|#${target},status_class:2xx,outcome:ok,environment:prod`,
      `keel.request.duration:1500|d|#${target},outcome:ok`,
      `keel.request.upstream_duration:1490|d|#${target}`,
      `keel.request.overhead:2|d|#${global}`,
      `keel.request.ttft:250|d|#${target}`,
      `keel.tokens:12|c|#${target},token_type:input`,
      `keel.tokens:30|c|#${target},token_type:output`,
      `keel.tokens:4|c|#${target},token_type:cached_input`,
      `keel.tokens:10|c|#${target},token_type:reasoning`,
      `keel.cost_usd:0.0123|c|#${target}`,
      `keel.circuit_breaker.state:2|g|#${global},target:primary/gpt-4o`,
      `keel.circuit_breaker.transitions:1|c|#${global},target:primary/gpt-4o,from:closed,to:open`,
    ]);
    // Buffered: the lines went out in fewer datagrams than there are lines.
    expect(receiver.datagrams).toBeLessThan(receiver.lines.length);
  });

  it('bounds client-chosen names: unknown models, unconfigured models and metadata values', async () => {
    const { events, close } = exporterFor({
      prefix: 'gw',
      metadataTags: { environment: ['prod'], application: ['checkout'] },
    });
    // A direct "provider/anything" request that failed over and failed.
    events.emit(
      'request:end',
      requestEnd({
        requestedModel: 'primary/anything',
        metadata: { environment: 'dev-laptop-42' },
        status: 502,
        outcome: 'error',
        errorCode: 'KEEL_ALL_TARGETS_FAILED',
        usage: undefined,
        ttftMs: undefined,
        attempts: [
          attempt({ providerId: 'primary', modelId: 'anything', outcome: 'error' }),
          attempt({ providerId: 'backup', modelId: 'gpt-4o', outcome: 'error' }),
        ],
        providerId: 'backup',
      }),
    );
    // A model the router refused: no attempt, no provider.
    events.emit(
      'request:end',
      requestEnd({
        requestedModel: 'made-up',
        status: 404,
        outcome: 'error',
        errorCode: 'KEEL_UNKNOWN_MODEL',
        usage: undefined,
        ttftMs: undefined,
        attempts: [],
        providerId: undefined,
        upstreamMs: 0,
        totalMs: 1,
        overheadMs: 1,
      }),
    );
    events.emit('breaker:transition', {
      target: 'primary/anything',
      from: 'open',
      to: 'half-open',
      reason: 'cooldown',
      atMs: 0,
    });
    await close();
    const other = 'provider:backup,model:other';
    const unknown = 'provider:none,model:unknown';
    await received([
      `gw.requests:1|c|#${other},status_class:5xx,outcome:error,environment:other,application:default`,
      `gw.request.errors:1|c|#${other},code:KEEL_ALL_TARGETS_FAILED`,
      'gw.failovers:1|c|#model:other',
      `gw.request.duration:1500|d|#${other},outcome:error`,
      `gw.request.upstream_duration:1490|d|#${other}`,
      'gw.request.overhead:2|d',
      `gw.requests:1|c|#${unknown},status_class:4xx,outcome:error,environment:prod,application:checkout`,
      `gw.request.errors:1|c|#${unknown},code:KEEL_UNKNOWN_MODEL`,
      `gw.request.duration:1|d|#${unknown},outcome:error`,
      `gw.request.upstream_duration:0|d|#${unknown}`,
      'gw.request.overhead:1|d',
      'gw.circuit_breaker.state:1|g|#target:other',
      'gw.circuit_breaker.transitions:1|c|#target:other,from:open,to:half-open',
    ]);
    expect(receiver.lines.map((line) => line.raw).join('\n')).not.toMatch(/anything|made-up|dev-laptop/);
  });

  it('replaces the characters that would break a DogStatsD line in tag keys and values', async () => {
    const { events, close } = exporterFor({ globalTags: { 'team:a|b': 'x,y#z' }, durationType: 'histogram' });
    events.emit(
      'request:end',
      requestEnd({ requestedModel: 'odd|name,#1:x', usage: undefined, ttftMs: undefined }),
    );
    await close();
    const tags = 'team_a_b:x_y_z,provider:primary,model:odd_name__1:x';
    await received([
      `keel.requests:1|c|#${tags},status_class:2xx,outcome:ok`,
      `keel.request.duration:1500|h|#${tags},outcome:ok`,
      `keel.request.upstream_duration:1490|h|#${tags}`,
      'keel.request.overhead:2|h|#team_a_b:x_y_z',
    ]);
  });

  it('puts the dimensions into plain StatsD metric names, one sanitized segment each, without tags', async () => {
    const { events, close } = exporterFor({ protocol: 'statsd', metadataTags: { environment: ['prod'] } });
    events.emit('attempt:end', {
      requestId: 'r1',
      attempt: attempt({ providerId: 'primary', modelId: 'gpt-4o.mini', outcome: 'skipped', durationMs: 0 }),
    });
    events.emit(
      'request:end',
      requestEnd({ requestedModel: 'primary/gpt-4o', stream: false, ttftMs: undefined }),
    );
    events.emit('breaker:transition', {
      target: 'primary/gpt-4o',
      from: 'half-open',
      to: 'closed',
      reason: 'probe ok',
      atMs: 0,
    });
    await close();
    const target = 'primary.primary_gpt-4o';
    await received([
      'keel.attempts.primary.gpt-4o_mini.skipped:1|c',
      `keel.requests.${target}.2xx.ok.prod:1|c`,
      `keel.request.duration.${target}.ok:1500|ms`,
      `keel.request.upstream_duration.${target}:1490|ms`,
      'keel.request.overhead:2|ms',
      `keel.tokens.${target}.input:12|c`,
      `keel.tokens.${target}.output:30|c`,
      `keel.tokens.${target}.cached_input:4|c`,
      `keel.tokens.${target}.reasoning:10|c`,
      `keel.cost_usd.${target}:0.0123|c`,
      'keel.circuit_breaker.state.primary_gpt-4o:0|g',
      'keel.circuit_breaker.transitions.primary_gpt-4o.half-open.closed:1|c',
    ]);
    expect(sanitizeNameSegment('a.b/c:d|e@f#g h')).toBe('a_b_c_d_e_f_g_h');
    expect(sanitizeNameSegment('')).toBe('_');
  });

  it('samples per-request metrics at sampleRate, marking each line, and never the breaker metrics', async () => {
    const { events, close } = exporterFor({ sampleRate: 0.5 });
    const requests = 200;
    for (let index = 0; index < requests; index++) {
      events.emit('request:end', requestEnd({ usage: undefined, ttftMs: undefined }));
    }
    events.emit('breaker:transition', {
      target: 'primary/gpt-4o',
      from: 'closed',
      to: 'open',
      reason: 'x',
      atMs: 0,
    });
    await close();
    await vi.waitFor(() => expect(receiver.named('keel.circuit_breaker.transitions')).toHaveLength(1));
    const counted = receiver.named('keel.requests');
    // 200 draws at 0.5: all in or all out has a chance of 2^-199.
    expect(counted.length).toBeGreaterThan(0);
    expect(counted.length).toBeLessThan(requests);
    for (const line of receiver.lines) {
      expect(line.sampleRate).toBe(line.name.startsWith('keel.circuit_breaker.') ? undefined : 0.5);
    }
  });

  it('never throws into the request path; reports failures at most once per interval, with the count', async () => {
    const clock = manualClock();
    const reports: number[] = [];
    const events = new EventBus();
    const exporter = createStatsdExporter({
      config: statsdSchema.parse({ enabled: true, host: '127.0.0.1', port: receiver.port }),
      events,
      clock,
      onError: (_error, failed) => reports.push(failed),
      createClient: (options) => {
        const client = new StatsD(options);
        client.increment = () => {
          throw new Error('socket gone');
        };
        return client;
      },
    });
    events.emit('request:end', requestEnd());
    events.emit('request:end', requestEnd());
    clock.nowMs += errorLogIntervalMs - 1;
    events.emit('request:end', requestEnd());
    expect(reports).toEqual([1]);
    clock.nowMs += 1;
    events.emit('request:end', requestEnd());
    expect(reports).toEqual([1, 3]);
    expect(exporter.errors).toBe(4);
    expect(events.subscriberErrors).toBe(0);
    await exporter.close();
    await exporter.close();
  });
});
