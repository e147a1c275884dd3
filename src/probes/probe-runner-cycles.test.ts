// ProbeRunner cycles against a loopback endpoint, driven by a manual clock and scheduler: joined and
// skipped cycles, stop() aborting calls in flight, cost and measurements, concurrency, retention.
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { answerJson, answerPong, useProbeRunnerFixture } from '../../test/support/probe-runner-fixture.js';
import { probeMeasurement } from '../../test/support/probe-measurements.js';
import type { ProbeMeasurement } from './probe-store.js';

const fixture = useProbeRunnerFixture();

describe('ProbeRunner cycles', () => {
  it('joins a running cycle from runCycle and counts the timer ticks it overlaps as skipped', async () => {
    const held: ServerResponse[] = [];
    fixture.endpoint.chat = (_model, response) => held.push(response);
    const runner = fixture.runnerOf({ ...fixture.prodAt(), models: ['m'], intervalMs: 30_000 });
    runner.start();
    expect(fixture.scheduler.intervals.map((entry) => entry.intervalMs)).toEqual([30_000]);
    fixture.scheduler.runSoon();
    await expect.poll(() => held.length).toBe(1);

    const joined = runner.runCycle();
    expect(runner.runCycle()).toBe(joined);
    fixture.scheduler.tick();
    fixture.scheduler.tick();
    expect(runner.status()).toMatchObject({ running: true, cycles: 0, skippedCycles: 2, lastCycle: null });

    for (const response of held.splice(0)) answerPong(response, 'm');
    await joined;
    expect(fixture.endpoint.chats()).toHaveLength(1);
    expect(runner.status()).toMatchObject({ cycles: 1, skippedCycles: 2 });

    // The next tick finds no cycle running and starts one.
    fixture.endpoint.chat = (model, response) => answerPong(response, model);
    fixture.scheduler.tick();
    await runner.runCycle();
    expect(fixture.endpoint.chats()).toHaveLength(2);
    expect(runner.status()).toMatchObject({ cycles: 2, skippedCycles: 2 });
  });

  it('stop() aborts a hanging probe at once, stores nothing for it, and the loop can start again', async () => {
    fixture.endpoint.chat = () => {}; // never answers
    const onMeasurement = vi.fn();
    const runner = fixture.runnerOf(
      { ...fixture.prodAt(), models: ['m'], timeoutMs: 600_000 },
      { onMeasurement },
    );
    runner.start();
    fixture.scheduler.runSoon();
    await expect.poll(() => fixture.endpoint.chats().length).toBe(1);
    await runner.stop();
    expect(runner.status().running).toBe(false);
    expect(fixture.scheduler.intervals.every((entry) => entry.cancelled)).toBe(true);
    expect(fixture.store.list({ skip: 0, limit: 10 }).total).toBe(0);
    expect(onMeasurement).not.toHaveBeenCalled();

    fixture.endpoint.chat = (model, response) => answerPong(response, model);
    runner.start();
    fixture.scheduler.runSoon();
    await runner.runCycle();
    expect(fixture.store.list({ skip: 0, limit: 10 }).items.map((item) => item.success)).toEqual([true]);
    expect(onMeasurement).toHaveBeenCalledTimes(1);
  });

  // The usage read's own deadline is 10 s: a stop() that waited for it would miss this test's 5 s.
  it('stop() aborts a hanging usage read too, without reporting it as a usage failure', async () => {
    fixture.endpoint.usage = () => {}; // never answers
    const onError = vi.fn();
    const runner = fixture.runnerOf({ ...fixture.prodAt(), models: ['m'], timeoutMs: 600_000 }, { onError });
    runner.start();
    fixture.scheduler.runSoon();
    await expect.poll(() => fixture.endpoint.usageReads().length).toBe(1);
    await runner.stop();
    expect(onError).not.toHaveBeenCalled();
    expect(runner.status().environments[0]?.usage).toMatchObject({ error: null, errorCode: null });
    expect(fixture.endpoint.chats()).toHaveLength(0);
    expect(fixture.store.list({ skip: 0, limit: 10 }).total).toBe(0);
  }, 5_000);

  it('prices every measurement, tells onMeasurement of each stored one, and sums the cycle', async () => {
    fixture.endpoint.chat = (model, response) =>
      model === 'broken'
        ? answerJson(response, 503, { error: { code: 'overloaded', message: 'try later' } })
        : answerPong(response, model);
    const costUsd = vi.fn((outcome: { success: boolean }) => (outcome.success ? 0.002 : null));
    const onMeasurement = vi.fn((_measurement: ProbeMeasurement) => {});
    const runner = fixture.runnerOf(
      { ...fixture.prodAt(), models: ['ok', 'broken'] },
      { costUsd, onMeasurement },
    );
    const startedAtMs = fixture.clock.now();
    await runner.runCycle();

    expect(costUsd).toHaveBeenCalledTimes(2);
    expect(costUsd.mock.calls.map(([outcome]) => outcome).find((outcome) => outcome.success)).toMatchObject({
      model: 'ok',
      provider: 'mock',
      servedModel: 'ok-served',
      totalTokens: 11,
    });
    const stored = fixture.store.list({ skip: 0, limit: 10 }).items;
    const byId = (a: ProbeMeasurement, b: ProbeMeasurement) => a.id - b.id;
    expect(onMeasurement.mock.calls.map(([measurement]) => measurement).sort(byId)).toEqual(
      [...stored].sort(byId),
    );
    expect(
      stored.map((item) => [item.model, item.success, item.costUsd, item.errorCode, item.atMs]).sort(),
    ).toEqual([
      ['broken', false, null, 'overloaded', startedAtMs],
      ['ok', true, 0.002, null, startedAtMs],
    ]);
    expect(runner.status().lastCycle).toEqual({
      startedAtMs,
      finishedAtMs: startedAtMs,
      probes: 2,
      failures: 1,
    });
  });

  it('keeps at most `concurrency` probe calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const held: { model: string; response: ServerResponse }[] = [];
    fixture.endpoint.chat = (model, response) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      held.push({ model, response });
    };
    const runner = fixture.runnerOf({
      ...fixture.prodAt(),
      models: ['a', 'b', 'c', 'd', 'e'],
      concurrency: 2,
    });
    const cycle = runner.runCycle();
    let answered = 0;
    while (answered < 5) {
      await expect.poll(() => held.length).toBe(Math.min(2, 5 - answered));
      // Give a call that would break the limit a moment to arrive before answering.
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const { model, response } of held.splice(0)) {
        inFlight -= 1;
        answered += 1;
        answerPong(response, model);
      }
    }
    await cycle;
    expect(most).toBe(2);
    expect(fixture.probedModels().sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('prunes measurements older than retentionMs at the end of a cycle', async () => {
    const retentionMs = 86_400_000;
    fixture.store.add([
      probeMeasurement({
        atMs: fixture.clock.now() - retentionMs - 1,
        model: 'old',
        latencyMs: 1,
        ttftMs: 1,
      }),
    ]);
    const runner = fixture.runnerOf({ ...fixture.prodAt(), models: ['m'], retentionMs });
    await runner.runCycle();
    expect(fixture.store.list({ skip: 0, limit: 10 }).items.map((item) => item.model)).toEqual(['m']);
  });

  it('a store that fails is reported to onError and the cycle still ends', async () => {
    const onError = vi.fn();
    const runner = fixture.runnerOf({ ...fixture.prodAt(), models: ['m'] }, { onError });
    fixture.db.close();
    await runner.runCycle();
    expect(onError.mock.calls.map(([, context]) => context as unknown)).toEqual([
      { environment: 'prod', stage: 'store' },
      { environment: 'prod', stage: 'store' },
      { environment: '*', stage: 'store' },
    ]);
    expect(runner.status()).toMatchObject({ cycles: 1, lastCycle: { probes: 1, failures: 0 } });
  });
});
