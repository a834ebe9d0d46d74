import type { FloatArray } from '../math/matrix.js';
import { ruleOptimizer, type Optimizer, type ParameterGroups } from './optimizer.js';

export interface MomentumOptions {
  mu: number;
  nesterov: boolean;
}

/**
 * Classical momentum (v ← μv − αg; θ ← θ + v), or Nesterov's accelerated gradient in the
 * reformulation of Sutskever et al. / CS231n, which keeps the stored parameters at the
 * look-ahead point so the gradient the model computes is the one Nesterov asks for:
 * v ← μv − αg; θ ← θ − μ·v_prev + (1 + μ)·v.
 */
export function momentum(groups: ParameterGroups, options: MomentumOptions): Optimizer {
  const { mu } = options;
  // Two separate loops rather than a flag tested per element.
  const classical = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const v = state[0];
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const vk = mu * v[k] - alpha * grad[from + i];
      v[k] = vk;
      theta[k] += vk;
    }
  };
  const nesterov = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const v = state[0];
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const prev = v[k];
      const vk = mu * prev - alpha * grad[from + i];
      v[k] = vk;
      theta[k] += -mu * prev + (1 + mu) * vk;
    }
  };
  return ruleOptimizer(groups, { name: 'momentum', stateNames: ['v'], update: options.nesterov ? nesterov : classical });
}
