import { kernelFloats } from './kernels/wasm-gemm.js';

/**
 * The element types the math core runs on: Float32Array while training (speed, memory),
 * Float64Array for gradient checks (so that central differences resolve 1e-6 relative
 * error). Every kernel takes either; a model is built for one and never mixes them.
 */
export type FloatArray = Float32Array | Float64Array;
export type DTypeName = 'float32' | 'float64';

export function allocate(dtype: DTypeName, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/**
 * Like allocate, but a float32 array lives in the WebAssembly kernels' memory when they
 * load, so the kernels read and write it in place (no copies in and out): for the arrays a
 * training step runs through (parameters, gradients, optimiser state, work buffers).
 * The owner must keep the returned view itself alive while it uses subarrays of it (see
 * kernel-memory.ts). Float64 arrays (gradient checks) stay on the heap.
 */
export function allocateForKernels(dtype: DTypeName, length: number): FloatArray {
  return dtype === 'float32' ? kernelFloats(length) : new Float64Array(length);
}

export function dtypeOf(array: FloatArray): DTypeName {
  return array instanceof Float32Array ? 'float32' : 'float64';
}
