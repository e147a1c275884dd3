// Unit tests of the metric families: synthetic events on a bus, fastify inject for the HTTP hook.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../event-bus.js';
import { makeAttempt, makeRequestEnd } from '../../../test/support/telemetry-events.js';
import { createPrometheusMetrics, type PrometheusMetrics } from './prometheus-metrics.js';

const attempt = makeAttempt;
const requestEnd = makeRequestEnd;

/** The value of the counter or gauge series of `name` whose labels are exactly `labels`. */
async function valueOf(
  metrics: PrometheusMetrics,
  name: string,
  labels: Record<string, string | number>,
): Promise<number | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return values.find((value) => JSON.stringify(Object.entries(value.labels).sort()) === wanted)?.value;
}

describe('createPrometheusMetrics', () => {
  it('counts requests with semconv labels, and error.type only on failures', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events, { costUsd: (event) => (event.usage?.totalTokens ?? 0) / 1000 });
    events.emit('request:end', requestEnd());
    events.emit(
      'request:end',
      requestEnd({
        status: 504,
        outcome: 'error',
        errorCode: 'KEEL_UPSTREAM_TIMEOUT',
        providerType: undefined,
        servedModel: undefined,
        usage: undefined,
      }),
    );
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'primary',
        model: 'smart',
        status_class: '2xx',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'keel_request_errors_total', {
        provider: 'primary',
        model: 'smart',
        code: 'KEEL_UPSTREAM_TIMEOUT',
      }),
    ).toBe(1);
    expect(await valueOf(metrics, 'keel_cost_usd_total', { provider: 'primary', model: 'smart' })).toBe(
      0.042,
    );
    const body = await metrics.registry.getSingleMetricAsString('gen_ai_client_operation_duration_seconds');
    expect(body).toContain(
      'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_request_model="smart",gen_ai_provider_name="openai",gen_ai_response_model="gpt-4o-2024-08-06"} 1',
    );
    expect(body).toContain(
      'gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name="chat",gen_ai_request_model="smart",error_type="KEEL_UPSTREAM_TIMEOUT"} 1',
    );
    expect(body).toContain('le="1.28",gen_ai_operation_name="chat"');
  });

  it('names the provider family from config when the event has no provider type', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events, { providers: [{ id: 'primary', type: 'gemini' }] });
    events.emit(
      'request:end',
      requestEnd({
        status: 502,
        outcome: 'error',
        errorCode: 'KEEL_ALL_TARGETS_FAILED',
        providerType: undefined,
      }),
    );
    const body = await metrics.registry.getSingleMetricAsString('gen_ai_client_operation_duration_seconds');
    expect(body).toContain('gen_ai_provider_name="gcp.gemini"');
  });

  it('folds model names outside the configured ones into "other"', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events, { knownModels: new Set(['smart', 'gpt-4o', 'primary/gpt-4o']) });
    events.emit('request:end', requestEnd());
    events.emit(
      'request:end',
      requestEnd({
        requestedModel: 'primary/made-up-by-a-client',
        attempts: [attempt({ providerId: 'primary', modelId: 'made-up-by-a-client' })],
      }),
    );
    events.emit('attempt:end', {
      requestId: 'r2',
      attempt: attempt({ providerId: 'primary', modelId: 'made-up-by-a-client' }),
    });
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'primary',
        model: 'smart',
        status_class: '2xx',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'primary',
        model: 'other',
        status_class: '2xx',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'keel_attempts_total', { provider: 'primary', model: 'other', outcome: 'ok' }),
    ).toBe(1);
    expect(await metrics.registry.metrics()).not.toContain('made-up-by-a-client');
  });

  it('labels a model the router refused as "unknown", never with the client-sent name', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events);
    events.emit(
      'request:end',
      requestEnd({
        requestedModel: 'user-42-secret-model',
        status: 404,
        outcome: 'error',
        errorCode: 'KEEL_UNKNOWN_MODEL',
        providerId: undefined,
        providerType: undefined,
        servedModel: undefined,
        usage: undefined,
        attempts: [],
      }),
    );
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'none',
        model: 'unknown',
        status_class: '4xx',
        outcome: 'error',
      }),
    ).toBe(1);
    expect(await metrics.registry.metrics()).not.toContain('user-42');
  });

  it('counts failovers, attempts by outcome and upstream time of attempts that ran', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events);
    const attempts = [
      attempt({ providerId: 'primary', modelId: 'gpt-4o', outcome: 'skipped', durationMs: 0 }),
      attempt({ providerId: 'backup', modelId: 'claude', outcome: 'error', durationMs: 300 }),
      attempt({ providerId: 'backup', modelId: 'claude', outcome: 'ok', durationMs: 700 }),
    ];
    for (const record of attempts) events.emit('attempt:end', { requestId: 'r1', attempt: record });
    events.emit('request:end', requestEnd({ providerId: 'backup', attempts }));
    // Retries on one target are not a failover.
    events.emit(
      'request:end',
      requestEnd({
        attempts: [attempt({ providerId: 'a', modelId: 'm' }), attempt({ providerId: 'a', modelId: 'm' })],
      }),
    );
    expect(await valueOf(metrics, 'keel_failovers_total', { model: 'smart' })).toBe(1);
    expect(
      await valueOf(metrics, 'keel_attempts_total', {
        provider: 'primary',
        model: 'gpt-4o',
        outcome: 'skipped',
      }),
    ).toBe(1);
    expect(
      await valueOf(metrics, 'keel_attempts_total', {
        provider: 'backup',
        model: 'claude',
        outcome: 'error',
      }),
    ).toBe(1);
    const upstream = await metrics.registry.getSingleMetricAsString('keel_upstream_duration_seconds');
    expect(upstream).toContain('keel_upstream_duration_seconds_count{provider="backup"} 2');
    expect(upstream).toContain('keel_upstream_duration_seconds_sum{provider="backup"} 1');
    expect(upstream).not.toContain('provider="primary"');
  });

  it('follows breaker transitions: 0 closed, 1 half-open, 2 open', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events);
    const target = 'primary/gpt-4o';
    const states: number[] = [];
    for (const [from, to] of [
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ] as const) {
      events.emit('breaker:transition', { target, from, to, reason: 'test', atMs: 0 });
      states.push((await valueOf(metrics, 'keel_circuit_breaker_state', { target })) ?? -1);
    }
    expect(states).toEqual([2, 1, 0]);
  });

  it('counts cache hits and misses by bounded model, not bypasses; a hit keeps its requested model', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    metrics.subscribe(events, { knownModels: new Set(['smart']) });
    for (const result of ['hit', 'hit', 'miss', 'bypass'] as const)
      events.emit('cache:lookup', { requestId: 'r', model: 'smart', result });
    events.emit('cache:lookup', { requestId: 'r', model: 'primary/made-up', result: 'miss' });
    expect(await valueOf(metrics, 'keel_cache_hits_total', { model: 'smart' })).toBe(2);
    expect(await valueOf(metrics, 'keel_cache_misses_total', { model: 'smart' })).toBe(1);
    expect(await valueOf(metrics, 'keel_cache_misses_total', { model: 'other' })).toBe(1);
    // A hit has no attempts, yet it is not an unknown model.
    events.emit('request:end', requestEnd({ attempts: [], cacheHit: true }));
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'primary',
        model: 'smart',
        status_class: '2xx',
        outcome: 'ok',
      }),
    ).toBe(1);
  });

  it('stops counting after unsubscribe', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const events = new EventBus();
    const unsubscribe = metrics.subscribe(events);
    unsubscribe();
    events.emit('request:end', requestEnd());
    expect(events.has('request:end')).toBe(false);
    expect(
      await valueOf(metrics, 'keel_requests_total', {
        provider: 'primary',
        model: 'smart',
        status_class: '2xx',
        outcome: 'ok',
      }),
    ).toBeUndefined();
  });

  it('labels HTTP metrics by route pattern, and "unmatched" for 404s', async () => {
    const metrics = createPrometheusMetrics({ collectDefault: false });
    const app = Fastify();
    app.get('/v1/prompts/:name', () => ({ ok: true }));
    metrics.instrumentHttp(app);
    await app.inject({ method: 'GET', url: '/v1/prompts/user-42?x=1' });
    await app.inject({ method: 'GET', url: '/v1/prompts/user-43' });
    await app.inject({ method: 'GET', url: '/users/42/secrets' });
    await app.close();
    expect(
      await valueOf(metrics, 'http_requests_total', {
        handler: '/v1/prompts/:name',
        method: 'GET',
        status: 200,
      }),
    ).toBe(2);
    expect(
      await valueOf(metrics, 'http_requests_total', { handler: 'unmatched', method: 'GET', status: 404 }),
    ).toBe(1);
    const exposition = await metrics.registry.metrics();
    expect(exposition).not.toMatch(/user-4|secrets/);
    expect(exposition).toContain('http_request_duration_seconds_count{handler="unmatched",method="GET"} 1');
  });
});
