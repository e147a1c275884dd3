// The response cache: answers a request identical to an earlier successful one without calling a provider.
import { z } from 'zod';
import type { CacheConfig } from '../../config/cache-schema.js';
import type { ChatResult, Clock } from '../../spec/index.js';
import type { SharedState } from '../../state/shared-state.js';
import type { EventBus } from '../../telemetry/event-bus.js';
import type { CacheLookupEvent } from '../../telemetry/events.js';
import type { PolicyCall, PolicyOutcome, PolicyTicket, RequestPolicy } from '../request-policy.js';
import { cacheKey } from './cache-key.js';
import { parseCacheControl } from './parse-cache-control.js';

/** The response header saying what the cache did (see CacheLookupEvent). */
export const cacheStatusHeader = 'x-keel-cache';

/** Finish reasons of answers worth repeating: a cut (`length`), filtered or failed answer is not. */
const cacheableFinishReasons: ReadonlySet<string> = new Set(['stop', 'tool_calls']);

/** What is stored per key: the answer and when it was made (for max-age and the Age header). */
interface CacheEntry {
  createdAtMs: number;
  result: ChatResult;
}

const usageSchema = z.looseObject({
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
  cachedInputTokens: z.number().optional(),
  cacheWriteInputTokens: z.number().optional(),
  reasoningTokens: z.number().optional(),
});

/** Lenient: the state may be shared with another Keel version (Redis); what does not fit is a miss. */
const entrySchema = z.looseObject({
  createdAtMs: z.number(),
  result: z.looseObject({
    providerResponseId: z.string().optional(),
    model: z.string(),
    text: z.string().nullable(),
    toolCalls: z.array(z.looseObject({ id: z.string(), name: z.string(), arguments: z.string() })),
    finishReason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'error', 'other']),
    usage: usageSchema.optional(),
  }),
});

function readEntry(text: string): CacheEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = entrySchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { result } = parsed.data;
  return {
    createdAtMs: parsed.data.createdAtMs,
    result: {
      providerResponseId: result.providerResponseId,
      model: result.model,
      text: result.text,
      toolCalls: result.toolCalls.map((call) => ({
        id: call.id,
        name: call.name,
        arguments: call.arguments,
      })),
      finishReason: result.finishReason,
      usage: result.usage === undefined ? undefined : { ...result.usage },
    },
  };
}

/** True for an answer the cache may keep: successful, complete, and with something in it. */
export function isCacheable(outcome: PolicyOutcome): outcome is PolicyOutcome & { result: ChatResult } {
  const { result } = outcome;
  if (outcome.error !== undefined || outcome.cached === true || result === undefined) return false;
  if (!cacheableFinishReasons.has(result.finishReason)) return false;
  return (result.text ?? '').length > 0 || result.toolCalls.length > 0;
}

export interface ResponseCachePolicyOptions {
  config: CacheConfig;
  state: SharedState;
  /** For entry creation times (the answer's age). */
  clock: Clock;
  /** Receives cache:lookup events (metrics count hits and misses from them). */
  events?: EventBus | undefined;
  /**
   * The state failed a read or a write (e.g. Redis unreachable). The cache fails open: a failed
   * read is a miss, a failed write keeps nothing, and the request goes on either way.
   */
  onStateError?: ((error: unknown, operation: 'read' | 'write') => void) | undefined;
}

/**
 * Seed 001's last policy before the provider. On a hit its ticket carries the cached answer (the
 * gateway serves it, calling no provider); on a miss it asks the gateway for the whole answer and
 * stores it when the request succeeded. Honours the request's Cache-Control (no-cache, no-store,
 * max-age) and says what it did in `x-keel-cache` (and `age` on hits).
 * @example
 * const cache = new ResponseCachePolicy({ config: config.cache, state, clock, events });
 * new Gateway({ ...dependencies, policies: [cache] });
 */
export class ResponseCachePolicy implements RequestPolicy {
  readonly name = 'cache';
  readonly #options: ResponseCachePolicyOptions;
  readonly #models: ReadonlySet<string> | undefined;
  readonly #writes = new Set<Promise<void>>();

  constructor(options: ResponseCachePolicyOptions) {
    this.#options = options;
    this.#models = options.config.models === undefined ? undefined : new Set(options.config.models);
  }

  async admit(call: PolicyCall): Promise<PolicyTicket | undefined> {
    if (this.#models !== undefined && !this.#models.has(call.model)) return undefined;
    const directives = parseCacheControl(call.cacheControl);
    if (directives.noStore) return this.#ticket(call, 'bypass');
    const key = cacheKey({
      model: call.model,
      request: call.request,
      keyId: this.#options.config.scope === 'key' ? call.key?.id : undefined,
      variant:
        call.metadata.experimentId === undefined
          ? undefined
          : `${call.metadata.experimentId}/${call.metadata.variantId ?? ''}`,
    });
    if (!directives.noCache) {
      const entry = await this.#read(key, call.nowMs);
      const ageMs = entry === undefined ? 0 : Math.max(0, call.nowMs - entry.createdAtMs);
      if (
        entry !== undefined &&
        (directives.maxAgeSeconds === undefined || ageMs <= directives.maxAgeSeconds * 1000)
      ) {
        return {
          ...this.#ticket(call, 'hit', { age: String(Math.floor(ageMs / 1000)) }),
          cachedResult: entry.result,
        };
      }
    }
    return {
      ...this.#ticket(call, directives.noCache ? 'bypass' : 'miss'),
      wantsResult: true,
      settle: (outcome) => {
        if (isCacheable(outcome)) this.#write(key, outcome.result);
      },
    };
  }

  /** Resolves once every write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writes]);
  }

  #ticket(
    call: PolicyCall,
    result: CacheLookupEvent['result'],
    headers: Record<string, string> = {},
  ): PolicyTicket {
    this.#options.events?.emit('cache:lookup', { requestId: call.requestId, model: call.model, result });
    return { headers: { ...headers, [cacheStatusHeader]: result } };
  }

  async #read(key: string, nowMs: number): Promise<CacheEntry | undefined> {
    try {
      const text = await this.#options.state.cacheGet(key, nowMs);
      return text === undefined ? undefined : readEntry(text);
    } catch (error) {
      this.#options.onStateError?.(error, 'read');
      return undefined;
    }
  }

  #write(key: string, result: ChatResult): void {
    const { config, state, clock } = this.#options;
    const createdAtMs = clock.now();
    const entry: CacheEntry = { createdAtMs, result };
    const text = JSON.stringify(entry);
    if (text.length > config.maxEntryChars) return;
    const write = state
      .cacheSet(key, text, createdAtMs + config.ttlMs)
      .catch((error: unknown) => this.#options.onStateError?.(error, 'write'))
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}
