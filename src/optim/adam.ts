import type { FloatArray } from '../math/matrix.js';
import { ruleOptimizer, type Optimizer, type ParameterGroups } from './optimizer.js';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Adam (Kingma & Ba) with bias correction: m ← β1·m + (1−β1)g; v ← β2·v + (1−β2)g²;
 * θ ← θ − α·m̂/(√v̂ + ε), m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), t the global step count.
 */
export function adam(groups: ParameterGroups, options: AdamOptions): Optimizer {
  const { beta1, beta2, eps } = options;
  // The corrections fold into one step size α·√(1−β2ᵗ)/(1−β1ᵗ) and ε·√(1−β2ᵗ): the same
  // update with fewer divisions per element. Computed once per step, not per range.
  let correction = 1;
  let epsHat = eps;
  const begin = (t: number): void => {
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    correction = Math.sqrt(c2) / c1;
    epsHat = eps * Math.sqrt(c2);
  };
  const update = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const m = state[0];
    const v = state[1];
    const stepSize = alpha * correction;
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      m[k] = beta1 * m[k] + (1 - beta1) * g;
      v[k] = beta2 * v[k] + (1 - beta2) * g * g;
      theta[k] -= (stepSize * m[k]) / (Math.sqrt(v[k]) + epsHat);
    }
  };
  return ruleOptimizer(groups, { name: 'adam', stateNames: ['m', 'v'], begin, update });
}
