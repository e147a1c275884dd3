import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../spec/index.js';
import type { RequestEndEvent } from '../../telemetry/events.js';
import { QualityJudge, type Judgement, type QualityJudgeOptions } from './quality-judge.js';

function endEvent(overrides: Partial<RequestEndEvent> = {}): RequestEndEvent {
  return {
    requestId: 'req-1',
    receivedAtMs: 0,
    requestedModel: 'chat-default',
    stream: false,
    metadata: { application: 'search', environment: 'prod' },
    trace: { traceId: '0af7651916cd43dd8448eb211c80319c', sampled: true },
    status: 200,
    outcome: 'ok',
    servedModel: 'gpt-4o-mini',
    totalMs: 10,
    upstreamMs: 8,
    overheadMs: 2,
    attempts: [],
    promptChars: 12,
    responseChars: 1,
    request: { messages: [{ role: 'user', content: 'What is 2+2?' }] },
    responseText: '4',
    ...overrides,
  };
}

/** A judge function whose calls the test answers by hand. */
function manualJudge() {
  const calls: { request: ChatRequest; resolve: (text: string) => void; reject: (error: Error) => void }[] =
    [];
  const judge = (request: ChatRequest) =>
    new Promise<string>((resolve, reject) => calls.push({ request, resolve, reject }));
  return { calls, judge };
}

