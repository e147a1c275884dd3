// The monitors in force: the config's (or the default pack), plus those made through the API, with mute overrides.
import { z } from 'zod';
import { describeIssue } from '../config/load-config.js';
import { checkMonitors } from '../config/check-monitors.js';
import {
  monitorDefinitionSchema,
  type MonitorDefinition,
  type NotificationsConfig,
} from '../config/monitors-schema.js';
import { ErrorCodes, KeelError } from '../spec/index.js';
import type { SqliteMonitorStore } from './sqlite-monitor-store.js';

/** Where a definition comes from: the config file (read-only here), the default pack, or the API. */
export type MonitorSource = 'config' | 'default' | 'api';

/** A definition with its source and effective mute. */
export interface RegisteredMonitor {
  definition: MonitorDefinition;
  source: MonitorSource;
  muted: boolean;
}

/** Options of {@link MonitorRegistry}. */
export interface MonitorRegistryOptions {
  /** The config's definitions; when empty, `defaults` run instead. */
  configured: readonly MonitorDefinition[];
  defaults: readonly MonitorDefinition[];
  store: SqliteMonitorStore;
  notifications: NotificationsConfig | undefined;
  now: () => number;
}

/**
 * Holds every monitor. Config (and default-pack) monitors change only with the config; the API may
 * mute or unmute them. API monitors are created, replaced and deleted through the API and persist.
 */
export class MonitorRegistry {
  readonly #options: MonitorRegistryOptions;
  readonly #fixed: readonly RegisteredMonitor['definition'][];
  readonly #fixedSource: MonitorSource;
  #api: MonitorDefinition[];
  #mutes: Map<string, boolean>;

  constructor(options: MonitorRegistryOptions) {
    this.#options = options;
    this.#fixedSource = options.configured.length > 0 ? 'config' : 'default';
    this.#fixed = options.configured.length > 0 ? options.configured : options.defaults;
    const fixedIds = new Set(this.#fixed.map((definition) => definition.id));
    // A config monitor added since wins over an API one of the same id.
    this.#api = options.store.definitions().filter((definition) => !fixedIds.has(definition.id));
    this.#mutes = options.store.mutes();
  }

  /** The definitions to evaluate, config ones first. */
  definitions(): MonitorDefinition[] {
    return [...this.#fixed, ...this.#api];
  }

  list(): RegisteredMonitor[] {
    return this.definitions().map((definition) => this.#registered(definition));
  }

  /** @throws KeelError KEEL_MONITOR_NOT_FOUND (404). */
  get(id: string): RegisteredMonitor {
    const definition = this.definitions().find((candidate) => candidate.id === id);
    if (definition === undefined) throw notFound(id);
    return this.#registered(definition);
  }

  isMuted(definition: MonitorDefinition): boolean {
    return this.#mutes.get(definition.id) ?? definition.muted;
  }

  /** Validates and adds an API monitor. @throws KeelError KEEL_INVALID_REQUEST (400) or KEEL_MONITOR_EXISTS (409). */
  create(input: unknown): RegisteredMonitor {
    const definition = this.#validate(input, undefined);
    if (this.definitions().some((candidate) => candidate.id === definition.id)) {
      throw new KeelError({
        code: ErrorCodes.monitorExists,
        status: 409,
        param: 'id',
        message: `A monitor "${definition.id}" exists; choose another id or PUT /api/monitors/${definition.id} to replace it.`,
      });
    }
    this.#options.store.putDefinition(definition, this.#options.now());
    this.#api.push(definition);
    return this.#registered(definition);
  }

  /** Replaces an API monitor; the body's id must match or be absent. */
  replace(id: string, input: unknown): RegisteredMonitor {
    this.#assertEditable(id);
    const body = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
    const bodyId = (body as { id?: unknown }).id;
    if (bodyId !== undefined && bodyId !== id) {
      throw invalid([
        `id: the body says ${JSON.stringify(bodyId)} but the path says "${id}"; leave id out or make them match`,
      ]);
    }
    const definition = this.#validate({ ...body, id }, id);
    this.#options.store.putDefinition(definition, this.#options.now());
    this.#api = this.#api.map((candidate) => (candidate.id === id ? definition : candidate));
    return this.#registered(definition);
  }

  /** Deletes an API monitor. */
  delete(id: string): void {
    this.#assertEditable(id);
    this.#options.store.deleteDefinition(id);
    this.#api = this.#api.filter((candidate) => candidate.id !== id);
    this.#mutes.delete(id);
  }

  /** Mutes or unmutes any monitor; a muted monitor is evaluated and opens incidents but notifies no one. */
  mute(id: string, muted: boolean): RegisteredMonitor {
    const registered = this.get(id);
    this.#options.store.putMute(id, muted, this.#options.now());
    this.#mutes.set(id, muted);
    return { ...registered, muted };
  }

  #registered(definition: MonitorDefinition): RegisteredMonitor {
    const source = this.#api.includes(definition) ? 'api' : this.#fixedSource;
    return { definition, source, muted: this.isMuted(definition) };
  }

  /** @throws KeelError KEEL_MONITOR_NOT_FOUND or KEEL_MONITOR_READ_ONLY unless `id` is an API monitor. */
  checkEditable(id: string): void {
    this.#assertEditable(id);
  }

  #assertEditable(id: string): void {
    const registered = this.get(id);
    if (registered.source !== 'api') {
      throw new KeelError({
        code: ErrorCodes.monitorReadOnly,
        status: 409,
        message: `Monitor "${id}" comes from the ${registered.source === 'config' ? 'config file' : 'default pack'}; change it there (monitors.definitions), or mute it with POST /api/monitors/${id}/mute.`,
      });
    }
  }

  /** Parses a definition and checks it with the others (ids, webhooks, thresholds) as the config would. */
  #validate(input: unknown, replacing: string | undefined): MonitorDefinition {
    const parsed = monitorDefinitionSchema.safeParse(input, { reportInput: true });
    if (!parsed.success) throw invalid(parsed.error.issues.map(describeIssue));
    const others = this.definitions().filter(
      (candidate) => candidate.id !== replacing && candidate.id !== parsed.data.id,
    );
    const check = z
      .object({ monitors: z.object({ definitions: z.array(z.any()) }), notifications: z.any() })
      .superRefine((value, context) =>
        checkMonitors(
          {
            monitors: { definitions: value.monitors.definitions as MonitorDefinition[] },
            notifications: this.#options.notifications,
          },
          context,
        ),
      );
    const checked = check.safeParse({
      monitors: { definitions: [...others, parsed.data] },
      notifications: undefined,
    });
    if (!checked.success) {
      const own = checked.error.issues.filter((issue) => issue.path[2] === others.length);
      throw invalid(
        (own.length > 0 ? own : checked.error.issues).map((issue) =>
          describeIssue({ ...issue, path: issue.path.slice(3) }),
        ),
      );
    }
    return parsed.data;
  }
}

function invalid(problems: string[]): KeelError {
  return new KeelError({
    code: ErrorCodes.invalidRequest,
    status: 400,
    message: `Invalid monitor: ${problems.join('; ')}. See docs/configuration.md#monitors.`,
  });
}

function notFound(id: string): KeelError {
  return new KeelError({
    code: ErrorCodes.monitorNotFound,
    status: 404,
    message: `No monitor "${id}"; GET /api/monitors lists them.`,
  });
}
