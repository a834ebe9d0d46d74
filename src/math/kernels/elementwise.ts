import { exportedFunction } from './module.js';
import { activeKernels } from './wasm-gemm.js';
import type { KernelMemory } from './kernel-memory.js';

/**
 * The element-wise kernels of a training step (wat-elementwise.ts), typed. Each computes
 * exactly what its TypeScript loop computes; callers use them when every array involved
 * lives in the kernels' memory (kernelFloats) and fall back to the loop otherwise.
 */
export interface ElementwiseKernels {
  readonly memory: KernelMemory;
  /** Float32 Adam; the six constants are rounded to float32 on the way in: β1, 1−β1, β2, 1−β2, the step size, ε̂. */
  adam(pTheta: number, pGrad: number, pM: number, pV: number, n: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, epsHat: number): void;
  /** Float32 AdaGrad; α and ε rounded to float32 on the way in. */
  adagrad(pTheta: number, pGrad: number, pG: number, n: number, alpha: number, eps: number): void;
  /** Adds twoL2·θ into the gradient; returns Σθ² (summed as squaresWithGrad sums). */
  l2_grad(pTheta: number, pGrad: number, n: number, twoL2: number): number;
  bernoulli(pOut: number, n: number, limit: number, hit: number, miss: number, pState: number): void;
}

let cached: { exports: Record<string, unknown>; kernels: ElementwiseKernels } | null = null;

/** The element-wise kernels when the WebAssembly kernels are loaded and enabled, else null. */
export function elementwiseKernels(): ElementwiseKernels | null {
  const active = activeKernels();
  if (!active) return null;
  if (cached?.exports !== active.exports) {
    const e = active.exports;
    cached = {
      exports: e,
      kernels: {
        memory: active.memory,
        adam: exportedFunction(e, 'adam'),
        adagrad: exportedFunction(e, 'adagrad'),
        l2_grad: exportedFunction(e, 'l2_grad'),
        bernoulli: exportedFunction(e, 'bernoulli'),
      },
    };
  }
  return cached.kernels;
}
