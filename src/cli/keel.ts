#!/usr/bin/env node
// The `keel` command: start the gateway, run the demo, check a config file, read stats, manage gateway keys, send traffic, inject chaos, export.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { ConfigError, demoConfig, loadConfigFile, validateConfig, type KeelConfig } from '../config/index.js';
import { redactRedisUrl } from '../state/redact-redis-url.js';
import { createKeel } from '../compose/create-keel.js';
import { statsCommand } from './stats-command.js';
import { keysCommand, keysUsage } from './keys-command.js';
import { exportCommand, exportUsage } from './export-command.js';
import { trafficCommand, trafficUsage } from './traffic-command.js';
import { TrafficOptionError } from '../traffic/traffic-options.js';
import { chaosCommand, chaosUsage } from './chaos-command.js';
import { demoCommand, DemoOptionError, demoUsage } from './demo-command.js';

const usage = `Usage:
  keel start [--config FILE] [--port N] [--host ADDRESS]
      Start the gateway. Without a config (--config or KEEL_CONFIG) it runs the built-in demo:
      simulated providers, no provider keys needed. Port: --port, KEEL_PORT, server.port, or 8080.
${demoUsage}
  keel check-config FILE
      Validate a config file and print what it defines.
  keel stats [--url URL | --store FILE] [--window 1h]
      Requests, success rate, tokens, cost and latency per provider, and breaker states: from a
      running Keel (default http://127.0.0.1:8080; KEEL_ADMIN_TOKEN is sent if set) or a store file.
${keysUsage}
${exportUsage}
${trafficUsage}
${chaosUsage}
  keel --version | --help`;

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return packageJson.version;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function parsePort(text: string | undefined, source: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\d+$/.test(text.trim())) fail(`${source}: "${text}" is not a port; use 0-65535`);
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    fail(`${source}: "${text}" is not a port; use 0-65535`);
  return port;
}

async function readConfig(path: string | undefined): Promise<Readonly<KeelConfig>> {
  if (path === undefined || path === '')
    return validateConfig(demoConfig, { source: 'built-in demo config' });
  return loadConfigFile(path);
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
    },
    strict: true,
  });
  const configPath = values.config ?? process.env.KEEL_CONFIG;
  const config = await readConfig(configPath);
  const port =
    parsePort(values.port, '--port') ?? parsePort(process.env.KEEL_PORT, 'KEEL_PORT') ?? config.server.port;
  const host = values.host ?? (process.env.KEEL_HOST || undefined) ?? config.server.host;
  const keel = createKeel({ config, adminToken: process.env.KEEL_ADMIN_TOKEN || undefined });
  const url = await keel.listen({ port, host });
  keel.logger.info(
    {
      url,
      config: configPath ?? 'built-in demo (simulated providers)',
      providers: config.providers.map((provider) => `${provider.id} (${provider.type})`),
      models: config.models.map((model) => model.name),
      routes: config.routes.map((route) => route.path),
    },
    `Keel listening on ${url}; OpenAI-compatible API at ${url}/v1`,
  );
  const stop = (signal: string) => {
    keel.logger.info(
      { signal, inFlight: keel.server.inFlight.size },
      'shutting down: finishing in-flight requests',
    );
    keel
      .close()
      .then(({ drained }) => {
        keel.logger.info({ drained }, 'stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        keel.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function checkConfig(args: string[]): Promise<void> {
  const path = args[0];
  if (path === undefined) fail(`keel check-config needs a file.\n\n${usage}`);
  const config = await loadConfigFile(path);
  process.stdout.write(
    `${path}: valid\n` +
      `  providers: ${config.providers.map((provider) => `${provider.id} (${provider.type})`).join(', ')}\n` +
      `  models:    ${config.models.map((model) => `${model.name} [${model.strategy}]`).join(', ') || '(none)'}\n` +
      `  routes:    ${config.routes.map((route) => route.path).join(', ') || '(none)'}\n` +
      `  state:     ${config.state.redis === undefined ? 'memory (this process only)' : `redis ${redactRedisUrl(config.state.redis)} (key prefix ${config.state.keyPrefix})`}\n` +
      `  monitors:  ${config.monitors.definitions.map((monitor) => monitor.id).join(', ') || (config.monitors.defaultPack ? 'the default pack' : '(none)')}\n` +
      `  probes:    ${config.probes.enabled ? `${config.probes.mode} mode every ${config.probes.intervalMs / 1000} s: ${config.probes.environments.map((environment) => environment.name).join(', ')}` : 'off'}\n`,
  );
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'check-config':
      return checkConfig(rest);
    case 'demo': {
      const controller = new AbortController();
      // Ctrl-C ends the story (or the dashboard left running) and closes Keel gracefully.
      process.once('SIGINT', () => controller.abort());
      process.once('SIGTERM', () => controller.abort());
      const { exitCode } = await demoCommand(rest, { output: process.stdout, signal: controller.signal });
      process.exitCode = exitCode;
      return;
    }
    case 'stats': {
      const { values } = parseArgs({
        args: rest,
        options: {
          url: { type: 'string' },
          store: { type: 'string' },
          window: { type: 'string', short: 'w' },
        },
        strict: true,
      });
      process.stdout.write(await statsCommand(values));
      return;
    }
    case 'keys': {
      let output: string;
      try {
        output = await keysCommand(rest);
      } catch (error) {
        // Argument mistakes (ERR_PARSE_ARGS_*) get the usage below; the rest is a message, not a stack.
        if (error instanceof Error && !('code' in error)) fail(`keel keys: ${error.message}`);
        throw error;
      }
      process.stdout.write(output);
      return;
    }
    case 'chaos': {
      let output: string;
      try {
        output = await chaosCommand(rest);
      } catch (error) {
        if (error instanceof Error && !('code' in error)) fail(`keel chaos: ${error.message}`);
        throw error;
      }
      process.stdout.write(output);
      return;
    }
    case 'export': {
      let output: string;
      try {
        output = await exportCommand(rest);
      } catch (error) {
        if (error instanceof Error && !('code' in error)) fail(`keel export: ${error.message}`);
        throw error;
      }
      process.stdout.write(output);
      return;
    }
    case 'traffic': {
      const controller = new AbortController();
      // Ctrl-C stops sending; the requests in flight finish and the summary still prints.
      process.once('SIGINT', () => controller.abort());
      process.stdout.write(
        await trafficCommand(rest, { progress: process.stderr, env: process.env, signal: controller.signal }),
      );
      return;
    }
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${usage}\n`);
      return;
    default:
      fail(`Unknown command "${command}".\n\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) fail(`keel: ${error.message}`);
  if (error instanceof TrafficOptionError) fail(`keel traffic: ${error.message} (${error.code})`);
  if (error instanceof DemoOptionError) fail(`keel demo: ${error.message}`);
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    fail(`keel: ${error.message}\n\n${usage}`);
  }
  fail(`keel: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
});
