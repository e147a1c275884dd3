// Response quality signals: a 0..1 score and flags per successful answer, from checks that need no model.
export { isRefusal, REFUSAL_PHRASES, REFUSAL_WINDOW_CHARS } from './detect-refusal.js';
export { MIN_TRIGRAMS, repetitionRatio } from './repetition-ratio.js';
export {
  ResponseLengthBaseline,
  type LengthVerdict,
  type ResponseLengthBaselineOptions,
} from './response-length-baseline.js';
export {
  QUALITY_FLAGS,
  QUALITY_WEIGHTS,
  REPETITIVE_RATIO,
  scoreResponseQuality,
  type QualityFlag,
  type QualityInput,
  type ResponseQuality,
} from './score-response-quality.js';
export {
  createQualityScorer,
  lengthRouteOf,
  type QualityScorer,
  type QualityScorerOptions,
} from './create-quality-scorer.js';
