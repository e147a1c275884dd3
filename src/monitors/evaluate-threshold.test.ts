import { describe, expect, it } from 'vitest';
import { evaluateThreshold, type ThresholdDefinition } from './evaluate-threshold.js';
import type { MonitorStatus } from './monitor-state.js';

// p95 latency in ms: warn at 2000, alert at 4000, recover from ALERT below 3000 and from WARN below 1500.
const latency: ThresholdDefinition = {
  warn: 2000,
  critical: 4000,
  recoveryWarn: 1500,
  recoveryCritical: 3000,
  direction: 'above',
  minRequests: 10,
  noData: 'no-data',
};

// Cache hit rate: bad when it falls; warn at 0.5, alert at 0.2, recover above 0.3 / 0.6.
const hitRate: ThresholdDefinition = {
  warn: 0.5,
  critical: 0.2,
  recoveryWarn: 0.6,
  recoveryCritical: 0.3,
  direction: 'below',
  noData: 'keep',
};

type Row = [previous: MonitorStatus, value: number | null, requests: number, expected: MonitorStatus];

describe('evaluateThreshold, direction above with hysteresis', () => {
  const rows: Row[] = [
    ['OK', 1000, 100, 'OK'],
    ['OK', 1999, 100, 'OK'],
    ['OK', 2000, 100, 'WARN'], // warn is inclusive
    ['OK', 3999, 100, 'WARN'],
    ['OK', 4000, 100, 'ALERT'], // critical is inclusive
    ['OK', 9000, 100, 'ALERT'],
    ['WARN', 4000, 100, 'ALERT'],
    ['WARN', 2500, 100, 'WARN'],
    ['WARN', 1800, 100, 'WARN'], // below warn but not below recoveryWarn
    ['WARN', 1500, 100, 'WARN'],
    ['WARN', 1499, 100, 'OK'],
    ['ALERT', 3500, 100, 'ALERT'], // between recoveryCritical and critical: stays
    ['ALERT', 3000, 100, 'ALERT'],
    ['ALERT', 2999, 100, 'WARN'], // recovered from ALERT, still above warn
    ['ALERT', 1800, 100, 'WARN'], // below warn, not below recoveryWarn
    ['ALERT', 1000, 100, 'OK'],
    ['NO_DATA', 3500, 100, 'WARN'], // hysteresis only holds a state already reached
    ['NO_DATA', 1800, 100, 'OK'],
    ['NO_DATA', 4500, 100, 'ALERT'],
  ];
  it.each(rows)('%s with value %s (%s requests) -> %s', (previous, value, requests, expected) => {
    const result = evaluateThreshold({ definition: latency, sample: { value, requests }, previous });
    expect(result.status).toBe(expected);
    expect(result.previousStatus).toBe(previous);
    expect(result.changed).toBe(previous !== expected);
    expect(result.value).toBe(value);
  });
});

describe('evaluateThreshold, direction below', () => {
  const rows: Row[] = [
    ['OK', 0.9, 100, 'OK'],
    ['OK', 0.5, 100, 'WARN'],
    ['OK', 0.2, 100, 'ALERT'],
    ['OK', 0.1, 100, 'ALERT'],
    ['ALERT', 0.25, 100, 'ALERT'],
    ['ALERT', 0.3, 100, 'ALERT'],
    ['ALERT', 0.31, 100, 'WARN'],
    ['ALERT', 0.7, 100, 'OK'],
    ['WARN', 0.55, 100, 'WARN'],
    ['WARN', 0.6, 100, 'WARN'],
    ['WARN', 0.61, 100, 'OK'],
    ['OK', 0.55, 100, 'OK'],
  ];
  it.each(rows)('%s with value %s -> %s', (previous, value, requests, expected) => {
    expect(evaluateThreshold({ definition: hitRate, sample: { value, requests }, previous }).status).toBe(
      expected,
    );
  });
});

