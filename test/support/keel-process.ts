// Keel as a real child process (`keel start` under tsx), for tests where replicas must not share memory.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeelConfigInput } from '../../src/config/index.js';

const cli = join(import.meta.dirname, '../../src/cli/keel.ts');
const tsxLoader = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Started processes; `stopKeelProcesses` kills those still running (call it in afterEach). */
const children: ChildProcessWithoutNullStreams[] = [];

export function stopKeelProcesses(): void {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Writes `config` (JSON is YAML) to a temp file, for `startKeelProcess`. */
export function writeConfigFile(config: KeelConfigInput | string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'keel-process-')), 'keel.yaml');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return path;
}

/**
 * Starts `keel start --config configPath --port 0` in a fresh working directory (its own ./data)
 * and resolves with its base URL once it logs that it listens.
 */
export function startKeelProcess(configPath: string, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, cli, 'start', '--config', configPath, '--port', '0'],
    {
      cwd: mkdtempSync(join(tmpdir(), 'keel-cli-cwd-')),
      env: { ...process.env, KEEL_CONFIG: '', KEEL_PORT: '', KEEL_ADMIN_TOKEN: '', ...env },
      stdio: 'pipe',
    },
  );
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in: ${output}`)), 30_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', () => reject(new Error(`exited early: ${output}`)));
  });
}
