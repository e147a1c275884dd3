// Scores one successful answer 0..1 from checks that need no model: empty, refusal, truncated, bad JSON, repetitive, odd length.
import type { FinishReason, ResponseFormat } from '../spec/index.js';
import { isRefusal } from './detect-refusal.js';
import { repetitionRatio } from './repetition-ratio.js';
import type { LengthVerdict } from './response-length-baseline.js';

/** Every quality flag, in the order a result lists them. */
export const QUALITY_FLAGS = [
  'empty',
  'refusal',
  'truncated',
  'invalid_json',
  'repetitive',
  'too_short',
  'too_long',
] as const;

/** One issue a quality check found. */
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

/**
 * What each flag takes off the score of 1; the score is 1 minus the sum of the flags' weights,
 * floored at 0. An empty answer scores 0 whatever else is true (no other check runs on it).
 */
export const QUALITY_WEIGHTS: Readonly<Record<QualityFlag, number>> = {
  empty: 1,
  refusal: 0.6,
  invalid_json: 0.6,
  truncated: 0.4,
  repetitive: 0.4,
  too_short: 0.2,
  too_long: 0.2,
};

/** A repetition ratio (see repetitionRatio) at or above this flags the answer `repetitive`. */
export const REPETITIVE_RATIO = 0.5;

/** A successful answer's quality: 1 with no flag, lower for each issue found. */
export interface ResponseQuality {
  /** 0..1; 1 = no issue found. */
  score: number;
  /** Issues found, in QUALITY_FLAGS order; empty when none. */
  flags: QualityFlag[];
}

/** What the checks look at: fields a request:end event already carries. */
export interface QualityInput {
  /** The start of the answer's text as captured (up to responseTextLimit characters). */
  text: string | undefined;
  /** The whole answer's length in characters (text only, tool calls excluded). */
  responseChars: number;
  finishReason: FinishReason | undefined;
  /** The request's response_format. */
  responseFormat: ResponseFormat | undefined;
  /** The length baseline's verdict on this answer, when one was asked (see ResponseLengthBaseline). */
  lengthVerdict?: LengthVerdict | undefined;
}

/**
 * Scores one successful answer. Checks:
 * - `empty`: no text and not a tool call (an answer made of tool calls legitimately has no text);
 * - `refusal`: a refusal opener (see isRefusal), or the provider stopped for its content filter;
 * - `truncated`: finish reason `length` (max_tokens reached);
 * - `invalid_json`: JSON was asked for (`json_object` or `json_schema`) and the text is not JSON
 *   (an object, for json_object). When only the start of a long answer was captured, only that
 *   start is checked: it must open with `{` (or `[` for json_schema). The schema itself is not checked;
 * - `repetitive`: repetitionRatio(text) >= REPETITIVE_RATIO;
 * - `too_short` / `too_long`: the length baseline's verdict.
 *
 * Pure: the same input gives the same result.
 *
 * @example scoreResponseQuality({ text: '', responseChars: 0, finishReason: 'stop', responseFormat: undefined })
 * // { score: 0, flags: ['empty'] }
 */
export function scoreResponseQuality(input: QualityInput): ResponseQuality {
  const text = input.text ?? '';
  if (input.responseChars === 0 && input.finishReason !== 'tool_calls') {
    return { score: 0, flags: ['empty'] };
  }
  const found = new Set<QualityFlag>();
  if (input.finishReason === 'content_filter' || isRefusal(text)) found.add('refusal');
  if (input.finishReason === 'length') found.add('truncated');
  if (isInvalidJson(text, input)) found.add('invalid_json');
  if (repetitionRatio(text) >= REPETITIVE_RATIO) found.add('repetitive');
  if (input.lengthVerdict === 'too_short') found.add('too_short');
  if (input.lengthVerdict === 'too_long') found.add('too_long');
  const flags = QUALITY_FLAGS.filter((flag) => found.has(flag));
  const penalty = flags.reduce((total, flag) => total + QUALITY_WEIGHTS[flag], 0);
  // Rounded so that sums of scores in rollups do not carry float noise like 0.39999999999999997.
  return { score: Math.max(0, Math.round((1 - penalty) * 1_000) / 1_000), flags };
}

function isInvalidJson(text: string, input: QualityInput): boolean {
  const format = input.responseFormat?.type;
  if (format !== 'json_object' && format !== 'json_schema') return false;
  // A tool-call answer with no text is not an answer in JSON mode's sense.
  if (input.responseChars === 0) return false;
  const trimmed = text.trimStart();
  if (text.length < input.responseChars) {
    return !(trimmed.startsWith('{') || (format === 'json_schema' && trimmed.startsWith('[')));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      format === 'json_object' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    );
  } catch {
    return true;
  }
}
