// Validated options of `keel traffic`: profiles, bounds (1 h, 1000 rps, 256 in flight) and allowed targets.

/** The traffic shapes the generator knows. */
export const trafficProfiles = ['normal', 'oversized', 'noisy', 'burst', 'mixed'] as const;
/** One of {@link trafficProfiles}. */
export type TrafficProfile = (typeof trafficProfiles)[number];

/** Hard caps: a run never exceeds them, whatever the flags say. */
export const trafficLimits = { maxDurationMs: 3_600_000, maxRps: 1000, maxConcurrency: 256 } as const;

/** A run's settings after validation. */
export interface TrafficOptions {
  /** Keel's base URL, e.g. `http://127.0.0.1:8080` (no `/v1`). */
  targetUrl: URL;
  profile: TrafficProfile;
  rps: number;
  durationMs: number;
  concurrency: number;
  /** The model alias (or `provider/model`) requests ask for. */
  model: string;
  /** Share of well-formed requests sent with `stream: true` (0..1). */
  streamShare: number;
  /** Sent as `authorization: Bearer ...` when set (a gateway key). */
  apiKey?: string | undefined;
}

/** Bad `keel traffic` input; `code` is stable. */
export class TrafficOptionError extends Error {
  readonly code: 'KEEL_TRAFFIC_INVALID_OPTION' | 'KEEL_TRAFFIC_TARGET_NOT_ALLOWED';
  constructor(code: TrafficOptionError['code'], message: string) {
    super(message);
    this.name = 'TrafficOptionError';
    this.code = code;
  }
}

function invalid(message: string): TrafficOptionError {
  return new TrafficOptionError('KEEL_TRAFFIC_INVALID_OPTION', message);
}

/** "90s", "5m", "1h", "1500ms" or a bare number of seconds, in milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw invalid(`--duration: "${text}" is not a duration; write e.g. 30s, 5m or 1h`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unitMs);
}

function parseNumber(options: { name: string; text: string; min: number; max: number }): number {
  const value = Number(options.text);
  if (options.text.trim() === '' || !Number.isFinite(value) || value < options.min || value > options.max) {
    throw invalid(
      `${options.name}: "${options.text}" must be a number from ${options.min} to ${options.max}`,
    );
  }
  return value;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The raw flags, as `parseArgs` gives them. */
export interface TrafficFlags {
  target?: string | undefined;
  profile?: string | undefined;
  rps?: string | undefined;
  duration?: string | undefined;
  concurrency?: string | undefined;
  model?: string | undefined;
  stream?: string | undefined;
  'allow-host'?: string[] | undefined;
}

/**
 * Checks the flags against the caps and the target rule: loopback hosts, or hosts named by
 * `--allow-host`. Defaults: 127.0.0.1:8080, mixed, 10 rps, 60 s, 16 in flight, `chat-default`.
 */
export function parseTrafficOptions(
  flags: TrafficFlags,
  env: { apiKey?: string | undefined } = {},
): TrafficOptions {
  const targetText = flags.target ?? 'http://127.0.0.1:8080';
  let targetUrl: URL;
  try {
    targetUrl = new URL(targetText);
  } catch {
    throw invalid(`--target: "${targetText}" is not a URL; write e.g. http://127.0.0.1:8080`);
  }
  if (targetUrl.protocol !== 'http:' && targetUrl.protocol !== 'https:') {
    throw invalid(`--target: "${targetText}" must be an http or https URL`);
  }
  const allowed = (flags['allow-host'] ?? []).map((host) => host.toLowerCase());
  if (!isLoopback(targetUrl.hostname) && !allowed.includes(targetUrl.hostname.toLowerCase())) {
    throw new TrafficOptionError(
      'KEEL_TRAFFIC_TARGET_NOT_ALLOWED',
      `--target: ${targetUrl.hostname} is not a loopback address; add --allow-host ${targetUrl.hostname} to send traffic there`,
    );
  }
  const profile = flags.profile ?? 'mixed';
  if (!(trafficProfiles as readonly string[]).includes(profile)) {
    throw invalid(`--profile: "${profile}" is not a profile; use one of ${trafficProfiles.join(', ')}`);
  }
  const durationMs = parseDurationMs(flags.duration ?? '60s');
  if (durationMs <= 0 || durationMs > trafficLimits.maxDurationMs) {
    throw invalid(`--duration: "${flags.duration ?? ''}" must be more than 0 and at most 1h`);
  }
  const model = flags.model ?? 'chat-default';
  if (model.trim() === '') throw invalid('--model: must not be empty; write an alias such as chat-default');
  return {
    targetUrl,
    profile: profile as TrafficProfile,
    rps: parseNumber({ name: '--rps', text: flags.rps ?? '10', min: 0.1, max: trafficLimits.maxRps }),
    durationMs,
    concurrency: Math.floor(
      parseNumber({
        name: '--concurrency',
        text: flags.concurrency ?? '16',
        min: 1,
        max: trafficLimits.maxConcurrency,
      }),
    ),
    model,
    streamShare: parseNumber({ name: '--stream', text: flags.stream ?? '0.5', min: 0, max: 1 }),
    apiKey: env.apiKey,
  };
}
