// Reads an environment's usage endpoint and lists the models it reports (seed 003's usage fetcher).
import { request, type Dispatcher } from 'undici';
import { PROBE_APPLICATION } from '../config/probes-schema.js';

/** Stable codes of a usage read that failed; the probe loop keeps the last list it had. */
export const UsageErrorCodes = {
  unreachable: 'KEEL_PROBE_USAGE_UNREACHABLE',
  httpError: 'KEEL_PROBE_USAGE_HTTP_ERROR',
  badShape: 'KEEL_PROBE_USAGE_BAD_SHAPE',
} as const;

/** A usage endpoint that could not be read, with a stable code. */
export class UsageFetchError extends Error {
  readonly code: (typeof UsageErrorCodes)[keyof typeof UsageErrorCodes];
  constructor(code: UsageFetchError['code'], message: string) {
    super(message);
    this.name = 'UsageFetchError';
    this.code = code;
  }
}

/** Most models one usage endpoint may list; more is a misconfigured endpoint, not a model list. */
const MAX_MODELS = 500;
/** Largest usage body read (bytes). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Entry = string | Record<string, unknown>;

function nameOf(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry === null || typeof entry !== 'object') return undefined;
  const record = entry as Record<string, unknown>;
  for (const field of ['model', 'model_name', 'name', 'id']) {
    const value = record[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * The model names in a usage body. Accepted shapes (docs/operations.md#probes):
 * - `{ "models": ["a", { "model": "b" }, ...] }`, or a bare array of the same;
 * - an OpenAI model list, `{ "data": [{ "id": "a" }, ...] }`;
 * - Keel's `/api/stats`, `{ "groups": [{ "key": { "model": "a" }, "ok": 3 }] }`. Groups of application
 *   `keel-probe` (the probes' own calls) are left out. Grouped by provider too
 *   (`group_by=model,application,provider`, as documented), a model counts when its calls reached a
 *   provider, failing or not; grouped by model alone, when it had a success (a mistyped alias, which
 *   reaches no provider, is not a model in use).
 * Entries are strings or objects naming the model in `model`, `model_name`, `name` or `id`.
 *
 * @throws UsageFetchError `KEEL_PROBE_USAGE_BAD_SHAPE` when the body is none of these.
 * @example modelsFromUsage({ models: ['gpt-4o', { model: 'claude' }] }) // ['gpt-4o', 'claude']
 */
export function modelsFromUsage(body: unknown): string[] {
  const entries = usageEntries(body);
  if (entries === undefined) {
    throw new UsageFetchError(
      UsageErrorCodes.badShape,
      'usage body is not a model list: expected {"models": [...]}, {"data": [{"id": ...}]}, {"groups": [{"key": {"model": ...}}]} or an array',
    );
  }
  const names = new Set<string>();
  for (const entry of entries) {
    const name = nameOf(entry)?.trim();
    if (name === undefined || name === '' || name.length > 200) continue;
    names.add(name);
    if (names.size > MAX_MODELS) {
      throw new UsageFetchError(UsageErrorCodes.badShape, `usage body lists more than ${MAX_MODELS} models`);
    }
  }
  return [...names];
}

function usageEntries(body: unknown): readonly unknown[] | undefined {
  if (Array.isArray(body)) return body as Entry[];
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  if (Array.isArray(record.models)) return record.models as unknown[];
  if (Array.isArray(record.data)) return record.data as unknown[];
  if (Array.isArray(record.groups)) {
    return (record.groups as unknown[]).flatMap((group) => {
      if (group === null || typeof group !== 'object') return [];
      const { key, ok } = group as { key?: unknown; ok?: unknown };
      if (key === null || typeof key !== 'object') return [];
      const { application, provider } = key as { application?: unknown; provider?: unknown };
      // The probes' own calls do not make a model in use: it would be probed forever.
      if (application === PROBE_APPLICATION) return [];
      // Grouped by provider, a model is in use when its calls reached one, failing or not (a
      // failing model must stay probed); unknown models reach none. Otherwise: a success.
      if (typeof provider === 'string') return provider === '' ? [] : [key];
      return typeof ok === 'number' && ok <= 0 ? [] : [key];
    });
  }
  return undefined;
}

/**
 * GETs `url` and returns the models it lists ({@link modelsFromUsage}).
 *
 * @throws UsageFetchError with a stable code when the endpoint is unreachable, answers non-2xx, or
 * sends something else than a model list.
 */
export async function fetchUsageModels(options: {
  url: string;
  timeoutMs: number;
  apiKey?: string | undefined;
  /** Aborts the read early (Keel stopping). */
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
}): Promise<string[]> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(options.url, {
      method: 'GET',
      headers: {
        accept: 'application/json',
        ...(options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` }),
      },
      signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]),
      dispatcher: options.dispatcher,
    });
  } catch (error) {
    throw new UsageFetchError(
      UsageErrorCodes.unreachable,
      `usage endpoint not reached: ${(error as Error).message}`,
    );
  }
  if (response.statusCode < 200 || response.statusCode > 299) {
    await response.body.dump();
    throw new UsageFetchError(
      UsageErrorCodes.httpError,
      `usage endpoint answered HTTP ${response.statusCode}`,
    );
  }
  let text = '';
  try {
    const decoder = new TextDecoder();
    let bytes = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      text += decoder.decode(chunk, { stream: true });
      if (bytes > MAX_BODY_BYTES) {
        response.body.destroy();
        throw new UsageFetchError(
          UsageErrorCodes.badShape,
          `usage body is larger than ${MAX_BODY_BYTES} bytes`,
        );
      }
    }
  } catch (error) {
    if (error instanceof UsageFetchError) throw error;
    throw new UsageFetchError(
      UsageErrorCodes.unreachable,
      `usage body not read: ${(error as Error).message}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UsageFetchError(UsageErrorCodes.badShape, 'usage body is not JSON');
  }
  return modelsFromUsage(body);
}
