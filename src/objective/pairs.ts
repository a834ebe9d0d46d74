import type { FloatArray } from '../math/matrix.js';

/**
 * Pairs of (true window, corrupted window) compared on one label's score, for the
 * corruptions that change the window rather than the label: the centre word replaced,
 * or (entity detector) a corpus window centred on a non-entity word. Rows index the
 * score matrix of the batch: true windows first, corrupted windows after them.
 */
export class MarginPairs {
  trueRow: Int32Array;
  corruptRow: Int32Array;
  label: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.trueRow = new Int32Array(capacity);
    this.corruptRow = new Int32Array(capacity);
    this.label = new Int32Array(capacity);
  }

  clear(): void {
    this.count = 0;
  }

  add(trueRow: number, corruptRow: number, label: number): void {
    const i = this.count++;
    this.trueRow[i] = trueRow;
    this.corruptRow[i] = corruptRow;
    this.label[i] = label;
  }
}

/**
 * J = Σ_pairs max(0, Δ + s_y(corrupted) − s_y(true)); when dS is given, adds
 * scale·∂J/∂S into it (+1 on the corrupted score, −1 on the true one, for each violator).
 */
export function pairMarginLoss(S: FloatArray, K: number, pairs: MarginPairs, margin: number, dS: FloatArray | null, scale: number): number {
  let total = 0;
  for (let i = 0; i < pairs.count; i++) {
    const y = pairs.label[i];
    const t = pairs.trueRow[i] * K + y;
    const c = pairs.corruptRow[i] * K + y;
    const m = margin + S[c] - S[t];
    // NaN counts as a violation: scores of a diverged model make J NaN, which stops training.
    if (!(m <= 0)) {
      total += m;
      if (dS) {
        dS[c] += scale;
        dS[t] -= scale;
      }
    }
  }
  return total;
}

/** Distance of the nearest pair hinge from its kink: gradcheck keeps clear of it. */
export function pairKinkDistance(S: FloatArray, K: number, pairs: MarginPairs, margin: number): number {
  let nearest = Infinity;
  for (let i = 0; i < pairs.count; i++) {
    const y = pairs.label[i];
    nearest = Math.min(nearest, Math.abs(margin + S[pairs.corruptRow[i] * K + y] - S[pairs.trueRow[i] * K + y]));
  }
  return nearest;
}
