// Reads a judge model's answer: the first JSON object with a 1-10 score, wherever it sits in the text.

/** A readable verdict, or why the answer could not be read. */
export type JudgeVerdict =
  | {
      ok: true;
      /** The judge's score mapped to 0..1: 1 -> 0, 10 -> 1. */
      score: number;
      /** The score as the judge wrote it, 1..10. */
      rawScore: number;
      /** The judge's reason, trimmed; empty when it gave none. */
      reason: string;
    }
  | { ok: false; error: string };

/** Longest reason kept (characters); judges that ramble are cut here. */
export const maxReasonChars = 500;

/** Every balanced `{...}` span in the text, outermost first, skipping braces inside JSON strings. */
function objectCandidates(text: string): string[] {
  const candidates: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (escaped) escaped = false;
      else if (character === '\\') escaped = true;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"' && depth > 0) inString = true;
    else if (character === '{') {
      if (depth === 0) start = index;
      depth++;
    } else if (character === '}' && depth > 0) {
      depth--;
      if (depth === 0) candidates.push(text.slice(start, index + 1));
    }
  }
  return candidates;
}

function readScore(value: unknown): number | undefined {
  const score = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
}

/**
 * Parses a judge's answer into a normalised score. Accepts the JSON alone, inside a code fence, or
 * surrounded by prose; takes the first object that has a `score`. A score outside 1..10, or text
 * without such an object, is a failure (never an exception).
 *
 * @example parseJudgeVerdict('```json\n{"score": 8, "reason": "correct"}\n```') // { ok: true, score: 0.777…, rawScore: 8, reason: 'correct' }
 */
export function parseJudgeVerdict(text: string): JudgeVerdict {
  let sawObject = false;
  for (const candidate of objectCandidates(text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(candidate) as unknown;
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || !('score' in parsed)) continue;
    sawObject = true;
    const record = parsed as Record<string, unknown>;
    const rawScore = readScore(record.score);
    if (rawScore === undefined || rawScore < 1 || rawScore > 10) {
      return { ok: false, error: `score must be a number from 1 to 10; got ${JSON.stringify(record.score)}` };
    }
    const reason = typeof record.reason === 'string' ? record.reason.trim().slice(0, maxReasonChars) : '';
    return { ok: true, score: (rawScore - 1) / 9, rawScore, reason };
  }
  return {
    ok: false,
    error: sawObject
      ? 'no readable score in the answer'
      : 'the answer holds no JSON object with a "score"; the rubric asks for {"score": 1-10, "reason": "..."}',
  };
}
