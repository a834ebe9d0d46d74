import { AFFIX_PAD_ID, type AffixVocabulary } from './affixes.js';
import { CAPS_PAD, capsClass } from './caps.js';
import { PAD_END_ID, PAD_START_ID, wordKey, type Vocabulary, type WordNormalisation } from './vocab.js';

/**
 * What each window position contributes to x: a word row, then a caps row, a suffix row
 * and a prefix row for the features that are on. These are the feature tables, in this
 * order (createScorer builds its tables in the same order).
 */
export interface WindowFeatures {
  /** Words on each side of the centre: a window has 2k+1 positions. */
  halfWidth: number;
  caps: boolean;
  norm: WordNormalisation;
  /** The suffix / prefix vocabulary (built from the training data); null or absent when the feature is off. */
  suffix?: AffixVocabulary | null;
  prefix?: AffixVocabulary | null;
}

/** Number of id columns per position (one per feature table). */
export function tablesPerPosition(features: WindowFeatures): number {
  return 1 + (features.caps ? 1 : 0) + (features.suffix ? 1 : 0) + (features.prefix ? 1 : 0);
}

/**
 * Every token's window as ids, never as floats: ids[(n·w + j)·T + t] is the row of
 * feature table t at position j of token n's window (w = 2k+1 positions, T tables).
 * Materialised vectors would cost w·D floats per token; ids cost w·T integers.
 */
export interface EncodedWindows {
  ids: Int32Array;
  count: number;
  positions: number;
  tables: number;
  /** sentenceStarts[s] is the index of sentence s's first token; the last entry is count. */
  sentenceStarts: Int32Array;
}

export function encodeWindows(
  sentences: readonly { tokens: readonly string[] }[],
  vocab: Vocabulary,
  features: WindowFeatures,
): EncodedWindows {
  const k = features.halfWidth;
  const w = 2 * k + 1;
  const T = tablesPerPosition(features);
  let count = 0;
  for (const s of sentences) count += s.tokens.length;
  const ids = new Int32Array(count * w * T);
  const sentenceStarts = new Int32Array(sentences.length + 1);
  const { suffix, prefix } = features;
  // Column of each optional table within a position (−1: off).
  let column = 1;
  const capsColumn = features.caps ? column++ : -1;
  const suffixColumn = suffix ? column++ : -1;
  const prefixColumn = prefix ? column++ : -1;
  let n = 0;
  sentences.forEach((sentence, si) => {
    sentenceStarts[si] = n;
    const len = sentence.tokens.length;
    const wordIds = sentence.tokens.map((token) => vocab.id(wordKey(token, features.norm)));
    const capsIds = features.caps ? sentence.tokens.map(capsClass) : [];
    const suffixIds = suffix ? sentence.tokens.map((token) => suffix.id(token)) : [];
    const prefixIds = prefix ? sentence.tokens.map((token) => prefix.id(token)) : [];
    for (let i = 0; i < len; i++, n++) {
      for (let j = 0; j < w; j++) {
        const p = i - k + j;
        const base = (n * w + j) * T;
        const inside = p >= 0 && p < len;
        ids[base] = p < 0 ? PAD_START_ID : p >= len ? PAD_END_ID : wordIds[p];
        if (capsColumn > 0) ids[base + capsColumn] = inside ? capsIds[p] : CAPS_PAD;
        if (suffixColumn > 0) ids[base + suffixColumn] = inside ? suffixIds[p] : AFFIX_PAD_ID;
        if (prefixColumn > 0) ids[base + prefixColumn] = inside ? prefixIds[p] : AFFIX_PAD_ID;
      }
    }
  });
  sentenceStarts[sentences.length] = n;
  return { ids, count, positions: w, tables: T, sentenceStarts };
}
