// `keel traffic` flags: defaults, hard caps, durations and the loopback-or-allowed target rule.
import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseTrafficOptions, TrafficOptionError } from './traffic-options.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof TrafficOptionError) return error.code;
    throw error;
  }
  return undefined;
}

describe('parseTrafficOptions', () => {
  it('fills the defaults', () => {
    const options = parseTrafficOptions({});
    expect(options).toMatchObject({
      profile: 'mixed',
      rps: 10,
      durationMs: 60_000,
      concurrency: 16,
      model: 'chat-default',
      streamShare: 0.5,
    });
    expect(options.targetUrl.href).toBe('http://127.0.0.1:8080/');
  });

  it('parses durations in ms, s, m and h', () => {
    expect(parseDurationMs('1500ms')).toBe(1500);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('45')).toBe(45_000);
    expect(parseDurationMs('5m')).toBe(300_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
  });

  it.each([
    [{ duration: '61m' }, '--duration'],
    [{ duration: 'soon' }, '--duration'],
    [{ rps: '1001' }, '--rps'],
    [{ rps: '0' }, '--rps'],
    [{ rps: 'fast' }, '--rps'],
    [{ concurrency: '257' }, '--concurrency'],
    [{ concurrency: '0' }, '--concurrency'],
    [{ profile: 'chaos' }, '--profile'],
    [{ stream: '1.5' }, '--stream'],
    [{ target: 'not a url' }, '--target'],
    [{ target: 'ftp://127.0.0.1' }, '--target'],
    [{ model: ' ' }, '--model'],
  ])('refuses %o, naming %s', (flags, name) => {
    expect(codeOf(() => parseTrafficOptions(flags))).toBe('KEEL_TRAFFIC_INVALID_OPTION');
    expect(() => parseTrafficOptions(flags)).toThrow(name);
  });

  it('accepts the caps themselves', () => {
    expect(parseTrafficOptions({ duration: '1h', rps: '1000', concurrency: '256' })).toMatchObject({
      durationMs: 3_600_000,
      rps: 1000,
      concurrency: 256,
    });
  });

  it('sends to loopback targets, and to other hosts only when --allow-host names them', () => {
    for (const target of ['http://localhost:8080', 'http://127.0.0.2:9000', 'http://[::1]:8080']) {
      expect(parseTrafficOptions({ target }).targetUrl.href).toContain(new URL(target).host);
    }
    expect(codeOf(() => parseTrafficOptions({ target: 'https://keel.example.com' }))).toBe(
      'KEEL_TRAFFIC_TARGET_NOT_ALLOWED',
    );
    expect(() => parseTrafficOptions({ target: 'https://keel.example.com' })).toThrow(
      '--allow-host keel.example.com',
    );
    expect(
      parseTrafficOptions({ target: 'https://Keel.example.com', 'allow-host': ['keel.example.com'] })
        .targetUrl.hostname,
    ).toBe('keel.example.com');
  });
});
