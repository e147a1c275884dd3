import { describe, expect, it } from 'vitest';
import { maxReasonChars, parseJudgeVerdict } from './parse-judge-verdict.js';

describe('parseJudgeVerdict', () => {
  const readable: [string, string, number, string][] = [
    ['plain JSON', '{"score": 8, "reason": "correct and clear"}', 8, 'correct and clear'],
    ['a json code fence', '```json\n{"score": 10, "reason": "perfect"}\n```', 10, 'perfect'],
    ['a bare code fence', '```\n{ "score": 1, "reason": "wrong" }\n```', 1, 'wrong'],
    ['prose around it', 'Here is my verdict: {"score": 5, "reason": "partly"} Hope that helps.', 5, 'partly'],
    ['a string score', '{"score": "7", "reason": "fine"}', 7, 'fine'],
    ['a decimal score', '{"score": 5.5, "reason": "ok"}', 5.5, 'ok'],
    ['no reason', '{"score": 4}', 4, ''],
    [
      'braces inside the reason',
      '{"score": 6, "reason": "uses {placeholders} and \\"quotes\\""}',
      6,
      'uses {placeholders} and "quotes"',
    ],
    ['an earlier object without score', 'Input {"a": 1} verdict {"score": 9, "reason": "good"}', 9, 'good'],
    ['an earlier broken object', '{not json} then {"score": 3, "reason": "weak"}', 3, 'weak'],
    ['nested objects', '{"score": 2, "reason": "bad", "details": {"x": 1}}', 2, 'bad'],
    ['an object inside an array', '[{"score": 8, "reason": "listed"}]', 8, 'listed'],
    ['reason with spaces around', '{"score": 8, "reason": "  padded  "}', 8, 'padded'],
  ];
  it.each(readable)('reads %s', (_name, text, rawScore, reason) => {
    const verdict = parseJudgeVerdict(text);
    expect(verdict).toEqual({ ok: true, rawScore, score: (rawScore - 1) / 9, reason });
  });

  it('maps 1..10 onto 0..1', () => {
    const score = (text: string) => {
      const verdict = parseJudgeVerdict(text);
      return verdict.ok ? verdict.score : Number.NaN;
    };
    expect(score('{"score": 1}')).toBe(0);
    expect(score('{"score": 10}')).toBe(1);
  });

  it('cuts a long reason', () => {
    const verdict = parseJudgeVerdict(JSON.stringify({ score: 5, reason: 'x'.repeat(2000) }));
    expect(verdict.ok && verdict.reason.length).toBe(maxReasonChars);
  });

  const unreadable: [string, string, RegExp][] = [
    ['empty text', '', /no JSON object/],
    ['prose only', 'I would give it an 8 out of 10.', /no JSON object/],
    ['an object without score', '{"rating": 8}', /no JSON object/],
    ['a score above 10', '{"score": 11, "reason": "great"}', /from 1 to 10; got 11/],
    ['a score below 1', '{"score": 0}', /from 1 to 10; got 0/],
    ['a word score', '{"score": "high"}', /from 1 to 10; got "high"/],
    ['a null score', '{"score": null}', /from 1 to 10; got null/],
    ['an unclosed object', '{"score": 8, "reason": "cut', /no JSON object/],
  ];
  it.each(unreadable)('refuses %s', (_name, text, error) => {
    const verdict = parseJudgeVerdict(text);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.error).toMatch(error);
  });
});
