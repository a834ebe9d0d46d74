import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addRowVector, affine, gemm, gemmReference, kernelInfo, setKernelBackend, setKernelSplitting, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';

/**
 * The WebAssembly SIMD kernels against the plain TypeScript kernel and an exact (float64)
 * product: every transpose combination, odd shapes, alpha/beta, the model's own shapes;
 * and the thread split, which must give bitwise the one-thread result.
 */

function random(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-1, 1);
  return a;
}

/** Element (r, c) of op(X) for X stored row-major, op(X) rows×cols. */
function at(X: Float32Array, trans: boolean, r: number, c: number, rows: number, cols: number): number {
  return trans ? X[c * rows + r] : X[r * cols + c];
}

/**
 * The exact product in float64 and, per element, the scale of its rounding error:
 * |alpha|·Σ_k |a_ik·b_kj| + |beta·c_ij|. A float32 kernel is within K·2⁻²⁴ of that scale;
 * "relative error" below is the error over this scale.
 */
function exact(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array, B: Float32Array, beta: number, C0: Float32Array): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = at(A, tA, i, k, M, K) * at(B, tB, k, j, K, N);
        sum += p;
        abs += Math.abs(p);
      }
      const c = beta === 0 ? 0 : beta * C0[i * N + j];
      value[i * N + j] = alpha * sum + c;
      scale[i * N + j] = Math.abs(alpha) * abs + Math.abs(c) + Number.MIN_VALUE;
    }
  }
  return { value, scale };
}

function worstRelative(actual: Float32Array, { value, scale }: { value: Float64Array; scale: Float64Array }): number {
  let worst = 0;
  for (let i = 0; i < value.length; i++) worst = Math.max(worst, Math.abs(actual[i] - value[i]) / scale[i]);
  return worst;
}

function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const SIZES = [1, 3, 7, 17, 33];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
const ALPHA_BETA: [number, number][] = [[1, 0], [1, 1], [0.5, -2], [-1.5, 0.25]];
/** The products of a training step (see window-scorer.ts) at D = 250, H = 300, K = 9, for B = 1, 16, 32, 256 and an odd 37. */
const MODEL_SHAPES: [boolean, boolean, number, number, number, number][] = [];
for (const B of [1, 16, 32, 37, 256]) {
  MODEL_SHAPES.push(
    [false, true, B, 300, 250, 0], // Z = X·Wᵀ
    [false, true, B, 9, 300, 0], // S = A·Uᵀ
    [true, false, 9, 300, B, 1], // ∂U += dSᵀ·A
    [false, false, B, 300, 9, 0], // ∂A = dS·U
    [true, false, 300, 250, B, 1], // ∂W += dZᵀ·X
    [false, false, B, 250, 300, 0], // ∂X = dZ·W
  );
}

afterEach(() => {
  setKernelBackend('wasm');
  setKernelThreads(1);
});

afterAll(() => setKernelThreads(1));

