import type { FloatArray } from '../math/matrix.js';
import { ruleOptimizer, type Optimizer, type ParameterGroups } from './optimizer.js';

export interface RmspropOptions {
  decay: number;
  eps: number;
}

/** RMSprop (Tieleman & Hinton): G ← ρG + (1 − ρ)g²; θ ← θ − α·g/(√G + ε). G starts at 0. */
export function rmsprop(groups: ParameterGroups, options: RmspropOptions): Optimizer {
  const { decay, eps } = options;
  const update = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const G = state[0];
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      G[k] = decay * G[k] + (1 - decay) * g * g;
      theta[k] -= (alpha * g) / (Math.sqrt(G[k]) + eps);
    }
  };
  return ruleOptimizer(groups, { name: 'rmsprop', stateNames: ['G'], update });
}
