// The rubric and the request sent to the judge model for one sampled answer.
import type { ChatRequest } from '../../spec/index.js';
import { textOf } from '../../providers/shared/messages.js';

/** The built-in rubric (system prompt); `quality.judge.prompt` replaces it. */
export const defaultJudgeRubric = [
  'You grade answers given by an AI assistant.',
  'Judge how well the answer serves the request: correct, relevant, complete, clear, and not a needless refusal.',
  'Score from 1 (useless or wrong) to 10 (excellent). The texts may be cut short; do not penalise that.',
  'Reply with strict JSON only, no code fence and no other text: {"score": <integer 1-10>, "reason": "<one short sentence>"}',
].join('\n');

/** Longest part of the original request quoted to the judge (characters). */
export const maxPromptPreviewChars = 2000;

/** The last user message of a request (its text parts), or the last message of any role when there is none. */
export function lastUserText(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index--) {
    const message = request.messages[index];
    if (message?.role === 'user') return textOf(message.content);
  }
  const last = request.messages.at(-1);
  return last === undefined ? '' : textOf(last.content);
}

/**
 * The chat request that asks the judge to score one answer: the rubric as system message, and the
 * original request's last user message and the answer, both quoted and clipped.
 * @example buildJudgeRequest({ prompt: 'What is 2+2?', answer: '4' })
 */
export function buildJudgeRequest(options: {
  /** The original request's last user message. */
  prompt: string;
  /** The answer to score (the start of it, as telemetry kept it). */
  answer: string;
  /** Replaces {@link defaultJudgeRubric}. */
  rubric?: string | undefined;
}): ChatRequest {
  const user = [
    'Request:',
    '<<<',
    options.prompt.slice(0, maxPromptPreviewChars),
    '>>>',
    '',
    'Answer:',
    '<<<',
    options.answer,
    '>>>',
    '',
    'Reply with JSON only: {"score": <1-10>, "reason": "..."}',
  ].join('\n');
  return {
    messages: [
      { role: 'system', content: options.rubric ?? defaultJudgeRubric },
      { role: 'user', content: user },
    ],
    temperature: 0,
    maxTokens: 300,
  };
}