describe('WebAssembly SIMD gemm', () => {
  it('is the kernel float32 products run on here', () => {
    const info = kernelInfo();
    expect(info.reason).toBeNull();
    expect(info.backend).toBe('wasm');
  });

  for (const [tA, tB] of TRANSPOSES) {
    it(`transA=${tA} transB=${tB}: every shape from {1,3,7,17,33}³ and alpha/beta pair, relative error ≤ 1e-5, no worse than the plain kernel's`, () => {
      const rng = new Rng(101 + 2 * Number(tA) + Number(tB));
      let cases = 0;
      let worstWasm = 0;
      let worstPlain = 0;
      for (const M of SIZES) {
        for (const N of SIZES) {
          for (const K of SIZES) {
            for (const [alpha, beta] of ALPHA_BETA) {
              const A = random(M * K, rng);
              const B = random(K * N, rng);
              const C0 = random(M * N, rng);
              const fast = C0.slice();
              const plain = C0.slice();
              gemm(tA, tB, M, N, K, alpha, A, B, beta, fast);
              gemmReference(tA, tB, M, N, K, alpha, A, B, beta, plain);
              const truth = exact(tA, tB, M, N, K, alpha, A, B, beta, C0);
              worstWasm = Math.max(worstWasm, worstRelative(fast, truth));
              worstPlain = Math.max(worstPlain, worstRelative(plain, truth));
              cases++;
            }
          }
        }
      }
      expect(cases).toBe(SIZES.length ** 3 * ALPHA_BETA.length);
      expect(worstWasm).toBeLessThanOrEqual(1e-5);
      // Both round in float32; neither may be far worse than the other (2 ulp-scale margin).
      expect(worstWasm).toBeLessThanOrEqual(Math.max(2 * worstPlain, 4 * 2 ** -24 * 33));
    });
  }

  it('the model\'s shapes (D = 250, H = 300, K = 9; B = 1, 16, 32, 37, 256) agree with the exact product to 1e-5', () => {
    const rng = new Rng(7);
    for (const [tA, tB, M, N, K, beta] of MODEL_SHAPES) {
      const A = random(M * K, rng);
      const B = random(K * N, rng);
      const C0 = random(M * N, rng);
      const C = C0.slice();
      gemm(tA, tB, M, N, K, 1, A, B, beta, C);
      expect(worstRelative(C, exact(tA, tB, M, N, K, 1, A, B, beta, C0)), `${tA} ${tB} ${M}×${N}×${K}`).toBeLessThanOrEqual(1e-5);
    }
  });

  for (const [tA, tB] of TRANSPOSES) {
    it(`beta = 0 overwrites NaN/∞ in C, leaves C beyond M·N alone, and reads operands that are views into larger arrays (transA=${tA} transB=${tB})`, () => {
      const rng = new Rng(5);
      const [M, N, K] = [9, 13, 11];
      const backingA = random(M * K + 8, rng);
      const backingB = random(K * N + 8, rng);
      // Views at an odd float offset, longer than the product needs.
      const A = backingA.subarray(3);
      const B = backingB.subarray(5);
      const C = new Float32Array(M * N + 6);
      for (let i = 0; i < C.length; i++) C[i] = i % 2 === 0 ? Number.NaN : Infinity;
      const tail = Array.from(C.subarray(M * N));
      gemm(tA, tB, M, N, K, 1, A, B, 0, C);
      for (let i = 0; i < M * N; i++) expect(Number.isFinite(C[i])).toBe(true);
      const truth = exact(tA, tB, M, N, K, 1, A, B, 0, new Float32Array(M * N));
      expect(worstRelative(C.subarray(0, M * N), truth)).toBeLessThanOrEqual(1e-5);
      expect(Array.from(C.subarray(M * N))).toEqual(tail);
    });
  }

  it('a row of X·Wᵀ, of dZ·W and of dZᵀ·X does not depend on the other rows in the product (evaluation in any batch size gives the same scores)', () => {
    const rng = new Rng(11);
    const [M, N, K] = [37, 29, 250];
    for (const [tA, tB] of [[false, true], [false, false], [true, false]] as const) {
      const A = random(M * K, rng);
      const B = random(K * N, rng);
      const whole = new Float32Array(M * N);
      gemm(tA, tB, M, N, K, 1, A, B, 0, whole);
      for (const i of [0, 1, 17, 36]) {
        // Row i alone: op(A) restricted to row i.
        const Ai = tA ? Float32Array.from({ length: K }, (_, k) => A[k * M + i]) : A.slice(i * K, (i + 1) * K);
        const row = new Float32Array(N);
        gemm(false, tB, 1, N, K, 1, Ai, B, 0, row);
        expect(bitwiseEqual(row, whole.subarray(i * N, (i + 1) * N)), `transA=${tA} transB=${tB} row ${i}`).toBe(true);
      }
    }
  });

  it('affine(…) is bitwise gemm(false, true, …) followed by addRowVector, in float32 and float64', () => {
    const rng = new Rng(13);
    for (const [M, N, K] of [[1, 300, 250], [32, 300, 250], [37, 9, 300], [3, 7, 17]]) {
      const A = random(M * K, rng);
      const W = random(N * K, rng);
      const b = random(N, rng);
      const fused = new Float32Array(M * N).fill(Number.NaN);
      affine(M, N, K, A, W, b, fused);
      const twoSteps = new Float32Array(M * N);
      gemm(false, true, M, N, K, 1, A, W, 0, twoSteps);
      addRowVector(twoSteps, b, M, N);
      expect(bitwiseEqual(fused, twoSteps), `${M}×${N}×${K}`).toBe(true);
      const fused64 = new Float64Array(M * N);
      affine(M, N, K, Float64Array.from(A), Float64Array.from(W), Float64Array.from(b), fused64);
      const twoSteps64 = new Float64Array(M * N);
      gemmReference(false, true, M, N, K, 1, Float64Array.from(A), Float64Array.from(W), 0, twoSteps64);
      addRowVector(twoSteps64, Float64Array.from(b), M, N);
      expect(Array.from(fused64)).toEqual(Array.from(twoSteps64));
    }
  });

  it('float64 products always run the plain kernel (gradient checks): bitwise gemmReference', () => {
    const rng = new Rng(17);
    const [M, N, K] = [7, 33, 17];
    const A = Float64Array.from(random(M * K, rng));
    const B = Float64Array.from(random(N * K, rng));
    const C = new Float64Array(M * N);
    const R = new Float64Array(M * N);
    gemm(false, true, M, N, K, 0.5, A, B, 0, C);
    gemmReference(false, true, M, N, K, 0.5, A, B, 0, R);
    expect(Array.from(C)).toEqual(Array.from(R));
  });

  it("setKernelBackend('plain') makes float32 products bitwise gemmReference's, and 'wasm' brings the kernels back", () => {
    const rng = new Rng(19);
    const [M, N, K] = [32, 30, 25];
    const A = random(M * K, rng);
    const B = random(N * K, rng);
    setKernelBackend('plain');
    expect(kernelInfo().backend).toBe('plain');
    const C = new Float32Array(M * N);
    const R = new Float32Array(M * N);
    gemm(false, true, M, N, K, 1, A, B, 0, C);
    gemmReference(false, true, M, N, K, 1, A, B, 0, R);
    expect(bitwiseEqual(C, R)).toBe(true);
    setKernelBackend('wasm');
    expect(kernelInfo().backend).toBe('wasm');
  });
});

