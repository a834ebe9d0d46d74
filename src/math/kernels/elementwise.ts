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
  /** See Rng.fillBernoulli: `last` is the largest word that keeps (as int32 bits), `any` 0 when none does. */
  bernoulli(pOut: number, n: number, last: number, any: number, hit: number, miss: number, pStreams: number): void;
  /** out = tanhFloat32 of in (n values). */
  tanh_f32(pOut: number, pIn: number, n: number): void;
  mul(pOut: number, pA: number, pB: number, n: number): void;
  tanh_backward(pGrad: number, pA: number, n: number): void;
  column_sums(pOut: number, pM: number, rows: number, cols: number): void;
  zero(p: number, n: number): void;
  gather(pX: number, pIds: number, B: number, w: number, T: number, D: number, P: number, pTables: number): void;
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
        tanh_f32: exportedFunction(e, 'tanh_f32'),
        mul: exportedFunction(e, 'mul'),
        tanh_backward: exportedFunction(e, 'tanh_backward'),
        column_sums: exportedFunction(e, 'column_sums'),
        zero: exportedFunction(e, 'zero'),
        gather: exportedFunction(e, 'gather'),
      },
    };
  }
  return cached.kernels;
}

/** a[i] = tanhFloat32(z[i]) for i < n on the kernel when both arrays live in its memory (a may be z); false, having done nothing, otherwise. */
export function tanhInKernels(a: Float32Array, z: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pOut = kernels.memory.pointer(a);
  const pIn = kernels.memory.pointer(z);
  if (pOut < 0 || pIn < 0) return false;
  kernels.tanh_f32(pOut, pIn, n);
  return true;
}

/** out[i] = a[i]·b[i] for i < n on the kernel when all three live in its memory (out may be a or b); false, having done nothing, otherwise. */
export function multiplyInKernels(out: Float32Array, a: Float32Array, b: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const { memory } = kernels;
  const pOut = memory.pointer(out);
  const pA = memory.pointer(a);
  const pB = memory.pointer(b);
  if (pOut < 0 || pA < 0 || pB < 0) return false;
  kernels.mul(pOut, pA, pB, n);
  return true;
}

/** grad[i] *= 1 − a[i]² for i < n on the kernel (the TypeScript loop's bits) when both live in its memory; false otherwise. */
export function tanhBackwardInKernels(grad: Float32Array, a: Float32Array, n: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pGrad = kernels.memory.pointer(grad);
  const pA = kernels.memory.pointer(a);
  if (pGrad < 0 || pA < 0) return false;
  kernels.tanh_backward(pGrad, pA, n);
  return true;
}

/** out[j] += Σ_r m[r, j] on the kernel (addColumnSums' bits) when both live in its memory; false otherwise. */
export function columnSumsInKernels(out: Float32Array, m: Float32Array, rows: number, cols: number): boolean {
  const kernels = elementwiseKernels();
  if (!kernels) return false;
  const pOut = kernels.memory.pointer(out);
  const pM = kernels.memory.pointer(m);
  if (pOut < 0 || pM < 0) return false;
  kernels.column_sums(pOut, pM, rows, cols);
  return true;
}

/**
 * a.fill(0) for an array of any kind: on the kernel when it lives in the kernels' memory
 * (fill on shared memory stores element by element, 8× slower), else fill itself.
 */
export function fillZero(a: Float32Array | Float64Array): void {
  const kernels = a instanceof Float32Array ? elementwiseKernels() : null;
  const p = kernels ? kernels.memory.pointer(a) : -1;
  if (kernels && p >= 0) kernels.zero(p, a.length);
  else a.fill(0);
}
