// How much of a text repeats itself: the share of its word trigrams that already occurred earlier.

/** Word trigrams a text needs before its repetition is judged; shorter texts score 0. */
export const MIN_TRIGRAMS = 20;

/**
 * The fraction (0..1) of the text's word trigrams that are repeats of an earlier one: 0 for a text
 * with no repeated three-word sequence, about 1 - 1/k for a passage said k times over, close to 1
 * for a model stuck in a loop ("the the the..."). Words are runs of non-space characters, compared
 * case-insensitively. Texts with fewer than MIN_TRIGRAMS trigrams return 0 (too short to tell);
 * so do scripts written without spaces (the check is word-based).
 *
 * @example repetitionRatio('stop. '.repeat(50)) // 0.979...
 */
export function repetitionRatio(text: string): number {
  const words = text
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '');
  const trigrams = words.length - 2;
  if (trigrams < MIN_TRIGRAMS) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (let index = 0; index < trigrams; index++) {
    const trigram = `${words[index]} ${words[index + 1]} ${words[index + 2]}`;
    if (seen.has(trigram)) repeats++;
    else seen.add(trigram);
  }
  return repeats / trigrams;
}
