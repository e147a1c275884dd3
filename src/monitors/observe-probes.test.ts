// Probe metrics for threshold monitors: nearest-rank quantiles, each metric's value, and the groups observed.
import { describe, expect, it, vi } from 'vitest';
import { monitorDefinitionSchema, type MonitorDefinition } from '../config/monitors-schema.js';
import { openOpsDatabase } from '../ops/ops-database.js';
import { probeMeasurement } from '../../test/support/probe-measurements.js';
import { SqliteProbeStore, type ProbeWindowGroup } from '../probes/probe-store.js';
import { nearestRank, observeProbes, probeMetricValue, type ProbeWindowReader } from './observe-probes.js';

type ThresholdDefinition = Extract<MonitorDefinition, { type: 'threshold' }>;

function thresholdOf(overrides: Record<string, unknown> = {}): ThresholdDefinition {
  const definition = monitorDefinitionSchema.parse({
    id: 'probe-failures',
    type: 'threshold',
    metric: 'probe.failure_rate',
    window: '5m',
    critical: 0.5,
    ...overrides,
  });
  if (definition.type !== 'threshold') throw new Error('not a threshold monitor');
  return definition;
}

const group = (overrides: Partial<ProbeWindowGroup> = {}): ProbeWindowGroup => ({
  key: {},
  count: 0,
  failures: 0,
  latencies: [],
  ttfts: [],
  ...overrides,
});

const NOW = Date.parse('2026-01-01T12:00:00Z');
const oneToTen = Array.from({ length: 10 }, (_, index) => index + 1);
const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

