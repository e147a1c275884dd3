import { describe, expect, it } from 'vitest';
import { DemoOptionError, parseDemoOptions } from './demo-command.js';

describe('parseDemoOptions', () => {
  it('defaults to the full story on port 8080, left running', () => {
    expect(parseDemoOptions([])).toEqual({
      short: false,
      exit: false,
      port: undefined,
      host: undefined,
      dataDir: undefined,
    });
  });

  it('reads every flag', () => {
    expect(
      parseDemoOptions(['--short', '--exit', '--port', '0', '--host', '0.0.0.0', '--data-dir', '/tmp/x']),
    ).toEqual({ short: true, exit: true, port: 0, host: '0.0.0.0', dataDir: '/tmp/x' });
  });

  it('refuses a bad port or an empty value, saying what to write', () => {
    expect(() => parseDemoOptions(['--port', 'eighty'])).toThrow(DemoOptionError);
    expect(() => parseDemoOptions(['--port', '70000'])).toThrow(/use 0-65535/);
    expect(() => parseDemoOptions(['--data-dir', ' '])).toThrow(/--data-dir/);
    expect(() => parseDemoOptions(['--loud'])).toThrow(/--loud/);
  });
});
