// Prometheus families of the quality judge: sampled, judged, failed and dropped answers, queue depth, and scores.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { otherModel } from '../../telemetry/metrics/metric-labels.js';
import type { QualityJudge } from './quality-judge.js';

/**
 * Registers keel_quality_judge_* on the registry. Counters are read from the judge at each scrape;
 * scores are observed as verdicts come in, labelled by the requested model (`other` for a name
 * outside `knownModels`, as in the request metrics, so clients cannot create series at will).
 * A growing `keel_quality_judge_answers_total{result="dropped"}` means the queue is too small for
 * the sample rate (or the judge model too slow).
 * @example registerJudgeMetrics(metrics.registry, judge)
 */
export function registerJudgeMetrics(
  registry: Registry,
  judge: QualityJudge,
  options: { knownModels?: ReadonlySet<string> | undefined } = {},
): void {
  const registers = [registry];
  new Counter<'result'>({
    name: 'keel_quality_judge_answers_total',
    help: 'Answers the quality judge handled, by result: sampled, judged, failed (call failed or verdict unreadable), dropped (queue full).',
    labelNames: ['result'],
    registers,
    collect() {
      this.reset();
      const counters = judge.counters();
      this.inc({ result: 'sampled' }, counters.sampled);
      this.inc({ result: 'judged' }, counters.judged);
      this.inc({ result: 'failed' }, counters.failed);
      this.inc({ result: 'dropped' }, counters.dropped);
    },
  });
  new Gauge<'state'>({
    name: 'keel_quality_judge_pending',
    help: 'Sampled answers waiting for the judge (queued) or being judged now (running).',
    labelNames: ['state'],
    registers,
    collect() {
      const counters = judge.counters();
      this.set({ state: 'queued' }, counters.queued);
      this.set({ state: 'running' }, counters.running);
    },
  });
  const scores = new Histogram<'model'>({
    name: 'keel_quality_judge_score',
    help: 'Judge scores of sampled answers, 0..1 (the judge’s 1..10 mapped linearly), by requested model.',
    labelNames: ['model'],
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers,
  });
  const { knownModels } = options;
  judge.subscribe((judgement) => {
    const model =
      knownModels === undefined || knownModels.has(judgement.model) ? judgement.model : otherModel;
    scores.observe({ model }, judgement.score);
  });
}
