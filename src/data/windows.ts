import { CAPS_PAD, capsClass } from './caps.js';
import { PAD_END_ID, PAD_START_ID, wordKey, type Vocabulary, type WordNormalisation } from './vocab.js';

/**
 * What each window position contributes to x: a word row, and a caps row when the caps
 * feature is on. These are the feature tables, in this order.
 */
export interface WindowFeatures {
  /** Words on each side of the centre: a window has 2k+1 positions. */
  halfWidth: number;
  caps: boolean;
  norm: WordNormalisation;
}

/** Number of id columns per position (one per feature table). */
export function tablesPerPosition(features: WindowFeatures): number {
  return features.caps ? 2 : 1;
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
  let n = 0;
  sentences.forEach((sentence, si) => {
    sentenceStarts[si] = n;
    const len = sentence.tokens.length;
    const wordIds = sentence.tokens.map((token) => vocab.id(wordKey(token, features.norm)));
    const capsIds = features.caps ? sentence.tokens.map(capsClass) : [];
    for (let i = 0; i < len; i++, n++) {
      for (let j = 0; j < w; j++) {
        const p = i - k + j;
        const base = (n * w + j) * T;
        ids[base] = p < 0 ? PAD_START_ID : p >= len ? PAD_END_ID : wordIds[p];
        if (features.caps) ids[base + 1] = p < 0 || p >= len ? CAPS_PAD : capsIds[p];
      }
    }
  });
  sentenceStarts[sentences.length] = n;
  return { ids, count, positions: w, tables: T, sentenceStarts };
}
