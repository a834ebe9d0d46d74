import { PAD_END_ID, PAD_START_ID, UNK_ID } from '../data/vocab.js';
import type { Rng } from '../math/random.js';

/**
 * Word dropout (`features.word_dropout` p): each word of the first `rows` windows of a
 * batch becomes <unk> with probability p. Without it the <unk> row is trained only by the
 * rare words min_count dropped, yet at test time every unseen word reads it; dropping
 * known words teaches it to stand for "some word", and teaches the network to lean on the
 * caps and affix columns and on the neighbours, which are left alone.
 *
 * ids: rows·w·T as in EncodedWindows; only column 0 (the word table) changes. The
 * padding rows <s> and </s> are kept: <unk> never appears there at test time, and the
 * sentence edge is a cue worth keeping. p = 0 draws nothing, so a run without word
 * dropout consumes the same random numbers as before the option existed.
 */
export function dropWords(ids: Int32Array, rows: number, positions: number, tables: number, p: number, rng: Rng): void {
  if (p <= 0) return;
  const slots = rows * positions;
  for (let s = 0; s < slots; s++) {
    const at = s * tables;
    const id = ids[at];
    if (id === PAD_START_ID || id === PAD_END_ID) continue;
    if (rng.uniform() < p) ids[at] = UNK_ID;
  }
}
