// Prometheus metrics end to end: mixed traffic through the OpenAI SDK, then /metrics read and linted by promtool.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import OpenAI, { APIError } from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createKeel, type Keel } from '../src/compose/create-keel.js';
import { validateConfig } from '../src/config/index.js';
import { withTempStore } from './support/keel-harness.js';
import { scriptedFailoverConfig } from './support/scripted-failover-config.js';
import {
  operationDurationBuckets,
  timeToFirstTokenBuckets,
  tokenUsageBuckets,
} from '../src/telemetry/metrics/gen-ai-semconv.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (the subset prom-client writes). */
function parseExposition(body: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = label[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one series of `name` whose labels are exactly `labels`; undefined when absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter(
    (sample) => sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === wanted,
  );
  if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${wanted}`);
  return found[0]?.value;
}

/** The sum over every series of `name` whose labels include `labels`. */
function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}

/** The `le` boundaries of one histogram series, in order. */
function bucketBounds(samples: Sample[], name: string, labels: Record<string, string>): string[] {
  return samples
    .filter(
      (sample) =>
        sample.name === `${name}_bucket` &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .map((sample) => sample.labels.le ?? '');
}

/** What `which` does: the first executable named `command` on PATH. */
function findOnPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (directory === '') continue;
    const candidate = path.join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

// See scriptedFailoverConfig for the outcome of every call.
const config = validateConfig(withTempStore(scriptedFailoverConfig()), { source: 'test', env: {} });

/** USD per input and output token, as the pricing override above says. */
const inputPriceUsd = 0.000_002;
const outputPriceUsd = 0.000_008;

describe('Prometheus metrics', () => {
  let keel: Keel;
  let url: string;
  let client: OpenAI;
  /** Tokens as the client saw them in the answers' usage. */
  const clientTokens = { input: 0, output: 0 };
  /** Cost of those tokens at the test prices, by serving provider (x-keel-provider). */
  const clientCostUsd: Record<string, number> = { primary: 0, backup: 0 };
  let body = '';
  let contentType = '';
  let samples: Sample[] = [];

  const countUsage = (provider: string | null, usage: OpenAI.CompletionUsage | null | undefined) => {
    if (usage === null || usage === undefined || provider === null) throw new Error('answer without usage');
    clientTokens.input += usage.prompt_tokens;
    clientTokens.output += usage.completion_tokens;
    clientCostUsd[provider] =
      (clientCostUsd[provider] ?? 0) +
      usage.prompt_tokens * inputPriceUsd +
      usage.completion_tokens * outputPriceUsd;
  };
  const ask = async (model = 'chat-default') => {
    const { data, response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Say something about gateways.' }] })
      .withResponse();
    countUsage(response.headers.get('x-keel-provider'), data.usage);
  };
  const askStatus = async (model = 'chat-default'): Promise<number | undefined> => {
    try {
      await ask(model);
      return 200;
    } catch (error) {
      if (!(error instanceof APIError)) throw error;
      return (error as APIError).status;
    }
  };

  beforeAll(async () => {
    keel = createKeel({ config, logger: pino({ level: 'silent' }) });
    url = await keel.listen({ port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });

    // 1. primary ok.
    expect(await askStatus()).toBe(200);
    // 2. primary 500, failover to backup: ok.
    expect(await askStatus()).toBe(200);
    // 3. primary 429, backup 500: all targets failed, 502.
    expect(await askStatus()).toBe(502);
    // 4. a model nobody configured: 404 before any attempt.
    expect(await askStatus('no-such-model')).toBe(404);
    // 5. a stream served by primary, with usage in its last chunk.
    const stream = await client.chat.completions
      .create({
        model: 'chat-default',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'Stream something.' }],
      })
      .withResponse();
    let streamUsage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream.data) streamUsage = chunk.usage ?? streamUsage;
    countUsage(stream.response.headers.get('x-keel-provider'), streamUsage);
    // 6. the operator opens primary's breaker; the next call skips it and backup answers.
    keel.breakers.trip('primary/sim-small', 'maintenance');
    expect(await askStatus()).toBe(200);
    // 7. a path with no route, and health.
    expect((await fetch(`${url}/users/42/secret`)).status).toBe(404);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    // A stream's request:end and a response's onResponse hook may land just after the client is done.
    await vi.waitFor(async () => {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      contentType = response.headers.get('content-type') ?? '';
      body = await response.text();
      samples = parseExposition(body);
      expect(sumOf(samples, 'keel_requests_total')).toBe(6);
      expect(
        valueOf(samples, 'http_requests_total', { handler: '/health', method: 'GET', status: '200' }),
      ).toBe(1);
    });
  });
  afterAll(async () => {
    await keel?.close(2000);
  });

  it('serves the text exposition format', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain('# TYPE keel_requests_total counter');
    expect(body).toContain('# TYPE gen_ai_client_operation_duration_seconds histogram');
  });

  it('counts requests by provider, requested model, status class and outcome', () => {
    const requests = (provider: string, model: string, statusClass: string, outcome: string) =>
      valueOf(samples, 'keel_requests_total', { provider, model, status_class: statusClass, outcome });
    expect(requests('primary', 'chat-default', '2xx', 'ok')).toBe(2);
    expect(requests('backup', 'chat-default', '2xx', 'ok')).toBe(2);
    expect(requests('backup', 'chat-default', '5xx', 'error')).toBe(1);
    expect(requests('none', 'unknown', '4xx', 'error')).toBe(1);
    expect(sumOf(samples, 'keel_requests_total')).toBe(6);
    expect(body).not.toContain('no-such-model');

    expect(
      valueOf(samples, 'keel_request_errors_total', {
        provider: 'backup',
        model: 'chat-default',
        code: 'KEEL_ALL_TARGETS_FAILED',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, 'keel_request_errors_total', {
        provider: 'none',
        model: 'unknown',
        code: 'KEEL_UNKNOWN_MODEL',
      }),
    ).toBe(1);
    expect(sumOf(samples, 'keel_request_errors_total')).toBe(2);
  });

  it('counts attempts, failovers and breaker state', () => {
    const attempts = (provider: string, model: string, outcome: string) =>
      valueOf(samples, 'keel_attempts_total', { provider, model, outcome });
    expect(attempts('primary', 'sim-small', 'ok')).toBe(2);
    expect(attempts('primary', 'sim-small', 'error')).toBe(2);
    expect(attempts('primary', 'sim-small', 'skipped')).toBe(1);
    expect(attempts('backup', 'sim-large', 'ok')).toBe(2);
    expect(attempts('backup', 'sim-large', 'error')).toBe(1);
    expect(attempts('backup', 'sim-large', 'skipped')).toBeUndefined();
    // Requests 2, 3 and 6 went to two targets.
    expect(valueOf(samples, 'keel_failovers_total', { model: 'chat-default' })).toBe(3);
    expect(valueOf(samples, 'keel_circuit_breaker_state', { target: 'primary/sim-small' })).toBe(2);
    // Upstream time is observed for the 7 attempts that called a provider, not for the skipped one.
    expect(sumOf(samples, 'keel_upstream_duration_seconds_count')).toBe(7);
    expect(valueOf(samples, 'keel_upstream_duration_seconds_count', { provider: 'primary' })).toBe(4);
    expect(valueOf(samples, 'keel_overhead_seconds_count')).toBe(6);
    expect(body).toContain('# TYPE keel_cache_hits_total counter');
  });

  it('counts the telemetry path: records written to the store, none spooled or lost', async () => {
    await keel.telemetry.flush();
    const after = parseExposition(await (await fetch(`${url}/metrics`)).text());
    const records = (result: string) =>
      valueOf(after, 'keel_telemetry_records_total', { sink: 'store', result });
    expect(records('written')).toBe(6);
    expect(records('spooled')).toBe(0);
    expect(records('dropped')).toBe(0);
    expect(valueOf(after, 'keel_telemetry_sink_failures_total', { sink: 'store' })).toBe(0);
    expect(valueOf(after, 'keel_telemetry_buffered_records', { sink: 'store' })).toBe(0);
    expect(valueOf(after, 'keel_telemetry_subscriber_errors_total')).toBe(0);
  });

  it('sums tokens and cost as the client saw them', () => {
    const tokenSum = (type: string) =>
      sumOf(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: type });
    expect(clientTokens.input).toBeGreaterThan(0);
    expect(tokenSum('input')).toBe(clientTokens.input);
    expect(tokenSum('output')).toBe(clientTokens.output);
    // One observation per answered request and token type.
    expect(sumOf(samples, 'gen_ai_client_token_usage_count', { gen_ai_token_type: 'input' })).toBe(4);
    expect(
      valueOf(samples, 'gen_ai_client_token_usage_count', {
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: 'mock',
        gen_ai_request_model: 'chat-default',
        gen_ai_response_model: 'sim-large',
        gen_ai_token_type: 'output',
      }),
    ).toBe(2);
    for (const provider of ['primary', 'backup']) {
      expect(valueOf(samples, 'keel_cost_usd_total', { provider, model: 'chat-default' })).toBeCloseTo(
        clientCostUsd[provider] ?? Number.NaN,
        12,
      );
    }
  });

  it('records GenAI durations with semconv labels and bucket boundaries', () => {
    const okSeries = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'mock',
      gen_ai_request_model: 'chat-default',
      gen_ai_response_model: 'sim-small',
    };
    const duration = 'gen_ai_client_operation_duration_seconds';
    expect(valueOf(samples, `${duration}_count`, okSeries)).toBe(2);
    // A request that failed after attempts: provider family from config, error.type, no response model.
    expect(
      valueOf(samples, `${duration}_count`, {
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: 'mock',
        gen_ai_request_model: 'chat-default',
        error_type: 'KEEL_ALL_TARGETS_FAILED',
      }),
    ).toBe(1);
    expect(
      valueOf(samples, `${duration}_count`, {
        gen_ai_operation_name: 'chat',
        gen_ai_request_model: 'unknown',
        error_type: 'KEEL_UNKNOWN_MODEL',
      }),
    ).toBe(1);
    expect(sumOf(samples, `${duration}_count`)).toBe(6);
    const bounds = (values: readonly number[]) => [...values.map(String), '+Inf'];
    expect(bucketBounds(samples, duration, okSeries)).toEqual(bounds(operationDurationBuckets));
    expect(
      bucketBounds(samples, 'gen_ai_client_token_usage', { ...okSeries, gen_ai_token_type: 'input' }),
    ).toEqual(bounds(tokenUsageBuckets));
    // Only the stream has a time to first token.
    expect(bucketBounds(samples, 'gen_ai_server_time_to_first_token_seconds', okSeries)).toEqual(
      bounds(timeToFirstTokenBuckets),
    );
    expect(sumOf(samples, 'gen_ai_server_time_to_first_token_seconds_count')).toBe(1);
    expect(valueOf(samples, `${duration}_bucket`, { ...okSeries, le: '+Inf' })).toBe(2);
  });

  it('labels HTTP metrics by route pattern, never by raw URL', () => {
    const http = (handler: string, method: string, status: string) =>
      valueOf(samples, 'http_requests_total', { handler, method, status });
    expect(http('/v1/chat/completions', 'POST', '200')).toBe(4);
    expect(http('/v1/chat/completions', 'POST', '502')).toBe(1);
    expect(http('/v1/chat/completions', 'POST', '404')).toBe(1);
    expect(http('unmatched', 'GET', '404')).toBe(1);
    expect(http('/health', 'GET', '200')).toBe(1);
    expect(
      valueOf(samples, 'http_request_duration_seconds_count', { handler: 'unmatched', method: 'GET' }),
    ).toBe(1);
    expect(body).not.toContain('/users/42');
  });

  it("passes promtool check metrics for all of Keel's families", () => {
    const promtool = findOnPath('promtool');
    if (promtool === undefined) {
      throw new Error(
        "promtool is not on PATH. Install Debian's prometheus package: apt-get install -y --no-install-recommends prometheus",
      );
    }
    const result = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    // promtool exits non-zero on lint warnings about prom-client's default metrics; read what it says instead.
    const problems = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
    console.info(
      `promtool check metrics (exit ${result.status}):\n${problems.join('\n') || '(no problems)'}`,
    );
    // Every problem must be about one of prom-client's runtime families; a parse error names none.
    for (const problem of problems) expect(problem).toMatch(/^(nodejs|process)_\w+ /);
    expect(problems.filter((problem) => /^(gen_ai|keel|http)_/.test(problem))).toEqual([]);
  });
});
