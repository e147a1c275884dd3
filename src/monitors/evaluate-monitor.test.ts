import { describe, expect, it } from 'vitest';
import { monitorDefinitionSchema } from '../config/monitors-schema.js';
import { evaluateMonitor } from './evaluate-monitor.js';
import type { MonitorStatus } from './monitor-state.js';

const anomaly = monitorDefinitionSchema.parse({
  id: 'latency-anomaly',
  type: 'anomaly',
  metric: 'latency.p95',
  window: '5m',
  deviations: 4,
  minHistory: 5,
  minSpread: 10,
});
// Median 100, MAD 7.5, spread 1.4826 × 7.5 = 11.12: 4 deviations is 144.5, 3 (the recovery) 133.4.
const history = [90, 100, 110, 95, 105, 100, 85, 115];

describe('evaluateMonitor: anomaly hysteresis', () => {
  it.each<[number, MonitorStatus, MonitorStatus]>([
    [170, 'OK', 'ALERT'], // more than 4 deviations above
    [140, 'OK', 'OK'], // between recovery and trigger: no alert from OK
    [140, 'ALERT', 'ALERT'], // ...but an ALERT holds there
    [130, 'ALERT', 'OK'], // back within 3 deviations: recovered
    [60, 'OK', 'OK'], // below the baseline: direction above ignores it
  ])('value %d after %s is %s', (value, previous, expected) => {
    const { evaluation } = evaluateMonitor({
      definition: anomaly,
      observation: { kind: 'anomaly', value, requests: 100, history },
      previous,
    });
    expect(evaluation.status).toBe(expected);
    expect(evaluation.changed).toBe(expected !== previous);
  });

  it('applies the no-data policy to a thin window and too little history', () => {
    const keep = monitorDefinitionSchema.parse({ ...anomaly, noData: 'keep', minRequests: 50 });
    const thin = evaluateMonitor({
      definition: keep,
      observation: { kind: 'anomaly', value: 500, requests: 10, history },
      previous: 'ALERT',
    });
    expect(thin.evaluation.status).toBe('ALERT');
    const short = evaluateMonitor({
      definition: anomaly,
      observation: { kind: 'anomaly', value: 500, requests: 100, history: [100, 101] },
      previous: 'OK',
    });
    expect(short.evaluation.status).toBe('NO_DATA');
  });
});
