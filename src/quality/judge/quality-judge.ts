// Samples successful answers at request:end and scores them with a judge model, in a bounded queue off the request path.
import type { ChatRequest } from '../../spec/index.js';
import type { RequestEndEvent } from '../../telemetry/events.js';
import { JUDGE_APPLICATION } from '../../config/quality-schema.js';
import { buildJudgeRequest, lastUserText } from './judge-prompt.js';
import { parseJudgeVerdict } from './parse-judge-verdict.js';

/** One stored verdict on one answer. */
export interface Judgement {
  /** The judged request. */
  requestId: string;
  /** When the verdict came back, epoch ms. */
  atMs: number;
  /** The model the client asked for (alias or provider/model). */
  model: string;
  /** The model id the provider said answered, when known. */
  servedModel?: string | undefined;
  /** The model that judged (quality.judge.model). */
  judgeModel: string;
  /** 0..1 (the judge's 1..10 mapped linearly). */
  score: number;
  /** The judge's own 1..10. */
  rawScore: number;
  reason: string;
  application?: string | undefined;
  environment?: string | undefined;
}

/** What the judge has done since start; read by /metrics and the API. */
export interface JudgeCounters {
  /** Answers picked by sampling (queued or started). */
  sampled: number;
  /** Verdicts read and handed on. */
  judged: number;
  /** Judge calls that failed, answers that could not be read, or verdicts that could not be stored. */
  failed: number;
  /** Sampled answers dropped because the queue was full (or the judge was closing). */
  dropped: number;
  /** Waiting for a judge call now. */
  queued: number;
  /** Judge calls in flight now. */
  running: number;
}

/** Sends one judge request (through Keel) and returns the judge's answer text. */
export type JudgeCall = (request: ChatRequest) => Promise<string>;

export interface QualityJudgeOptions {
  settings: {
    sampleRate: number;
    maxConcurrent: number;
    maxQueue: number;
    /** Only these applications are judged; all when absent. */
    applications?: readonly string[] | undefined;
    /** Replaces the built-in rubric. */
    prompt?: string | undefined;
  };
  /** Named in each judgement. */
  judgeModel: string;
  judge: JudgeCall;
  /** 0 <= x < 1, like Math.random. */
  random: () => number;
  now: () => number;
  /** Each verdict; a throw counts as failed. */
  onJudgement: (judgement: Judgement) => void;
  /** A judge call failed or its answer could not be read (counted as failed as well). */
  onFailure?: ((error: unknown, requestId: string) => void) | undefined;
}

interface JudgeTask {
  requestId: string;
  model: string;
  servedModel: string | undefined;
  request: ChatRequest;
  answer: string;
  application: string | undefined;
  environment: string | undefined;
}

/** Why {@link QualityJudge.consider} did or did not pick an answer. */
export type SampleDecision = 'sampled' | 'dropped' | 'skipped';

/**
 * The optional quality judge. {@link consider} is O(1) and never waits: it samples, then queues; the
 * judge calls run later, at most `maxConcurrent` at a time.
 * @example events.on('request:end', (event) => judge.consider(event))
 */
export class QualityJudge {
  readonly #options: QualityJudgeOptions;
  readonly #applications: ReadonlySet<string> | undefined;
  readonly #queue: JudgeTask[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  readonly #listeners = new Set<(judgement: Judgement) => void>();
  readonly #counters = { sampled: 0, judged: 0, failed: 0, dropped: 0 };
  #running = 0;
  #closed = false;

  constructor(options: QualityJudgeOptions) {
    this.#options = options;
    const applications = options.settings.applications;
    this.#applications = applications === undefined ? undefined : new Set(applications);
  }

  counters(): JudgeCounters {
    return { ...this.#counters, queued: this.#queue.length, running: this.#running };
  }

  /** Decides on one finished request: skipped (not eligible or not drawn), sampled, or dropped (queue full). */
  consider(event: RequestEndEvent): SampleDecision {
    const application = event.metadata.application;
    if (
      event.outcome !== 'ok' ||
      // A cached answer was judged (or not) when it was first served.
      event.cacheHit === true ||
      event.responseText === undefined ||
      event.responseText.trim() === '' ||
      application === JUDGE_APPLICATION ||
      (this.#applications !== undefined &&
        (application === undefined || !this.#applications.has(application)))
    ) {
      return 'skipped';
    }
    if (!(this.#options.random() < this.#options.settings.sampleRate)) return 'skipped';
    if (this.#closed) {
      this.#counters.dropped++;
      return 'dropped';
    }
    const task: JudgeTask = {
      requestId: event.requestId,
      model: event.requestedModel,
      servedModel: event.servedModel,
      request: event.request,
      answer: event.responseText,
      application,
      environment: event.metadata.environment,
    };
    if (this.#running < this.#options.settings.maxConcurrent) {
      this.#counters.sampled++;
      this.#start(task);
      return 'sampled';
    }
    if (this.#queue.length >= this.#options.settings.maxQueue) {
      this.#counters.dropped++;
      return 'dropped';
    }
    this.#counters.sampled++;
    this.#queue.push(task);
    return 'sampled';
  }

  /** Calls `listener` with each judgement once it was handed on (for metrics); returns the unsubscribe. */
  subscribe(listener: (judgement: Judgement) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking answers, drops the queued ones (counted), and waits for the calls in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#counters.dropped += this.#queue.length;
    this.#queue.length = 0;
    await this.idle();
  }

  #start(task: JudgeTask): void {
    this.#running++;
    // Deferred to a later microtask: the judge call goes through the gateway, which emits events of
    // its own, and must not start inside the request:end handler that sampled it.
    void Promise.resolve()
      .then(() => this.#judge(task))
      .finally(() => {
        this.#running--;
        const next = this.#closed ? undefined : this.#queue.shift();
        if (next !== undefined) this.#start(next);
        else if (this.#running === 0 && this.#queue.length === 0) {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
        }
      });
  }

  async #judge(task: JudgeTask): Promise<void> {
    const { judge, judgeModel, now, onJudgement, onFailure, settings } = this.#options;
    try {
      const request = buildJudgeRequest({
        prompt: lastUserText(task.request),
        answer: task.answer,
        rubric: settings.prompt,
      });
      const verdict = parseJudgeVerdict(await judge(request));
      if (!verdict.ok) throw new Error(`judge answer not readable: ${verdict.error}`);
      const judgement: Judgement = {
        requestId: task.requestId,
        atMs: now(),
        model: task.model,
        servedModel: task.servedModel,
        judgeModel,
        score: verdict.score,
        rawScore: verdict.rawScore,
        reason: verdict.reason,
        application: task.application,
        environment: task.environment,
      };
      onJudgement(judgement);
      this.#counters.judged++;
      for (const listener of this.#listeners) {
        try {
          listener(judgement);
        } catch {
          // A metrics listener that throws must not undo a stored verdict; the verdict stands.
        }
      }
    } catch (error) {
      this.#counters.failed++;
      onFailure?.(error, task.requestId);
    }
  }
}