describe('nearestRank', () => {
  it.each<[string, number[], number, number | null]>([
    ['none', [], 0.5, null],
    ['one value at q 0', [7], 0, 7],
    ['one value at q 1', [7], 1, 7],
    ['1..10 at q 0', oneToTen, 0, 1],
    ['1..10 at q 0.1', oneToTen, 0.1, 1],
    ['1..10 at q 0.5', oneToTen, 0.5, 5],
    ['1..10 at q 0.9', oneToTen, 0.9, 9],
    ['1..10 at q 0.95', oneToTen, 0.95, 10],
    ['1..10 at q 1', oneToTen, 1, 10],
    ['1..100 at q 0.5', oneToHundred, 0.5, 50],
    ['1..100 at q 0.95', oneToHundred, 0.95, 95],
    ['1..100 at q 0.99', oneToHundred, 0.99, 99],
    ['unsorted values', [300, 100, 200], 0.5, 200],
    ['a q above 1', [1, 2, 3], 2, 3],
    ['a q below 0', [1, 2, 3], -1, 1],
  ])('%s', (_name, values, q, expected) => {
    expect(nearestRank(values, q)).toBe(expected);
  });

  it('leaves its input as it was', () => {
    const values = [3, 1, 2];
    nearestRank(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('probeMetricValue', () => {
  const measured = group({ count: 4, failures: 1, latencies: [300, 100, 200], ttfts: [70, 50] });

  it.each<[string, number | null, number | null]>([
    ['probe.count', 4, 0],
    ['probe.failure_rate', 0.25, null],
    ['probe.latency.p50', 200, null],
    ['probe.latency.p95', 300, null],
    ['probe.latency.avg', 200, null],
    ['probe.ttft.p95', 70, null],
  ])('%s is %s over measurements and %s over none', (metric, value, empty) => {
    expect(probeMetricValue(metric, measured)).toBe(value);
    expect(probeMetricValue(metric, group())).toBe(empty);
  });

  it('is a failure rate of 1 when every probe failed, with no latency', () => {
    const failing = group({ count: 3, failures: 3 });
    expect(probeMetricValue('probe.failure_rate', failing)).toBe(1);
    expect(probeMetricValue('probe.latency.p95', failing)).toBeNull();
  });

  it.each(['latency.p95', 'probe.latency.p99', ''])('refuses %j with a RangeError', (metric) => {
    expect(() => probeMetricValue(metric, measured)).toThrow(RangeError);
  });
});

describe('observeProbes', () => {
  it('without a reader: one empty group with no value, so the monitor shows no data', () => {
    expect(observeProbes({ definition: thresholdOf(), nowMs: NOW, read: undefined })).toEqual([
      { group: {}, groupId: '', observation: { kind: 'value', value: null, requests: 0 } },
    ]);
  });

  it('without measurements and groupBy: one empty group (probe.count is 0 there)', () => {
    const read = vi.fn<ProbeWindowReader>(() => []);
    expect(observeProbes({ definition: thresholdOf({ metric: 'probe.count' }), nowMs: NOW, read })).toEqual([
      { group: {}, groupId: '', observation: { kind: 'value', value: 0, requests: 0 } },
    ]);
  });

  it('without measurements but with groupBy: no groups (the caller adds the ones that went quiet)', () => {
    const read = vi.fn<ProbeWindowReader>(() => []);
    expect(
      observeProbes({ definition: thresholdOf({ groupBy: ['environment'] }), nowMs: NOW, read }),
    ).toEqual([]);
  });

  it('reads the window up to now inclusive, grouped and filtered by environment and model only', () => {
    const read = vi.fn<ProbeWindowReader>(() => []);
    const definition = thresholdOf({
      groupBy: ['model', 'environment'],
      filters: { environment: 'prod', model: 'gpt-4o' },
    });
    // Dimensions probes do not know (the config refuses them) are not passed on.
    const loose = {
      ...definition,
      groupBy: [...definition.groupBy, 'provider'],
      filters: { ...definition.filters, provider: 'x' },
    };
    observeProbes({ definition: loose as ThresholdDefinition, nowMs: NOW, read });
    expect(read).toHaveBeenCalledWith({
      fromMs: NOW - 300_000,
      toMs: NOW + 1,
      groupBy: ['model', 'environment'],
      filters: { environment: 'prod', model: 'gpt-4o' },
      // A failure rate needs only the counts, not the latencies.
      values: 'none',
    });
  });

  it.each([
    ['probe.latency.p95', 'latency'],
    ['probe.latency.avg', 'latency'],
    ['probe.ttft.p95', 'ttft'],
    ['probe.count', 'none'],
  ])('asks the store for the values %s needs: %s', (metric, values) => {
    const read = vi.fn<ProbeWindowReader>(() => []);
    observeProbes({ definition: thresholdOf({ metric }), nowMs: NOW, read });
    expect(read.mock.calls[0]?.[0].values).toBe(values);
  });

  it('one observation per group, with the number of probes as requests', () => {
    const read: ProbeWindowReader = () => [
      group({ key: { environment: 'prod', model: 'a' }, count: 4, failures: 1, latencies: [100] }),
      group({ key: { environment: 'dev', model: 'a' }, count: 2, failures: 0, latencies: [100, 200] }),
    ];
    const definition = thresholdOf({ groupBy: ['environment', 'model'] });
    expect(observeProbes({ definition, nowMs: NOW, read })).toEqual([
      {
        group: { environment: 'prod', model: 'a' },
        groupId: 'environment=prod,model=a',
        observation: { kind: 'value', value: 0.25, requests: 4 },
      },
      {
        group: { environment: 'dev', model: 'a' },
        groupId: 'environment=dev,model=a',
        observation: { kind: 'value', value: 0, requests: 2 },
      },
    ]);
  });

  it('over a real probe store: the window is [now - window, now]', () => {
    const store = new SqliteProbeStore(openOpsDatabase(':memory:'));
    const at = (atMs: number, latencyMs: number) =>
      probeMeasurement({ atMs, model: 'm', latencyMs, ttftMs: null });
    store.add([at(NOW - 300_001, 9_000), at(NOW - 300_000, 100), at(NOW, 300), at(NOW + 1, 8_000)]);
    const [observed] = observeProbes({
      definition: thresholdOf({ metric: 'probe.latency.avg', critical: 1000 }),
      nowMs: NOW,
      read: (options) => store.window(options),
    });
    expect(observed?.observation).toEqual({ kind: 'value', value: 200, requests: 2 });
  });
});
