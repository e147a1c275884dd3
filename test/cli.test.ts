// The `keel` command as users run it: start with a config, serve, stop on SIGTERM with exit 0; check-config; keys.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textReader } from './support/read-body.js';
import { startKeel } from './support/keel-harness.js';

const cli = join(import.meta.dirname, '../src/cli/keel.ts');

const tsxLoader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Runs the CLI from a fresh temp dir, so its ./data store lands there and not in the repo. */
function runKeel(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', tsxLoader, cli, ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'keel-cli-cwd-')),
    env: { ...process.env, ...env, KEEL_CONFIG: '', KEEL_PORT: '' },
    stdio: 'pipe',
  });
}

async function runToEnd(args: string[], env: Record<string, string> = {}) {
  const child = runKeel(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}

/** Waits for the "listening" log line and returns the URL it names. */
async function waitForUrl(child: ChildProcessWithoutNullStreams): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', () => reject(new Error(`exited early: ${output}`)));
  });
}

function writeConfig(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'keel-cli-')), 'keel.yaml');
  writeFileSync(path, text);
  return path;
}

describe('keel CLI', () => {
  it('starts the built-in demo without a config and serves chat completions', async () => {
    const child = runKeel(['start', '--port', '0']);
    try {
      const url = await waitForUrl(child);
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat-fast', messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('finishes an in-flight stream on SIGTERM, then exits 0', async () => {
    const config = writeConfig(`
providers:
  - { id: sim, type: mock, latencyMs: { p50: 1200, p99: 1200 }, outputTokens: 12, seed: 3 }
models:
  - { name: chat-default, targets: [ { provider: sim, model: sim-1 } ] }
`);
    const child = runKeel(['start', '--config', config, '--port', '0']);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await waitForUrl(child);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'chat-default',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const reader = textReader(response);
    let body = (await reader.next()) ?? '';
    child.kill('SIGTERM');
    body += await reader.rest();
    expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    expect(body).toContain('"finish_reason":"stop"');
    expect(await exited).toBe(0);
  });

  it('stops the start with a message naming the option, the value and the fix', async () => {
    const config = writeConfig(`
providers:
  - { id: primary, type: opneai, apiKey: "\${KEEL_TEST_MISSING_KEY}" }
reliability: { timeoutMs: -5 }
`);
    const { code, stderr } = await runToEnd(['start', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toContain('providers[0].apiKey: environment variable KEEL_TEST_MISSING_KEY is not set');
    expect(stderr).toContain(
      'providers[0].type: got "opneai"; use one of openai, anthropic, gemini, huggingface, mock',
    );
    expect(stderr).toContain('reliability.timeoutMs: got -5');
  });

  it('check-config reports a valid file and what it defines', async () => {
    const config = writeConfig(`
providers:
  - { id: primary, type: openai, baseUrl: "http://127.0.0.1:9101/v1", apiKey: "\${PRIMARY_KEY}" }
  - { id: sim, type: mock }
models:
  - { name: chat-default, strategy: fallback, targets: [ { provider: primary, model: gpt-4o-mini }, { provider: sim, model: sim-1 } ] }
`);
    const { code, stdout } = await runToEnd(['check-config', config], { PRIMARY_KEY: 'sk-x' });
    expect(code).toBe(0);
    expect(stdout).toContain('valid');
    expect(stdout).toContain('chat-default [fallback]');
    expect(stdout).toContain('state:     memory (this process only)');
    expect(stdout).toContain('monitors:  the default pack');
    expect(stdout).toContain('probes:    off');
  });

  it('check-config names the probed environments', async () => {
    const config = writeConfig(`
providers: [ { id: sim, type: mock } ]
probes: { enabled: true, mode: full, environments: [ { name: dev, baseUrl: "http://127.0.0.1:9201" }, { name: prod, baseUrl: "http://127.0.0.1:9202" } ] }
`);
    const { code, stdout } = await runToEnd(['check-config', config]);
    expect(code).toBe(0);
    expect(stdout).toContain('probes:    full mode every 60 s: dev, prod');
  });

  it('check-config names the shared Redis without its password', async () => {
    const config = writeConfig(`
providers:
  - { id: sim, type: mock }
state:
  redis: "\${KEEL_REDIS_URL}"
`);
    const { code, stdout } = await runToEnd(['check-config', config], {
      KEEL_REDIS_URL: 'redis://keel:s3cret@redis.internal:6380/2',
    });
    expect(code).toBe(0);
    expect(stdout).toContain('state:     redis redis://keel:***@redis.internal:6380/2 (key prefix keel:)');
    expect(stdout).not.toContain('s3cret');
  });

  it('keys create, list and revoke on a key file; the secret is printed by create only', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'keel-cli-keys-')), 'keys.db');
    const created = await runToEnd([
      'keys',
      'create',
      '--name',
      'checkout-prod',
      '--team',
      'payments',
      '--application',
      'checkout',
      '--models',
      'chat-default,openai/*',
      '--rpm',
      '600',
      '--monthly-usd',
      '500',
      '--file',
      file,
    ]);
    expect(created.code).toBe(0);
    const secret = /(keel_sk_[A-Za-z0-9_-]{43})/.exec(created.stdout)?.[1] ?? '';
    const id = /(key_[0-9a-f]{16})/.exec(created.stdout)?.[1] ?? '';
    expect(secret).not.toBe('');
    expect(created.stdout).toContain('shown this once');
    expect(created.stdout).toContain('600 req/min, $500/month');
    const listed = await runToEnd(['keys', 'list', '--file', file]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain(secret.slice(0, 12));
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).toMatch(/payments .* active/);
    const revoked = await runToEnd(['keys', 'revoke', id, '--file', file]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${id}`);
    expect((await runToEnd(['keys', 'list', '--file', file])).stdout).toMatch(/revoked \d{4}-/);
    const missing = await runToEnd(['keys', 'revoke', 'key_nope', '--file', file]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`keel keys: no key key_nope in ${file}; \`keel keys list\` shows them\n`);
    const bad = await runToEnd(['keys', 'create', '--name', 'x', '--rpm', '1.5', '--file', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--rpm');
  }, 60_000);

  it('keys create and revoke through a running Keel, which serves the key at once and then refuses it', async () => {
    const harness = await startKeel({
      providers: [{ id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 } }],
      models: [{ name: 'chat', targets: [{ provider: 'sim', model: 'sim-1' }] }],
    });
    try {
      const created = await runToEnd(['keys', 'create', '--name', 'ci', '--url', harness.url]);
      expect(created.code).toBe(0);
      const secret = /(keel_sk_[A-Za-z0-9_-]{43})/.exec(created.stdout)?.[1] ?? '';
      const id = /(key_[0-9a-f]{16})/.exec(created.stdout)?.[1] ?? '';
      const call = (key: string) =>
        fetch(`${harness.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
        });
      expect((await call(secret)).status).toBe(200);
      expect((await runToEnd(['keys', 'list', '--url', harness.url])).stdout).toContain(id);
      expect((await runToEnd(['keys', 'revoke', id, '--url', harness.url])).code).toBe(0);
      expect((await call(secret)).status).toBe(401);
    } finally {
      await harness.close();
    }
  }, 60_000);

  it('rejects an unknown command with usage', async () => {
    const { code, stderr } = await runToEnd(['launch']);
    expect(code).toBe(1);
    expect(stderr).toContain('Unknown command "launch"');
    expect(stderr).toContain('keel start');
  });
});
