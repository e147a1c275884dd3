// Child processes of the benchmark: the upstream, the bare reference proxy and Keel itself.
import { fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const rootDir = path.resolve(benchDir, '..');
export const keelCli = path.join(rootDir, 'dist', 'cli', 'keel.js');

export function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the first value, or rejects after `ms`. */
export function within(ms, what, promise) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Forks one of the bench's own servers; it reports { type: 'listening', port } over IPC. */
export function forkServer(file, env) {
  const child = fork(path.join(benchDir, file), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
    execArgv: [],
  });
  const waitFor = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message?.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code) => reject(new Error(`${file} exited (code ${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return { child, waitFor, ready: within(10_000, `${file} start`, waitFor('listening')) };
}

export function startUpstream(settings) {
  const server = forkServer('upstream.js', {
    BENCH_UPSTREAM_DELAY_MS: String(settings.delayMs),
    BENCH_UPSTREAM_STREAM_MS: String(settings.streamMs),
  });
  const { child, waitFor } = server;
  return {
    ...server,
    configure: (next) => {
      const answer = waitFor('configured');
      child.send({ type: 'configure', settings: next });
      return within(5_000, 'upstream configure', answer);
    },
    stats: () => {
      const answer = waitFor('stats');
      child.send({ type: 'stats' });
      return within(5_000, 'upstream stats', answer).then((message) => message.counters);
    },
  };
}

export function keelConfig({ upstreamPort, logLevel, streamMs }) {
  return {
    server: { host: '127.0.0.1', shutdownGraceMs: 2_000 },
    logging: { level: logLevel },
    providers: [
      {
        id: 'upstream',
        type: 'openai',
        baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
        apiKey: 'bench',
        // The default pool (256) would queue streams 257..1000 behind the first 256.
        connections: 2_048,
      },
    ],
    models: [{ name: 'bench', targets: [{ provider: 'upstream', model: 'bench-model' }] }],
    reliability: {
      // Long enough that no stream in the run meets the per-request deadline.
      timeoutMs: Math.max(30_000, streamMs + 60_000),
      retry: { maxAttempts: 1 },
    },
  };
}

export async function startKeel({ configPath, port, logPath, profileDir }) {
  const logFd = openSync(logPath, 'a');
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(
    process.execPath,
    [...nodeArgs, keelCli, 'start', '--config', configPath, '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', logFd, logFd], cwd: rootDir },
  );
  closeSync(logFd);
  // A benchmark that dies must not leave Keel running (the forked servers exit on disconnect).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const origin = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let attempt = 0; attempt < 150; attempt++) {
    if (exited) break;
    try {
      const response = await request(`${origin}/health`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await response.body.text();
      if (response.statusCode === 200) return { child, origin, startMs: performance.now() - startedAt };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(
    `Keel did not become healthy within 15 s; see ${logPath}:\n${readFileSync(logPath, 'utf8')}`,
  );
}

export async function stopProcess(child, signal = 'SIGTERM', graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  try {
    await within(graceMs, 'process stop', exited);
  } catch {
    child.kill('SIGKILL');
    await within(5_000, 'process kill', exited).catch(() => undefined);
  }
}
