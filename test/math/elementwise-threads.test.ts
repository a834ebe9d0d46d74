import { afterAll, describe, expect, it } from 'vitest';
import { adamInKernels, elementwiseKernels, multiplyInKernels, tanhBackwardInKernels, tanhInKernels } from '../../src/math/kernels/elementwise.js';
import { kernelFloats } from '../../src/math/kernels/wasm-gemm.js';
import { kernelInfo, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';

/**
 * Element-wise kernels split across two threads give the bits of the whole call. The
 * split policy tries splitting first and the whole call second (then it compares), so two
 * calls on copies of the same input take one way each.
 */

afterAll(() => setKernelThreads(1));

function filled(n: number, rng: Rng, scale: number): Float32Array {
  const a = kernelFloats(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-scale, scale);
  return a;
}

describe('element-wise kernels on two threads', () => {
  it('tanh, mul, tanh backward and Adam: split and whole give the same bits, and helpers ran chunks', () => {
    setKernelThreads(2);
    expect(waitForKernelThreads(20_000)).toBe(true);
    const kernels = elementwiseKernels();
    expect(kernels).not.toBeNull();
    if (!kernels) return;
    const p = (a: Float32Array): number => kernels.memory.pointer(a);
    const n = 50_003;
    const rng = new Rng(5);
    const z = filled(n, rng, 3);
    const mask = filled(n, rng, 2);
    const before = kernelInfo().helped;
    const results: Float32Array[][] = [];
    for (let call = 0; call < 2; call++) {
      const a = kernelFloats(n);
      tanhInKernels(a, z, n);
      const m = kernelFloats(n);
      multiplyInKernels(m, a, mask, n);
      const g = Float32Array.from(mask);
      const gk = kernelFloats(n);
      gk.set(g);
      tanhBackwardInKernels(gk, a, n);
      const theta = kernelFloats(n);
      theta.set(z);
      const mom = kernelFloats(n);
      const vel = kernelFloats(n);
      adamInKernels(kernels, p(theta), p(gk), p(mom), p(vel), n, 0.9, 0.1, 0.999, 0.001, 0.01, 1e-8);
      results.push([a, m, gk, theta, mom, vel].map((x) => Float32Array.from(x)));
    }
    for (let k = 0; k < results[0].length; k++) expect(results[1][k]).toEqual(results[0][k]);
    expect(kernelInfo().helped).toBeGreaterThan(before);
  });
});
