import { weightOf } from './max-margin.js';
import type { Objective } from './objective.js';

/**
 * Softmax cross-entropy: J = −log p_y with p = softmax(s), computed with the max
 * subtracted so large scores cannot overflow. ∂J/∂s = p − onehot(y). With class weights
 * a window's loss and gradient are multiplied by the weight of its gold label.
 */
export function softmaxCrossEntropy(classWeight: Float64Array | null = null): Objective {
  return {
    name: 'softmax',
    loss(S, gold, B, K, dS, scale) {
      let total = 0;
      for (let n = 0; n < B; n++) {
        const row = n * K;
        let max = -Infinity;
        for (let c = 0; c < K; c++) if (S[row + c] > max) max = S[row + c];
        let sum = 0;
        for (let c = 0; c < K; c++) sum += Math.exp(S[row + c] - max);
        const logZ = max + Math.log(sum);
        const y = gold[n];
        const w = weightOf(classWeight, y);
        total += w * (logZ - S[row + y]);
        if (dS) {
          const step = w * scale;
          for (let c = 0; c < K; c++) dS[row + c] = step * Math.exp(S[row + c] - logZ);
          dS[row + y] -= step;
        }
      }
      return total;
    },
    kinkDistance() {
      return Infinity;
    },
  };
}
