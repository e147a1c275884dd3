// The quality judge end to end: a sampled answer is scored by a judge model called through Keel itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureServer, type FixtureServer } from './support/fixture-server.js';
import { startKeel, type KeelHarness } from './support/keel-harness.js';

/** An OpenAI chat completion whose content is the judge's verdict. */
function verdictReply(content: string) {
  return {
    kind: 'json' as const,
    body: {
      id: 'chatcmpl-judge',
      object: 'chat.completion',
      created: 1741569952,
      model: 'grader-1',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 120, completion_tokens: 20, total_tokens: 140 },
    },
  };
}

describe('quality judge through Keel', () => {
  let grader: FixtureServer;
  let harness: KeelHarness;

  beforeAll(async () => {
    grader = await startFixtureServer();
    harness = await startKeel({
      providers: [
        { id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7, outputTokens: 12 },
        { id: 'grader', type: 'openai', baseUrl: `${grader.url}/v1`, apiKey: 'sk-grader' },
      ],
      models: [
        { name: 'chat-default', targets: [{ provider: 'sim', model: 'sim-large' }] },
        { name: 'judge', targets: [{ provider: 'grader', model: 'grader-1' }] },
      ],
      quality: { judge: { enabled: true, model: 'judge', sampleRate: 1 } },
    });
  });
  afterAll(async () => {
    await harness.close();
    await grader.close();
  });

  it('judges a sampled answer, stores the verdict, and records the judge call without judging it', async () => {
    grader.enqueue(verdictReply('```json\n{"score": 8, "reason": "On topic and clear."}\n```'));
    const completion = await harness.client.chat.completions
      .create({
        model: 'chat-default',
        messages: [{ role: 'user', content: 'Explain circuit breakers in one sentence.' }],
      })
      .withResponse();
    const requestId = completion.response.headers.get('x-keel-request-id');
    expect(completion.data.choices[0]?.message.content).toBeTruthy();
    expect(requestId).toBe(harness.ended[0]?.requestId);
    const quality = harness.keel.qualityJudge;
    expect(quality).toBeDefined();
    await quality?.judge.idle();

    // The judge model got the rubric and the original question and answer.
    expect(grader.requests).toHaveLength(1);
    const sent = grader.requests[0]?.body as { model: string; messages: { role: string; content: string }[] };
    expect(sent.model).toBe('grader-1');
    expect(sent.messages[0]?.role).toBe('system');
    expect(sent.messages[1]?.content).toContain('Explain circuit breakers in one sentence.');
    expect(sent.messages[1]?.content).toContain(completion.data.choices[0]?.message.content ?? '');

    // Two calls ended: the client's, then the judge's own (application keel-judge), and only one judged.
    expect(harness.ended.map((event) => [event.requestedModel, event.metadata.application])).toEqual([
      ['chat-default', undefined],
      ['judge', 'keel-judge'],
    ]);
    expect(quality?.judge.counters()).toEqual({
      sampled: 1,
      judged: 1,
      failed: 0,
      dropped: 0,
      queued: 0,
      running: 0,
    });

    const response = await fetch(`${harness.url}/api/quality/judgements?window=1h`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      summary: { model: string; judgements: number; avgScore: number }[];
      judgements: {
        requestId: string;
        model: string;
        judgeModel: string;
        rawScore: number;
        reason: string;
      }[];
    };
    expect(body.judgements).toEqual([
      expect.objectContaining({
        requestId,
        model: 'chat-default',
        servedModel: 'sim-large',
        judgeModel: 'judge',
        score: 7 / 9,
        rawScore: 8,
        reason: 'On topic and clear.',
      }),
    ]);
    expect(body.summary).toEqual([{ model: 'chat-default', judgements: 1, avgScore: 7 / 9, avgRawScore: 8 }]);

    // The judge call is recorded, priced and visible like any call, under application keel-judge.
    const recorded = await fetch(`${harness.url}/api/requests?window=1h&application=keel-judge`);
    const page = (await recorded.json()) as { items: { model?: string; application?: string }[] };
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ application: 'keel-judge' });

    const metrics = await (await fetch(`${harness.url}/metrics`)).text();
    expect(metrics).toContain('keel_quality_judge_answers_total{result="judged"} 1');
    expect(metrics).toContain('keel_quality_judge_score_count{model="chat-default"} 1');
  });

  it('counts an unreadable verdict as failed and stores nothing', async () => {
    grader.enqueue(verdictReply('I would rather not grade this.'));
    await harness.client.chat.completions.create({
      model: 'chat-default',
      messages: [{ role: 'user', content: 'Hello?' }],
    });
    await harness.keel.qualityJudge?.judge.idle();
    expect(harness.keel.qualityJudge?.judge.counters()).toMatchObject({ sampled: 2, judged: 1, failed: 1 });
    const body = (await (await fetch(`${harness.url}/api/quality/judgements?window=1h`)).json()) as {
      judgements: unknown[];
    };
    expect(body.judgements).toHaveLength(1);
  });
});

describe('quality judge at shutdown', () => {
  it('aborts a judge call in flight instead of waiting for its timeout', async () => {
    const grader = await startFixtureServer();
    const harness = await startKeel({
      providers: [
        { id: 'sim', type: 'mock', latencyMs: { p50: 0, p99: 0 }, seed: 7 },
        { id: 'grader', type: 'openai', baseUrl: `${grader.url}/v1`, apiKey: 'sk-grader' },
      ],
      models: [
        { name: 'chat-default', targets: [{ provider: 'sim', model: 'sim-large' }] },
        { name: 'judge', targets: [{ provider: 'grader', model: 'grader-1' }] },
      ],
      reliability: { timeoutMs: 600_000, attemptTimeoutMs: 600_000 },
      quality: { judge: { enabled: true, model: 'judge', sampleRate: 1, timeoutMs: 600_000 } },
    });
    try {
      const reached = new Promise<void>((resolve) => {
        // Never answers: only the shutdown ends the judge's call.
        grader.fallback = { kind: 'handler', handle: () => resolve() };
      });
      await harness.client.chat.completions.create({
        model: 'chat-default',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      await reached;
      expect(harness.keel.qualityJudge?.judge.counters()).toMatchObject({ running: 1 });
      await harness.close();
      expect(harness.keel.qualityJudge?.judge.counters()).toMatchObject({ judged: 0, failed: 1, running: 0 });
      const judgeEnd = harness.ended.find((event) => event.metadata.application === 'keel-judge');
      expect(judgeEnd).toMatchObject({ outcome: 'error', errorCode: 'KEEL_SHUTTING_DOWN' });
    } finally {
      await harness.close();
      await grader.close();
    }
  });
});
