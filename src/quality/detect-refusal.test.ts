// Tests of refusal detection on answer openings.
import { describe, expect, it } from 'vitest';
import { isRefusal, REFUSAL_WINDOW_CHARS } from './detect-refusal.js';

describe('isRefusal', () => {
  it.each([
    "I'm sorry, but I can't help with that request.",
    'I’m sorry, but I can’t share that.',
    'I cannot help with creating malware.',
    'As an AI language model, I do not have opinions.',
    "Sure.\n\nUnfortunately,   I  CAN'T   assist with that.",
    'I must decline to answer.',
  ])('recognises %j', (text) => {
    expect(isRefusal(text)).toBe(true);
  });

  it.each([
    'Here is the summary you asked for.',
    "I'm sorry for the delay; here is the answer.",
    'The function cannot help with negative inputs, so validate them first.',
    '',
  ])('lets %j through', (text) => {
    expect(isRefusal(text)).toBe(false);
  });

  it('only reads the start of the answer', () => {
    const late = `${'word '.repeat(REFUSAL_WINDOW_CHARS / 5)}I cannot help with that.`;
    expect(isRefusal(late)).toBe(false);
  });
});