/** Lets the judge's deferred starts and settled calls run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

type JudgeOverrides = Partial<Omit<QualityJudgeOptions, 'settings'>> & {
  settings?: Partial<QualityJudgeOptions['settings']>;
};

function makeJudge(overrides: JudgeOverrides = {}) {
  const judgements: Judgement[] = [];
  const failures: unknown[] = [];
  const manual = manualJudge();
  const judge = new QualityJudge({
    judgeModel: 'judge',
    judge: manual.judge,
    random: () => 0,
    now: () => 1_000,
    onJudgement: (judgement) => judgements.push(judgement),
    onFailure: (error) => failures.push(error),
    ...overrides,
    settings: { sampleRate: 1, maxConcurrent: 2, maxQueue: 10, ...overrides.settings },
  });
  return { judge, judgements, failures, calls: manual.calls };
}

describe('QualityJudge sampling', () => {
  const cases: [string, Partial<RequestEndEvent>, number, string[] | undefined, string][] = [
    ['a successful answer drawn under the rate', {}, 0.04, undefined, 'sampled'],
    ['a draw at the rate', {}, 0.05, undefined, 'skipped'],
    ['a draw above the rate', {}, 0.5, undefined, 'skipped'],
    ['a failed request', { outcome: 'error', status: 502, responseText: undefined }, 0, undefined, 'skipped'],
    ['an answer from the response cache', { cacheHit: true }, 0, undefined, 'skipped'],
    ['an empty answer', { responseText: '  ' }, 0, undefined, 'skipped'],
    ['no answer text (a tool call)', { responseText: undefined }, 0, undefined, 'skipped'],
    ['the judge’s own call', { metadata: { application: 'keel-judge' } }, 0, undefined, 'skipped'],
    ['a listed application', {}, 0, ['search', 'chat'], 'sampled'],
    ['an unlisted application', {}, 0, ['chat'], 'skipped'],
    ['no application under a list', { metadata: {} }, 0, ['chat'], 'skipped'],
  ];
  it.each(cases)('%s', (_name, event, draw, applications, decision) => {
    const { judge } = makeJudge({ random: () => draw, settings: { sampleRate: 0.05, applications } });
    expect(judge.consider(endEvent(event))).toBe(decision);
    expect(judge.counters().sampled).toBe(decision === 'sampled' ? 1 : 0);
  });

  it('does not draw for a request that is not eligible', () => {
    let draws = 0;
    const { judge } = makeJudge({ random: () => (draws++, 0) });
    judge.consider(endEvent({ outcome: 'error' }));
    judge.consider(endEvent({ metadata: { application: 'keel-judge' } }));
    expect(draws).toBe(0);
    judge.consider(endEvent());
    expect(draws).toBe(1);
  });
});

describe('QualityJudge queue', () => {
  it('runs at most maxConcurrent calls, queues up to maxQueue, drops and counts the rest', async () => {
    const { judge, calls, judgements } = makeJudge({ settings: { maxConcurrent: 2, maxQueue: 1 } });
    const decisions = ['a', 'b', 'c', 'd'].map((id) => judge.consider(endEvent({ requestId: id })));
    expect(decisions).toEqual(['sampled', 'sampled', 'sampled', 'dropped']);
    expect(judge.counters()).toMatchObject({ sampled: 3, dropped: 1, running: 2, queued: 1 });
    // The call starts after consider returned, never inside the request:end handler.
    expect(calls).toHaveLength(0);
    await settle();
    expect(calls).toHaveLength(2);
    calls[0]?.resolve('{"score": 10, "reason": "right"}');
    await settle();
    expect(calls).toHaveLength(3);
    expect(judge.counters()).toMatchObject({ running: 2, queued: 0, judged: 1 });
    calls[1]?.resolve('{"score": 1, "reason": "wrong"}');
    calls[2]?.resolve('```json\n{"score": 5.5}\n```');
    await judge.idle();
    expect(judge.counters()).toEqual({ sampled: 3, judged: 3, failed: 0, dropped: 1, queued: 0, running: 0 });
    expect(judgements.map((judgement) => [judgement.requestId, judgement.score])).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 0.5],
    ]);
  });

  it('stores who was judged, by which model, with the prompt and answer quoted to the judge', async () => {
    const { judge, calls, judgements } = makeJudge({
      settings: { prompt: 'Custom rubric: reply {"score": 1-10, "reason": "..."}' },
    });
    judge.consider(
      endEvent({
        request: {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'First question' },
            { role: 'assistant', content: 'First answer' },
            { role: 'user', content: [{ type: 'text', text: 'What is 2+2?' }] },
          ],
        },
      }),
    );
    await settle();
    const sent = calls[0]?.request;
    expect(sent?.messages[0]).toEqual({
      role: 'system',
      content: 'Custom rubric: reply {"score": 1-10, "reason": "..."}',
    });
    const user = sent?.messages[1]?.content;
    if (typeof user !== 'string') throw new Error('the judge prompt is not text');
    expect(user).toContain('What is 2+2?');
    expect(user).not.toContain('First question');
    expect(user).toContain('<<<\n4\n>>>');
    expect(sent?.temperature).toBe(0);
    calls[0]?.resolve('Verdict: {"score": 8, "reason": "correct"}');
    await judge.idle();
    expect(judgements).toEqual([
      {
        requestId: 'req-1',
        atMs: 1_000,
        model: 'chat-default',
        servedModel: 'gpt-4o-mini',
        judgeModel: 'judge',
        score: 7 / 9,
        rawScore: 8,
        reason: 'correct',
        application: 'search',
        environment: 'prod',
      },
    ]);
  });

  it('counts failed calls, unreadable verdicts and verdicts that could not be stored, and goes on', async () => {
    let stores = 0;
    const { judge, calls, failures } = makeJudge({
      settings: { maxConcurrent: 1 },
      onJudgement: () => {
        stores++;
        if (stores === 1) throw new Error('disk full');
      },
    });
    for (const id of ['a', 'b', 'c', 'd']) judge.consider(endEvent({ requestId: id }));
    await settle();
    calls[0]?.reject(new Error('upstream down'));
    await settle();
    calls[1]?.resolve('I cannot grade this.');
    await settle();
    calls[2]?.resolve('{"score": 9}');
    await settle();
    calls[3]?.resolve('{"score": 9}');
    await judge.idle();
    expect(judge.counters()).toMatchObject({ sampled: 4, judged: 1, failed: 3 });
    expect(failures.map((error) => (error as Error).message)).toEqual([
      'upstream down',
      expect.stringMatching(/^judge answer not readable: /),
      'disk full',
    ]);
  });

  it('tells subscribers of each judgement, and a throwing subscriber changes nothing', async () => {
    const { judge, calls } = makeJudge();
    const seen: number[] = [];
    judge.subscribe(() => {
      throw new Error('broken listener');
    });
    const unsubscribe = judge.subscribe((judgement) => seen.push(judgement.rawScore));
    judge.consider(endEvent());
    await settle();
    calls[0]?.resolve('{"score": 3}');
    await judge.idle();
    unsubscribe();
    judge.consider(endEvent());
    await settle();
    calls[1]?.resolve('{"score": 4}');
    await judge.idle();
    expect(seen).toEqual([3]);
    expect(judge.counters()).toMatchObject({ judged: 2, failed: 0 });
  });

  it('close drops the queue, waits for calls in flight, and drops what comes after', async () => {
    const { judge, calls, judgements } = makeJudge({ settings: { maxConcurrent: 1 } });
    judge.consider(endEvent({ requestId: 'a' }));
    judge.consider(endEvent({ requestId: 'b' }));
    await settle();
    let closed = false;
    const closing = judge.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    calls[0]?.resolve('{"score": 6}');
    await closing;
    expect(judge.consider(endEvent({ requestId: 'c' }))).toBe('dropped');
    expect(calls).toHaveLength(1);
    expect(judgements.map((judgement) => judgement.requestId)).toEqual(['a']);
    expect(judge.counters()).toMatchObject({ sampled: 2, judged: 1, dropped: 2, queued: 0, running: 0 });
  });

  it('is idle at once when nothing was sampled', async () => {
    const { judge } = makeJudge();
    await expect(judge.idle()).resolves.toBeUndefined();
  });
});
