import type { EncodedWindows } from '../data/windows.js';
import type { Rng } from '../math/random.js';

/**
 * Draws word ids in proportion to their counts in O(1) per draw (Walker's alias method):
 * a corrupted window needs a fresh word every time, so a binary search over V per draw
 * would show in the training step.
 */
export class UnigramSampler {
  private readonly probability: Float64Array;
  private readonly alias: Int32Array;
  private readonly counts: Float64Array;
  private readonly total: number;

  constructor(counts: ArrayLike<number>) {
    const n = counts.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += counts[i];
    if (!(total > 0)) throw new RangeError('UnigramSampler: the counts sum to zero');
    this.counts = Float64Array.from(counts);
    this.total = total;
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from({ length: n }, (_, i) => (counts[i] * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.probability[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] -= 1 - scaled[s];
      (scaled[l] < 1 ? small : large).push(l);
    }
    // What is left has probability 1 up to rounding.
    for (const i of [...small, ...large]) {
      this.probability[i] = 1;
      this.alias[i] = i;
    }
  }

  sample(rng: Rng): number {
    const i = rng.int(this.probability.length);
    return rng.uniform() < this.probability[i] ? i : this.alias[i];
  }

  /**
   * A draw from the distribution with `avoid` removed (renormalised); `avoid` itself only
   * when no other word has mass. Rejection is O(1) unless `avoid` dominates, and then an
   * exact O(V) scan takes over, so a frequent centre word still gets a real corruption.
   */
  sampleOther(rng: Rng, avoid: number): number {
    for (let attempt = 0; attempt < 16; attempt++) {
      const word = this.sample(rng);
      if (word !== avoid) return word;
    }
    const rest = this.total - (this.counts[avoid] ?? 0);
    if (!(rest > 0)) return avoid;
    let r = rng.uniform() * rest;
    let last = avoid;
    for (let i = 0; i < this.counts.length; i++) {
      if (i === avoid || this.counts[i] <= 0) continue;
      last = i;
      r -= this.counts[i];
      if (r < 0) return i;
    }
    return last;
  }
}

/** How often each word-table row is the centre word of a window: the unigram counts of the split. */
export function centreWordCounts(windows: EncodedWindows, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize);
  const { positions: w, tables: T } = windows;
  const centre = (w - 1) / 2;
  for (let n = 0; n < windows.count; n++) counts[windows.ids[(n * w + centre) * T]]++;
  return counts;
}

/** Index of the centre word's id within one window's id block (word table = column 0). */
export function centreWordOffset(windows: { positions: number; tables: number }): number {
  return ((windows.positions - 1) / 2) * windows.tables;
}