describe('evaluateThreshold, no data and minRequests', () => {
  const policies: [ThresholdDefinition['noData'], MonitorStatus, MonitorStatus][] = [
    ['no-data', 'ALERT', 'NO_DATA'],
    ['no-data', 'OK', 'NO_DATA'],
    ['ok', 'ALERT', 'OK'],
    ['ok', 'NO_DATA', 'OK'],
    ['keep', 'ALERT', 'ALERT'],
    ['keep', 'WARN', 'WARN'],
    ['keep', 'NO_DATA', 'NO_DATA'],
  ];
  it.each(policies)('policy %s from %s with a null value -> %s', (noData, previous, expected) => {
    const result = evaluateThreshold({
      definition: { ...latency, noData },
      sample: { value: null, requests: 100 },
      previous,
    });
    expect(result.status).toBe(expected);
    expect(result.value).toBeNull();
    expect(result.reason).toContain(noData);
  });

  it('treats a sample under minRequests as no data even when the value breaches', () => {
    const thin = evaluateThreshold({
      definition: latency,
      sample: { value: 9000, requests: 9 },
      previous: 'OK',
    });
    expect(thin.status).toBe('NO_DATA');
    expect(thin.changed).toBe(true);
    expect(thin.reason).toContain('9 requests < minRequests 10');
    const enough = evaluateThreshold({
      definition: latency,
      sample: { value: 9000, requests: 10 },
      previous: 'OK',
    });
    expect(enough.status).toBe('ALERT');
  });

  it('treats NaN as no value', () => {
    const result = evaluateThreshold({
      definition: { ...latency, noData: 'ok' },
      sample: { value: Number.NaN, requests: 100 },
      previous: 'ALERT',
    });
    expect(result).toMatchObject({ status: 'OK', value: null, changed: true });
  });

  it('defaults minRequests to 0 so an empty window with a value is judged', () => {
    const { minRequests: _, ...withoutMinimum } = latency;
    expect(
      evaluateThreshold({ definition: withoutMinimum, sample: { value: 5000, requests: 0 }, previous: 'OK' })
        .status,
    ).toBe('ALERT');
  });
});

describe('evaluateThreshold, defaults and validation', () => {
  it('recovers at the trigger levels when no recovery levels are given', () => {
    const plain: ThresholdDefinition = { warn: 2000, critical: 4000, direction: 'above', noData: 'keep' };
    const table: Row[] = [
      ['ALERT', 3999, 1, 'WARN'],
      ['ALERT', 1999, 1, 'OK'],
      ['WARN', 1999, 1, 'OK'],
    ];
    for (const [previous, value, requests, expected] of table) {
      expect(evaluateThreshold({ definition: plain, sample: { value, requests }, previous }).status).toBe(
        expected,
      );
    }
  });

  it('goes straight between OK and ALERT without a warn level', () => {
    const criticalOnly: ThresholdDefinition = {
      critical: 0.05,
      recoveryCritical: 0.02,
      direction: 'above',
      noData: 'ok',
    };
    const at = (value: number, previous: MonitorStatus) =>
      evaluateThreshold({ definition: criticalOnly, sample: { value, requests: 100 }, previous }).status;
    expect(at(0.04, 'OK')).toBe('OK');
    expect(at(0.05, 'OK')).toBe('ALERT');
    expect(at(0.03, 'ALERT')).toBe('ALERT');
    expect(at(0.01, 'ALERT')).toBe('OK');
  });

  it('explains the decision', () => {
    expect(
      evaluateThreshold({ definition: latency, sample: { value: 4200, requests: 50 }, previous: 'WARN' })
        .reason,
    ).toBe('4200 >= critical 4000');
    expect(
      evaluateThreshold({ definition: latency, sample: { value: 1000, requests: 50 }, previous: 'ALERT' })
        .reason,
    ).toBe('recovered: 1000 < warn 2000');
  });

  it.each<[ThresholdDefinition, RegExp]>([
    [{ ...latency, warn: 5000 }, /warn \(5000\) must not be above critical/],
    [{ ...latency, recoveryCritical: 4500 }, /recoveryCritical \(4500\) must not be above critical/],
    [{ ...latency, recoveryWarn: 2500 }, /recoveryWarn \(2500\) must not be above warn/],
    [{ ...hitRate, recoveryCritical: 0.1 }, /recoveryCritical \(0.1\) must not be below critical/],
    [{ ...latency, critical: Number.NaN }, /critical must be a finite number/],
    [{ critical: 10, recoveryWarn: 5, direction: 'above', noData: 'ok' }, /recoveryWarn needs warn/],
  ])('rejects inconsistent thresholds %#', (definition, message) => {
    expect(() =>
      evaluateThreshold({ definition, sample: { value: 1, requests: 100 }, previous: 'OK' }),
    ).toThrow(message);
  });
});

describe('evaluateThreshold over a series', () => {
  it('does not flap while the value hovers around critical, and recovers step by step', () => {
    const series = [1000, 2100, 4100, 3900, 4050, 3100, 2900, 1700, 1400, 1600];
    let status: MonitorStatus = 'OK';
    const statuses: MonitorStatus[] = [];
    for (const value of series) {
      status = evaluateThreshold({
        definition: latency,
        sample: { value, requests: 100 },
        previous: status,
      }).status;
      statuses.push(status);
    }
    expect(statuses).toEqual(['OK', 'WARN', 'ALERT', 'ALERT', 'ALERT', 'ALERT', 'WARN', 'WARN', 'OK', 'OK']);
  });
});
