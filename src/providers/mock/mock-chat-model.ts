// The built-in simulator: answers like a provider, with a latency distribution and scriptable failures.
import {
  systemClock,
  type CallOptions,
  type ChatModel,
  type ChatRequest,
  type ChatResult,
  type Clock,
  type FinishReason,
  type StreamPart,
  type Usage,
} from '../../spec/index.js';
import { textOf } from '../shared/messages.js';
import { streamInterrupted } from '../shared/upstream-errors.js';
import { simulateFailure } from './simulate-failure.js';
import { createSeededRandom, logNormalMs, type Random } from './seeded-random.js';

export type MockOutcome = 'ok' | '429' | '500' | '503' | 'timeout' | 'reset' | 'cut';

export interface MockChatModelSettings {
  providerId: string;
  latencyMs: { p50: number; p99: number };
  /** Share of calls that fail, 0..1. */
  errorRate: number;
  /** Failures drawn from when a call fails. */
  errorKinds: readonly Exclude<MockOutcome, 'ok'>[];
  /** Retry-After sent with simulated 429s. */
  retryAfterMs: number;
  seed?: number | undefined;
  /** Typical answer length in tokens. */
  outputTokens: number;
  /** Outcomes played in order, one per call, before errorRate takes over. */
  script?: readonly MockOutcome[] | undefined;
  clock?: Clock | undefined;
}

const words = (
  'the gateway keeps every call reliable by retrying failed attempts with backoff and failing over to ' +
  'another provider when a circuit opens so that latency stays low and costs stay visible to the team'
).split(' ');

/** Rough token count for simulated usage: about four characters per token, as OpenAI documents. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/**
 * A simulated provider. Deterministic for a given seed: latencies, failures and answers repeat.
 * @example new MockChatModel({ providerId: 'sim', latencyMs: { p50: 300, p99: 1500 }, errorRate: 0.02, errorKinds: ['500'], retryAfterMs: 1000, outputTokens: 40 })
 */
export class MockChatModel implements ChatModel {
  readonly providerId: string;
  readonly providerType = 'mock';
  readonly #settings: MockChatModelSettings;
  readonly #random: Random;
  readonly #clock: Clock;
  #calls = 0;

  constructor(settings: MockChatModelSettings) {
    this.providerId = settings.providerId;
    this.#settings = settings;
    this.#random = createSeededRandom(settings.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.#clock = settings.clock ?? systemClock;
  }

  /** How many calls this simulator has answered or failed. */
  get calls(): number {
    return this.#calls;
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    const plan = this.#plan(request);
    await this.#clock.sleep(plan.latencyMs, options.signal);
    // A whole answer cut half-way is, to the caller, a connection reset.
    await this.#failIfPlanned(plan.outcome === 'cut' ? 'reset' : plan.outcome, options.signal);
    return {
      providerResponseId: `mock-${this.#calls}`,
      model: options.modelId,
      text: plan.tokens.join(''),
      toolCalls: [],
      finishReason: plan.finishReason,
      usage: plan.usage,
    };
  }

  async stream(request: ChatRequest, options: CallOptions): Promise<AsyncIterable<StreamPart>> {
    const plan = this.#plan(request);
    // Headers come back quickly; the first token takes about a fifth of the answer's time.
    const ttftMs = plan.latencyMs * 0.2;
    await this.#failIfPlanned(plan.outcome === 'cut' ? 'ok' : plan.outcome, options.signal);
    return this.#parts(plan, ttftMs, options);
  }

  async *#parts(plan: Plan, ttftMs: number, options: CallOptions): AsyncGenerator<StreamPart> {
    const gapMs = plan.tokens.length > 1 ? (plan.latencyMs - ttftMs) / (plan.tokens.length - 1) : 0;
    yield { type: 'response-metadata', providerResponseId: `mock-${this.#calls}`, model: options.modelId };
    // A cut comes after the first half of the answer (after the whole of a one-token answer).
    const cutAt = plan.outcome === 'cut' ? Math.max(1, Math.floor(plan.tokens.length / 2)) : -1;
    for (let index = 0; index < plan.tokens.length; index++) {
      await this.#pause(index === 0 ? ttftMs : gapMs, options.signal);
      if (index === cutAt) break;
      yield { type: 'text-delta', text: plan.tokens[index] as string };
    }
    if (cutAt >= 0) throw streamInterrupted(this.providerId, 'simulated connection cut mid-stream');
    yield { type: 'finish', finishReason: plan.finishReason };
    yield { type: 'usage', usage: plan.usage };
  }

  async #pause(ms: number, signal: AbortSignal): Promise<void> {
    if (ms >= 1) await this.#clock.sleep(ms, signal);
    else if (signal.aborted) throw signal.reason as Error;
  }

  #plan(request: ChatRequest): Plan {
    const index = this.#calls++;
    const settings = this.#settings;
    let outcome: MockOutcome = settings.script?.[index] ?? 'ok';
    if (settings.script?.[index] === undefined && this.#random() < settings.errorRate) {
      outcome = settings.errorKinds[Math.floor(this.#random() * settings.errorKinds.length)] ?? '500';
    }
    const latencyMs = logNormalMs(this.#random, settings.latencyMs.p50, settings.latencyMs.p99);
    const wanted = Math.max(1, Math.round(settings.outputTokens * (0.5 + this.#random())));
    const count = request.maxTokens === undefined ? wanted : Math.min(wanted, request.maxTokens);
    const finishReason: FinishReason = count < wanted ? 'length' : 'stop';
    const tokens: string[] = [];
    for (let token = 0; token < count; token++) {
      const word = words[Math.floor(this.#random() * words.length)] as string;
      tokens.push(token === 0 ? word[0]?.toUpperCase() + word.slice(1) : ` ${word}`);
    }
    if (finishReason === 'stop' && count > 0) tokens[count - 1] += '.';
    let prompt = '';
    for (const message of request.messages) prompt += textOf(message.content);
    const inputTokens = estimateTokens(prompt);
    return {
      outcome,
      latencyMs,
      tokens,
      finishReason,
      usage: { inputTokens, outputTokens: count, totalTokens: inputTokens + count },
    };
  }

  async #failIfPlanned(outcome: MockOutcome, signal: AbortSignal): Promise<void> {
    if (outcome === 'ok' || outcome === 'cut') return;
    await simulateFailure({
      providerId: this.providerId,
      kind: outcome,
      retryAfterMs: this.#settings.retryAfterMs,
      signal,
    });
  }
}

interface Plan {
  outcome: MockOutcome;
  latencyMs: number;
  tokens: string[];
  finishReason: FinishReason;
  usage: Usage;
}
