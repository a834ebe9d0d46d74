import { tagsOfLabels, type LabelSet } from '../data/labels.js';
import { convertTags, type TagScheme } from '../data/tags.js';
import type { EncodedWindows } from '../data/windows.js';
import { PrecomputedScorer } from './precompute.js';
import type { WindowScorer } from './window-scorer.js';

/**
 * What scores windows at inference: the model itself (the plain forward: gather, W·x, …),
 * or a PrecomputedScorer over it (the first layer from tables of W_j·e; same scores to
 * float32 rounding). A PrecomputedScorer falls back to its model for small inputs.
 */
export type Scorer = WindowScorer | PrecomputedScorer;

/** Scores every window, `batchSize` at a time, handing each B×K block to `visit` with the index of its first window. */
export function scoreInBatches(model: Scorer, windows: EncodedWindows, batchSize: number, visit: (S: ArrayLike<number>, start: number, B: number) => void): void {
  const { count, positions, tables } = windows;
  const stride = positions * tables;
  // Decided once per input, so one input is scored one way throughout.
  const precomputed = model instanceof PrecomputedScorer && model.useTablesFor(count) ? model : null;
  const plain = model instanceof PrecomputedScorer ? model.model : model;
  for (let start = 0; start < count; start += batchSize) {
    const B = Math.min(batchSize, count - start);
    const ids = windows.ids.subarray(start * stride, (start + B) * stride);
    visit(precomputed ? precomputed.forward(ids, B) : plain.forward(ids, B, false), start, B);
  }
}

/** The best-scoring label of every window. */
export function predictLabelIds(model: Scorer, windows: EncodedWindows, batchSize: number): Int32Array {
  const K = model.K;
  const out = new Int32Array(windows.count);
  scoreInBatches(model, windows, batchSize, (S, start, B) => {
    for (let n = 0; n < B; n++) out[start + n] = argmax(S, n * K, K);
  });
  return out;
}

/** The single score of every window (a K = 1 scorer: the entity detector). */
export function predictScores(model: Scorer, windows: EncodedWindows, batchSize: number): Float32Array {
  const K = model.K;
  const out = new Float32Array(windows.count);
  scoreInBatches(model, windows, batchSize, (S, start, B) => {
    for (let n = 0; n < B; n++) out[start + n] = S[n * K];
  });
  return out;
}

/**
 * Predicted tags per sentence, written in `scheme`. The scorer predicts IOB2 labels one
 * token at a time, so a sequence may be ill-formed (I-X after O); conlleval's rules read
 * such an I-X as the start of a chunk, and the conversion keeps exactly those chunks.
 */
export function sentenceTags(labelIds: Int32Array, sentenceStarts: Int32Array, labels: LabelSet, scheme: TagScheme): string[][] {
  const out: string[][] = [];
  for (let s = 0; s + 1 < sentenceStarts.length; s++) {
    const iob2 = tagsOfLabels(labelIds.subarray(sentenceStarts[s], sentenceStarts[s + 1]), labels);
    out.push(convertTags(iob2, 'iob2', scheme));
  }
  return out;
}

function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  let bestValue = values[offset];
  for (let k = 1; k < n; k++) {
    if (values[offset + k] > bestValue) {
      bestValue = values[offset + k];
      best = k;
    }
  }
  return best;
}
