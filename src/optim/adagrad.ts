import type { FloatArray } from '../math/matrix.js';
import { ruleOptimizer, type Optimizer, type ParameterGroups } from './optimizer.js';

export interface AdagradOptions {
  eps: number;
}

/** AdaGrad (Duchi et al.): G ← G + g²; θ ← θ − α·g/(√G + ε). G starts at 0. */
export function adagrad(groups: ParameterGroups, options: AdagradOptions): Optimizer {
  const { eps } = options;
  const update = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const G = state[0];
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      G[k] += g * g;
      theta[k] -= (alpha * g) / (Math.sqrt(G[k]) + eps);
    }
  };
  return ruleOptimizer(groups, { name: 'adagrad', stateNames: ['G'], update });
}
