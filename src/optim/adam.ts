import type { FloatArray } from '../math/matrix.js';
import { adamInKernels } from '../math/kernels/elementwise.js';
import { ruleOptimizer, type KernelRule, type Optimizer, type ParameterGroups } from './optimizer.js';

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
    if (theta instanceof Float32Array) {
      updateFloat32(theta, grad, m, v, at, from, n, stepSize);
      return;
    }
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      m[k] = beta1 * m[k] + (1 - beta1) * g;
      v[k] = beta2 * v[k] + (1 - beta2) * g * g;
      theta[k] -= (stepSize * m[k]) / (Math.sqrt(v[k]) + epsHat);
    }
  };
  // Float32 parameters are updated in float32 arithmetic, as PyTorch's Adam does, each
  // operation rounded (Math.fround of a float64 operation on float32 values is the float32
  // operation): the same bits as the SIMD kernel, which runs whenever the arrays live in
  // the kernels' memory.
  const f = Math.fround;
  const b1 = f(beta1);
  const c1 = f(1 - beta1);
  const b2 = f(beta2);
  const c2 = f(1 - beta2);
  const updateFloat32 = (theta: Float32Array, grad: FloatArray, m: FloatArray, v: FloatArray, at: number, from: number, n: number, stepSize: number): void => {
    const step = f(stepSize);
    const e = f(epsHat);
    for (let i = 0; i < n; i++) {
      const k = at + i;
      const g = grad[from + i];
      const mk = f(f(b1 * m[k]) + f(c1 * g));
      const vk = f(f(b2 * v[k]) + f(f(c2 * g) * g));
      m[k] = mk;
      v[k] = vk;
      theta[k] = f(theta[k] - f(f(step * mk) / f(f(Math.sqrt(vk)) + e)));
    }
  };
  const kernel: KernelRule = (kernels, pTheta, pGrad, pM, pV, n, alpha) => adamInKernels(kernels, pTheta, pGrad, pM, pV, n, b1, c1, b2, c2, alpha * correction, epsHat);
  return ruleOptimizer(groups, { name: 'adam', stateNames: ['m', 'v'], begin, update, kernel });
}
