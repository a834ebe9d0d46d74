import type { FloatArray } from '../math/matrix.js';
import type { Objective } from './objective.js';

/** How the hinge terms of the wrong labels combine. */
export type MarginReduction = 'sum' | 'max';

/**
 * Max-margin against corrupted windows: the same window with a wrong label c is the
 * corrupted example, and the gold label must outscore it by Δ.
 *   sum (Weston–Watkins):  J = Σ_{c≠y} max(0, Δ + s_c − s_y)
 *     gradient +1 on each violating s_c and −(number of violators) on s_y;
 *   max (Crammer–Singer):  J = max(0, Δ + max_{c≠y} s_c − s_y)
 *     gradient +1 on the highest-scoring wrong label and −1 on s_y when it violates.
 */
export function maxMargin(margin: number, reduction: MarginReduction = 'sum', classWeight: Float64Array | null = null): Objective {
  return reduction === 'max' ? crammerSinger(margin, classWeight) : westonWatkins(margin, classWeight);
}

/** The weight of a window whose gold label is y (1 without class weights). */
export function weightOf(classWeight: Float64Array | null, y: number): number {
  return classWeight ? classWeight[y] : 1;
}

function westonWatkins(margin: number, classWeight: Float64Array | null): Objective {
  return {
    name: 'max-margin',
    loss(S, gold, B, K, dS, scale) {
      if (dS) dS.fill(0, 0, B * K);
      let total = 0;
      for (let n = 0; n < B; n++) {
        const row = n * K;
        const y = gold[n];
        const sy = S[row + y];
        const w = weightOf(classWeight, y);
        const step = w * scale;
        let violators = 0;
        for (let c = 0; c < K; c++) {
          if (c === y) continue;
          const m = margin + S[row + c] - sy;
          // NaN counts as a violation: scores of a diverged model make J NaN, which stops training.
          if (!(m <= 0)) {
            total += w * m;
            violators++;
            if (dS) dS[row + c] += step;
          }
        }
        if (dS) dS[row + y] -= violators * step;
      }
      return total;
    },
    kinkDistance(S: FloatArray, gold: Int32Array, B: number, K: number): number {
      let nearest = Infinity;
      for (let n = 0; n < B; n++) {
        const sy = S[n * K + gold[n]];
        for (let c = 0; c < K; c++) {
          if (c !== gold[n]) nearest = Math.min(nearest, Math.abs(margin + S[n * K + c] - sy));
        }
      }
      return nearest;
    },
  };
}

/** The best and second-best wrong label of one row (second is −1 when K = 2). */
function topWrong(S: FloatArray, row: number, K: number, y: number): { best: number; second: number } {
  let best = -1;
  let second = -1;
  for (let c = 0; c < K; c++) {
    if (c === y) continue;
    if (best < 0 || S[row + c] > S[row + best]) {
      second = best;
      best = c;
    } else if (second < 0 || S[row + c] > S[row + second]) {
      second = c;
    }
  }
  return { best, second };
}

function crammerSinger(margin: number, classWeight: Float64Array | null): Objective {
  return {
    name: 'max-margin',
    loss(S, gold, B, K, dS, scale) {
      if (dS) dS.fill(0, 0, B * K);
      let total = 0;
      for (let n = 0; n < B; n++) {
        const row = n * K;
        const y = gold[n];
        const { best } = topWrong(S, row, K, y);
        if (best < 0) continue;
        const m = margin + S[row + best] - S[row + y];
        // NaN counts as a violation: scores of a diverged model make J NaN, which stops training.
        if (!(m <= 0)) {
          const w = weightOf(classWeight, y);
          total += w * m;
          if (dS) {
            dS[row + best] += w * scale;
            dS[row + y] -= w * scale;
          }
        }
      }
      return total;
    },
    // Two kinks: the hinge itself, and a tie between the two highest wrong labels (the max switches).
    kinkDistance(S: FloatArray, gold: Int32Array, B: number, K: number): number {
      let nearest = Infinity;
      for (let n = 0; n < B; n++) {
        const row = n * K;
        const { best, second } = topWrong(S, row, K, gold[n]);
        if (best < 0) continue;
        nearest = Math.min(nearest, Math.abs(margin + S[row + best] - S[row + gold[n]]));
        if (second >= 0) nearest = Math.min(nearest, S[row + best] - S[row + second]);
      }
      return nearest;
    },
  };
}
