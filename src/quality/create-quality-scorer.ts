// Scores the answer of a request:end event, keeping the per-route length baseline between calls.
import type { RequestEndEvent } from '../telemetry/events.js';
import { ResponseLengthBaseline, type LengthVerdict } from './response-length-baseline.js';
import { scoreResponseQuality, type ResponseQuality } from './score-response-quality.js';

/** Scores a finished request's answer; undefined for a failed request (errors get no score). */
export type QualityScorer = (event: RequestEndEvent) => ResponseQuality | undefined;

export interface QualityScorerOptions {
  /** The length baseline to judge and feed; a new default one when absent. */
  baseline?: ResponseLengthBaseline | undefined;
}

/**
 * The baseline's route: the requested model (alias or provider/model) and, when the call came
 * through a named prompt route, that route too, since one model serves prompts of very different
 * answer lengths.
 */
export function lengthRouteOf(event: Pick<RequestEndEvent, 'requestedModel' | 'metadata'>): string {
  const route = event.metadata.route;
  return route === undefined ? event.requestedModel : `${event.requestedModel}\u0000${route}`;
}

/**
 * Builds the scorer the record builder calls once per request (at record build, after the answer
 * went out: it only reads what the event already carries, the first responseTextLimit characters
 * of the answer included).
 *
 * The length baseline learns from fresh answers with text only: not from cache hits (the same
 * answer again), empty answers or tool-call answers, which have no text length to speak of.
 *
 * @example
 * const score = createQualityScorer();
 * events.on('request:end', (event) => console.log(score(event)?.flags));
 */
export function createQualityScorer(options: QualityScorerOptions = {}): QualityScorer {
  const baseline = options.baseline ?? new ResponseLengthBaseline();
  return (event) => {
    if (event.outcome !== 'ok') return undefined;
    const learns = event.cacheHit !== true && event.responseChars > 0 && event.finishReason !== 'tool_calls';
    const lengthVerdict: LengthVerdict | undefined = learns
      ? baseline.assess({ route: lengthRouteOf(event), responseChars: event.responseChars })
      : undefined;
    return scoreResponseQuality({
      text: event.responseText,
      responseChars: event.responseChars,
      finishReason: event.finishReason,
      responseFormat: event.request.responseFormat,
      lengthVerdict,
    });
  };
}
