import type { FloatArray } from '../math/matrix.js';
import type { Objective } from './objective.js';

/**
 * Max-margin against corrupted windows: the same window with a wrong label c is the
 * corrupted example, and the gold label must outscore each of them by Δ:
 *   J = Σ_{c≠y} max(0, Δ + s_c − s_y)      (Weston–Watkins multiclass hinge)
 * Its gradient is +1 on each violating s_c and −(number of violators) on s_y.
 */
export function maxMargin(margin: number): Objective {
  return {
    name: 'max-margin',
    loss(S, gold, B, K, dS, scale) {
      if (dS) dS.fill(0, 0, B * K);
      let total = 0;
      for (let n = 0; n < B; n++) {
        const row = n * K;
        const y = gold[n];
        const sy = S[row + y];
        let violators = 0;
        for (let c = 0; c < K; c++) {
          if (c === y) continue;
          const m = margin + S[row + c] - sy;
          if (m > 0) {
            total += m;
            violators++;
            if (dS) dS[row + c] += scale;
          }
        }
        if (dS) dS[row + y] -= violators * scale;
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
