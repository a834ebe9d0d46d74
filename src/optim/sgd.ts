import type { FloatArray } from '../math/matrix.js';
import { ruleOptimizer, type Optimizer, type ParameterGroups } from './optimizer.js';

function sgdRange(theta: FloatArray, grad: FloatArray, _state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void {
  for (let i = 0; i < n; i++) theta[at + i] -= alpha * grad[from + i];
}

/** Plain stochastic gradient descent: θ ← θ − α·g. */
export function sgd(groups: ParameterGroups): Optimizer {
  return ruleOptimizer(groups, { name: 'sgd', stateNames: [], update: sgdRange });
}
