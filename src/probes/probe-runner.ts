// The probe loop: every interval, refresh each environment's model list and probe every model once.
import type { Dispatcher } from 'undici';
import { parseExpectation, type ProbesConfig } from '../config/probes-schema.js';
import type { Clock, Scheduler } from '../spec/index.js';
import { fetchUsageModels, UsageFetchError } from './fetch-usage-models.js';
import type { ProbeMeasurement, SqliteProbeStore } from './probe-store.js';
import { runProbe, type ProbeOutcome } from './run-probe.js';

/** Where a probed model came from. */
export type ModelSource = 'config' | 'usage';

/** One environment as the loop sees it now. */
export interface ProbeEnvironmentStatus {
  name: string;
  /** The endpoint probed, key-like query values hidden; undefined until a simple-mode Keel knows its own URL. */
  baseUrl: string | undefined;
  usageUrl: string | undefined;
  /** The models probed at the last cycle, and where each came from. */
  models: { model: string; sources: ModelSource[] }[];
  usage: {
    lastOkAtMs: number | null;
    lastErrorAtMs: number | null;
    error: string | null;
    errorCode: string | null;
  };
}

/** What `GET /api/probes` shows. */
export interface ProbeRunnerStatus {
  mode: ProbesConfig['mode'];
  intervalMs: number;
  running: boolean;
  cycles: number;
  /** Cycles not started because the previous one was still running. */
  skippedCycles: number;
  lastCycle: { startedAtMs: number; finishedAtMs: number; probes: number; failures: number } | null;
  environments: ProbeEnvironmentStatus[];
}

/** Options of {@link ProbeRunner}. */
export interface ProbeRunnerOptions {
  config: ProbesConfig;
  store: SqliteProbeStore;
  clock: Clock;
  scheduler: Scheduler;
  /** Reads `apiKeyEnv` variables; default process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The cost of a measured call, from Keel's price book; null when unknown. */
  costUsd?: ((outcome: ProbeOutcome) => number | null) | undefined;
  /** Told of every stored measurement (metrics). */
  onMeasurement?: ((measurement: ProbeMeasurement) => void) | undefined;
  /** After each cycle that ran to its end, with what it probed (metrics forget the rest). */
  onCycleEnd?: ((probed: readonly { environment: string; model: string }[]) => void) | undefined;
  onError?:
    ((error: unknown, context: { environment: string; stage: 'usage' | 'store' }) => void) | undefined;
  dispatcher?: Dispatcher | undefined;
}

interface EnvironmentState {
  name: string;
  baseUrl: string | undefined;
  apiKeyEnv: string | undefined;
  usageApiKeyEnv: string | undefined;
  usageUrl: string | undefined;
  configured: readonly string[];
  /** The usage endpoint's last good list: a failed read keeps probing what it listed before. */
  usageModels: readonly string[];
  models: Map<string, ModelSource[]>;
  usage: ProbeEnvironmentStatus['usage'];
}

/** Query parameters whose values status() hides: they may carry a key. */
const SECRET_PARAMETER = /key|token|secret|auth|sig|pass/i;

/**
 * A URL as status() shows it: the values of key-like query parameters as ***. (The config refuses
 * credentials in the userinfo.)
 */
function withoutCredentials(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parsed = new URL(url);
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed
    .toString()
    .replace(/\/$/, '')
    .replace(/%2A%2A%2A/g, '***');
}

/**
 * Runs probe cycles. In simple mode every environment is probed through one endpoint
 * (`probes.baseUrl`, default this Keel once it listens) and labelled with its name; in full mode
 * each at its own. Model lists are read from the usage endpoints at every cycle, so a model added
 * there is probed at the next one.
 */
