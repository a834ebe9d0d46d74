import type { FloatArray } from '../math/matrix.js';
import { adagradInKernels } from '../math/kernels/elementwise.js';
import { ruleOptimizer, type KernelRule, type Optimizer, type ParameterGroups } from './optimizer.js';

export interface AdagradOptions {
  eps: number;
}

/**
 * AdaGrad (Duchi et al.): G ← G + g²; θ ← θ − α·g/(√G + ε). G starts at 0. Float32
 * parameters are updated in float32 arithmetic (on the SIMD kernel when the arrays live in
 * the kernels' memory, with the same bits either way).
 */
export function adagrad(groups: ParameterGroups, options: AdagradOptions): Optimizer {
  const { eps } = options;
  const update = (theta: FloatArray, grad: FloatArray, state: readonly FloatArray[], at: number, from: number, n: number, alpha: number): void => {
    const G = state[0];
    if (theta instanceof Float32Array) {
      // Float32 parameters: float32 arithmetic, every operation rounded (see adam.ts), the
      // same bits as the SIMD kernel.
      const f = Math.fround;
      const a = f(alpha);
      const e = f(eps);
      for (let i = 0; i < n; i++) {
        const k = at + i;
        const g = grad[from + i];
        const Gk = f(G[k] + f(g * g));
        G[k] = Gk;
        theta[k] = f(theta[k] - f(f(a * g) / f(f(Math.sqrt(Gk)) + e)));
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      G[k] += g * g;
      theta[k] -= (alpha * g) / (Math.sqrt(G[k]) + eps);
    }
  };
  const kernel: KernelRule = (kernels, pTheta, pGrad, pG, _unused, n, alpha) => adagradInKernels(kernels, pTheta, pGrad, pG, n, alpha, eps);
  return ruleOptimizer(groups, { name: 'adagrad', stateNames: ['G'], update, kernel });
}