describe('the thread split', () => {
  // Split every large product, not only those the timing policy finds worth it.
  beforeAll(() => setKernelSplitting('always'));
  afterAll(() => setKernelSplitting('adaptive'));

  it('one thread starts no worker', () => {
    setKernelThreads(1);
    expect(kernelInfo().threads).toBe(1);
    expect(kernelInfo().helpers).toBe(0);
  });

  it('setKernelThreads rejects a count that is not a whole number ≥ 1', () => {
    expect(() => setKernelThreads(0)).toThrow(RangeError);
    expect(() => setKernelThreads(1.5)).toThrow(RangeError);
  });

  it('2 and 3 threads give bitwise the one-thread result for the model\'s shapes and odd ones, with alpha, beta and bias; helper threads really ran chunks', () => {
    const rng = new Rng(23);
    const shapes: [boolean, boolean, number, number, number, number, number][] = MODEL_SHAPES.map(([tA, tB, M, N, K, beta]) => [tA, tB, M, N, K, 1, beta]);
    shapes.push([false, true, 33, 301, 97, -0.5, 0.25], [false, false, 129, 67, 65, 2, -1], [true, false, 131, 257, 31, 1.5, 0.5], [false, true, 255, 17, 253, 1, 1]);
    const cases = shapes.map(([tA, tB, M, N, K, alpha, beta]) => {
      const A = random(M * K, rng);
      const B = random(K * N, rng);
      const C0 = random(M * N, rng);
      const bias = tB && !tA ? random(N, rng) : null;
      const run = (): Float32Array => {
        const C = C0.slice();
        if (bias) affine(M, N, K, A, B, bias, C);
        else gemm(tA, tB, M, N, K, alpha, A, B, beta, C);
        return C;
      };
      setKernelThreads(1);
      return { name: `${tA} ${tB} ${M}×${N}×${K}`, run, one: run() };
    });
    for (const threads of [2, 3]) {
      setKernelThreads(threads);
      expect(waitForKernelThreads(20_000)).toBe(true);
      expect(kernelInfo().helpers).toBe(threads - 1);
      const before = kernelInfo();
      // On a busy machine a helper may be slow to claim work; repeat until helpers have run
      // chunks (every repetition is checked, so none is wasted).
      for (let round = 0; round < 200; round++) {
        for (const c of cases) expect(bitwiseEqual(c.run(), c.one), `${threads} threads: ${c.name}`).toBe(true);
        if (kernelInfo().helped - before.helped >= 10) break;
      }
      const after = kernelInfo();
      expect(after.splits).toBeGreaterThan(before.splits);
      expect(after.helped).toBeGreaterThan(before.helped);
    }
  });

  it('back to one thread: the helpers leave and products stay correct', () => {
    setKernelThreads(2);
    expect(waitForKernelThreads(20_000)).toBe(true);
    setKernelThreads(1);
    expect(kernelInfo().helpers).toBe(0);
    const rng = new Rng(29);
    const A = random(64 * 250, rng);
    const B = random(300 * 250, rng);
    const C = new Float32Array(64 * 300);
    const splits = kernelInfo().splits;
    gemm(false, true, 64, 300, 250, 1, A, B, 0, C);
    expect(kernelInfo().splits).toBe(splits);
    expect(worstRelative(C, exact(false, true, 64, 300, 250, 1, A, B, 0, new Float32Array(64 * 300)))).toBeLessThanOrEqual(1e-5);
  });
});