export class ProbeRunner {
  readonly #options: ProbeRunnerOptions;
  readonly #environments: EnvironmentState[];
  readonly #expect: ((answer: string) => boolean) | undefined;
  #stop: (() => void) | undefined;
  /** Set by stop(), cleared by start(): a stopped runner runs no cycle, not even a queued one. */
  #stopped = false;
  #cycle: Promise<void> | undefined;
  #abort = new AbortController();
  #cycles = 0;
  #skipped = 0;
  #lastCycle: ProbeRunnerStatus['lastCycle'] = null;

  constructor(options: ProbeRunnerOptions) {
    this.#options = options;
    const { config } = options;
    this.#expect = config.expect === undefined ? undefined : parseExpectation(config.expect);
    this.#environments = config.environments.map((environment) => ({
      name: environment.name,
      baseUrl: config.mode === 'full' ? environment.baseUrl : config.baseUrl,
      apiKeyEnv: environment.apiKeyEnv ?? config.apiKeyEnv,
      usageApiKeyEnv:
        environment.usageApiKeyEnv ?? config.usageApiKeyEnv ?? environment.apiKeyEnv ?? config.apiKeyEnv,
      usageUrl: environment.usageUrl ?? (config.mode === 'simple' ? config.usageUrl : undefined),
      configured: [...new Set([...config.models, ...environment.models])],
      usageModels: [],
      models: new Map(),
      usage: { lastOkAtMs: null, lastErrorAtMs: null, error: null, errorCode: null },
    }));
  }

  /**
   * Starts the loop: a first cycle soon, then one every `intervalMs`. `selfUrl` is this Keel's own
   * base URL, probed in simple mode when `probes.baseUrl` is not set.
   */
  start(selfUrl?: string): void {
    if (this.#stop !== undefined) return;
    if (this.#stopped) {
      this.#stopped = false;
      this.#abort = new AbortController();
    }
    for (const environment of this.#environments) environment.baseUrl ??= selfUrl;
    const { scheduler, config } = this.#options;
    const tick = () => {
      if (this.#stopped) return;
      if (this.#cycle !== undefined) {
        this.#skipped += 1;
        return;
      }
      void this.runCycle();
    };
    this.#stop = scheduler.every(config.intervalMs, tick);
    scheduler.soon(tick);
  }

  /** Stops the loop; calls in flight are aborted and the cycle ends. */
  async stop(): Promise<void> {
    this.#stop?.();
    this.#stop = undefined;
    this.#stopped = true;
    this.#abort.abort(new Error('probes stopped'));
    await this.#cycle;
  }

  /**
   * Runs one cycle now (or joins the one running) and resolves when it is stored. After stop() it
   * does nothing: Keel is closing, and what it probed would be its own refusals.
   */
  runCycle(): Promise<void> {
    if (this.#stopped) return this.#cycle ?? Promise.resolve();
    this.#cycle ??= this.#runCycle().finally(() => {
      this.#cycle = undefined;
    });
    return this.#cycle;
  }

  async #runCycle(): Promise<void> {
    const { clock, store, config } = this.#options;
    const startedAtMs = clock.now();
    const usageReads = new Map<string, Promise<string[]>>();
    await Promise.all(this.#environments.map((environment) => this.#refreshModels(environment, usageReads)));
    const calls = this.#environments.flatMap((environment) =>
      environment.baseUrl === undefined
        ? []
        : [...environment.models.keys()].map((model) => ({ environment, model })),
    );
    let failures = 0;
    await forEachLimited(calls, config.concurrency, async ({ environment, model }) => {
      const atMs = clock.now();
      const outcome = await this.#probe(environment, model);
      if (this.#abort.signal.aborted) return;
      if (!outcome.success) failures += 1;
      this.#store(environment.name, { ...outcome, atMs, costUsd: this.#cost(environment.name, outcome) });
    });
    try {
      store.prune(clock.now() - config.retentionMs);
    } catch (error) {
      this.#options.onError?.(error, { environment: '*', stage: 'store' });
    }
    this.#cycles += 1;
    this.#lastCycle = { startedAtMs, finishedAtMs: clock.now(), probes: calls.length, failures };
    if (!this.#abort.signal.aborted) {
      this.#options.onCycleEnd?.(
        calls.map(({ environment, model }) => ({ environment: environment.name, model })),
      );
    }
  }

  #probe(environment: EnvironmentState, model: string): Promise<ProbeOutcome> {
    const { config, dispatcher } = this.#options;
    return runProbe({
      baseUrl: environment.baseUrl as string,
      environment: environment.name,
      model,
      prompt: config.prompt,
      maxTokens: config.maxTokens,
      timeoutMs: config.timeoutMs,
      apiKey: this.#secret(environment.apiKeyEnv),
      expect: this.#expect,
      signal: this.#abort.signal,
      dispatcher,
    });
  }

  /** The call's cost; a price lookup that throws costs the measurement its cost, not the cycle. */
  #cost(environment: string, outcome: ProbeOutcome): number | null {
    try {
      return this.#options.costUsd?.(outcome) ?? null;
    } catch (error) {
      this.#options.onError?.(error, { environment, stage: 'store' });
      return null;
    }
  }

  #store(environment: string, measurement: Omit<ProbeMeasurement, 'id'>): void {
    try {
      const [stored] = this.#options.store.add([measurement]);
      if (stored !== undefined) this.#options.onMeasurement?.(stored);
    } catch (error) {
      this.#options.onError?.(error, { environment, stage: 'store' });
    }
  }

  #secret(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    // A value pasted with its newline would be an invalid header and fail every probe.
    const value = (this.#options.env ?? process.env)[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  async #refreshModels(environment: EnvironmentState, reads: Map<string, Promise<string[]>>): Promise<void> {
    const { clock, config } = this.#options;
    if (environment.usageUrl !== undefined) {
      const url = environment.usageUrl;
      // Simple mode shares one usage endpoint: read it once per cycle.
      let read = reads.get(url);
      if (read === undefined) {
        read = fetchUsageModels({
          url,
          timeoutMs: Math.min(config.timeoutMs, 10_000),
          apiKey: this.#secret(environment.usageApiKeyEnv),
          signal: this.#abort.signal,
          dispatcher: this.#options.dispatcher,
        });
        reads.set(url, read);
      }
      try {
        environment.usageModels = await read;
        environment.usage = { ...environment.usage, lastOkAtMs: clock.now(), error: null, errorCode: null };
      } catch (error) {
        // Stopping is not a usage failure: keep the status and the list as they were.
        if (this.#abort.signal.aborted) return;
        environment.usage = {
          ...environment.usage,
          lastErrorAtMs: clock.now(),
          error: (error as Error).message,
          errorCode: error instanceof UsageFetchError ? error.code : 'KEEL_PROBE_USAGE_UNREACHABLE',
        };
        this.#options.onError?.(error, { environment: environment.name, stage: 'usage' });
      }
    }
    const models = new Map<string, ModelSource[]>();
    for (const model of environment.configured) models.set(model, ['config']);
    for (const model of environment.usageModels) models.set(model, [...(models.get(model) ?? []), 'usage']);
    environment.models = models;
    try {
      this.#options.store.noteModels(environment.name, models, clock.now());
    } catch (error) {
      this.#options.onError?.(error, { environment: environment.name, stage: 'store' });
    }
  }

  /** The loop's state: last cycle, environments, their models and usage reads. */
  status(): ProbeRunnerStatus {
    return {
      mode: this.#options.config.mode,
      intervalMs: this.#options.config.intervalMs,
      running: this.#stop !== undefined,
      cycles: this.#cycles,
      skippedCycles: this.#skipped,
      lastCycle: this.#lastCycle,
      environments: this.#environments.map((environment) => ({
        name: environment.name,
        baseUrl: withoutCredentials(environment.baseUrl),
        usageUrl: withoutCredentials(environment.usageUrl),
        models: [...environment.models].map(([model, sources]) => ({ model, sources })),
        usage: environment.usage,
      })),
    };
  }
}

/** Runs `task` over `items` with at most `limit` at once. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
