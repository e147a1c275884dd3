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
  const words = wordIds(text.toLowerCase());
  const trigrams = words.length - 2;
  if (trigrams < MIN_TRIGRAMS) return 0;
  // Word ids are below WORD_ID_LIMIT (see wordIds), so three of them pack exactly into one number.
  const seen = new Set<number>();
  let repeats = 0;
  for (let index = 0; index < trigrams; index++) {
    const trigram =
      ((words[index] ?? 0) * WORD_ID_LIMIT + (words[index + 1] ?? 0)) * WORD_ID_LIMIT +
      (words[index + 2] ?? 0);
    if (seen.has(trigram)) repeats++;
    else seen.add(trigram);
  }
  return repeats / trigrams;
}

/** Three ids below this pack into one number below 2^51, exact in a double. */
const WORD_ID_LIMIT = 2 ** 17;

/**
 * The text's words as small integer ids (same word, same id), in order. Numbers instead of
 * strings keep the trigram set cheap: about 3x faster than joining words into keys. Words past
 * the WORD_ID_LIMIT-th distinct one all share the last id, which can only add repeats in texts
 * of over 100,000 distinct words, far longer than the captured answer.
 */
function wordIds(text: string): number[] {
  const ids = new Map<string, number>();
  const words: number[] = [];
  let start = -1;
  for (let index = 0; index <= text.length; index++) {
    const code = index < text.length ? text.charCodeAt(index) : 32;
    const space = isSpace(code);
    if (!space) {
      if (start < 0) start = index;
      continue;
    }
    if (start < 0) continue;
    const word = text.slice(start, index);
    start = -1;
    let id = ids.get(word);
    if (id === undefined) {
      id = Math.min(ids.size, WORD_ID_LIMIT - 1);
      ids.set(word, id);
    }
    words.push(id);
  }
  return words;
}

/** The white space of the regular expression \s (ASCII, no-break and Unicode spaces, separators). */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 160) return false;
  return (
    code === 160 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}
