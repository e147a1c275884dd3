// Table-driven tests of the quality score: each check alone, combinations, and what is not flagged.
import { describe, expect, it } from 'vitest';
import { responseTextLimit } from '../telemetry/events.js';
import {
  QUALITY_FLAGS,
  QUALITY_WEIGHTS,
  scoreResponseQuality,
  type QualityFlag,
  type QualityInput,
} from './score-response-quality.js';

const ANSWER = 'Paris is the capital of France.';
const LOOP = 'I will try again. '.repeat(30);
const JSON_OBJECT = { type: 'json_object' } as const;
const JSON_SCHEMA = { type: 'json_schema', name: 'list', schema: { type: 'array' } } as const;

/** A clean, fully captured answer with the overrides applied. */
function input(overrides: Partial<QualityInput>): QualityInput {
  const text = overrides.text ?? ANSWER;
  return {
    text,
    responseChars: text.length,
    finishReason: 'stop',
    responseFormat: undefined,
    ...overrides,
  };
}

const cases: [string, Partial<QualityInput>, QualityFlag[], number][] = [
  ['a clean answer', {}, [], 1],
  ['an empty answer', { text: '', responseChars: 0 }, ['empty'], 0],
  ['an empty answer cut short', { text: '', responseChars: 0, finishReason: 'length' }, ['empty'], 0],
  ['an answer made of tool calls', { text: '', responseChars: 0, finishReason: 'tool_calls' }, [], 1],
  ['a refusal', { text: "I'm sorry, but I can't help with that." }, ['refusal'], 0.4],
  ['a content-filter stop', { finishReason: 'content_filter' }, ['refusal'], 0.4],
  ['a truncated answer', { finishReason: 'length' }, ['truncated'], 0.6],
  ['a repetitive answer', { text: LOOP }, ['repetitive'], 0.6],
  ['a far too short answer', { lengthVerdict: 'too_short' }, ['too_short'], 0.8],
  ['a far too long answer', { lengthVerdict: 'too_long' }, ['too_long'], 0.8],
  ['a usual length', { lengthVerdict: 'usual' }, [], 1],
  ['valid JSON when asked', { text: '{"city": "Paris"}', responseFormat: JSON_OBJECT }, [], 1],
  [
    'JSON in a code fence',
    { text: '```json\n{"a": 1}\n```', responseFormat: JSON_OBJECT },
    ['invalid_json'],
    0.4,
  ],
  ['prose when JSON was asked', { responseFormat: JSON_OBJECT }, ['invalid_json'], 0.4],
  ['an array for json_object', { text: '[1, 2]', responseFormat: JSON_OBJECT }, ['invalid_json'], 0.4],
  ['an array for json_schema', { text: '[1, 2]', responseFormat: JSON_SCHEMA }, [], 1],
  ['prose when text was asked', { responseFormat: { type: 'text' } }, [], 1],
  [
    'cut-off JSON',
    { text: '{"cities": ["Paris", "Lyon"', responseFormat: JSON_OBJECT, finishReason: 'length' },
    ['truncated', 'invalid_json'],
    0,
  ],
  [
    'a long JSON answer captured only in part',
    {
      text: ` {"a": "${'x'.repeat(responseTextLimit)}`.slice(0, responseTextLimit),
      responseChars: 5_000,
      responseFormat: JSON_OBJECT,
    },
    [],
    1,
  ],
  [
    'a long prose answer when JSON was asked, captured only in part',
    { text: 'Sure! '.padEnd(responseTextLimit, 'x'), responseChars: 5_000, responseFormat: JSON_OBJECT },
    ['invalid_json'],
    0.4,
  ],
  [
    'a repeated refusal, too long',
    { text: `I cannot help with that. ${LOOP}`, lengthVerdict: 'too_long' },
    ['refusal', 'repetitive', 'too_long'],
    0,
  ],
];

describe('scoreResponseQuality', () => {
  it.each(cases)('scores %s', (_name, overrides, flags, score) => {
    expect(scoreResponseQuality(input(overrides))).toEqual({ score, flags });
  });

  it('lists flags in QUALITY_FLAGS order and takes each weight off 1', () => {
    const result = scoreResponseQuality(input({ finishReason: 'length', lengthVerdict: 'too_short' }));
    expect(result.flags).toEqual(['truncated', 'too_short']);
    expect(result.score).toBeCloseTo(1 - QUALITY_WEIGHTS.truncated - QUALITY_WEIGHTS.too_short, 12);
  });

  it('has a weight in (0, 1] for every flag', () => {
    for (const flag of QUALITY_FLAGS) {
      expect(QUALITY_WEIGHTS[flag]).toBeGreaterThan(0);
      expect(QUALITY_WEIGHTS[flag]).toBeLessThanOrEqual(1);
    }
  });
});
