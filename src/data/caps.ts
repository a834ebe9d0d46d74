/**
 * The capitalisation feature of the classic window taggers: lowercasing words for the
 * embedding lookup throws away the strongest NER cue, so the shape of each word's
 * capitals gets a small embedding of its own.
 */
export const CAPS_CLASSES = ['<pad>', 'lower', 'initial', 'upper', 'mixed', 'noletters'] as const;
export const CAPS_PAD = 0;

export function capsClass(token: string): number {
  let letters = 0;
  let uppers = 0;
  let firstIsUpper = false;
  let index = 0;
  for (const ch of token) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower !== upper) {
      letters++;
      if (ch === upper) {
        uppers++;
        if (index === 0) firstIsUpper = true;
      }
    }
    index++;
  }
  if (letters === 0) return 5; // noletters
  if (uppers === 0) return 1; // lower
  if (uppers === letters && letters > 1) return 3; // upper
  if (firstIsUpper && uppers === 1) return 2; // initial
  if (firstIsUpper && uppers === letters) return 2; // a single capital letter such as "A"
  return 4; // mixed: a capital that is not only the first letter
}
