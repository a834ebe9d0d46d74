import { describe, expect, it } from 'vitest';
import { addColumnSums, addRowVector, gemm } from '../../src/math/gemm.js';
import { allocate, dtypeOf, type DTypeName, type FloatArray } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';

/** Element (r, c) of op(X), where X is stored row-major with `cols` columns. */
function at(X: ArrayLike<number>, trans: boolean, r: number, c: number, rows: number, cols: number): number {
  // op(X) = X: X is rows×cols, element (r, c) at r·cols + c.
  // op(X) = Xᵀ: X is stored cols×rows (op(X) is rows×cols), element (r, c) of Xᵀ is X[c, r] at c·rows + r.
  return trans ? X[c * rows + r] : X[r * cols + c];
}

/** The textbook triple loop in float64: C = alpha·op(A)·op(B) + beta·C. */
function naiveGemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: ArrayLike<number>, B: ArrayLike<number>, beta: number, C0: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += at(A, transA, i, k, M, K) * at(B, transB, k, j, K, N);
      out[i * N + j] = alpha * sum + (beta === 0 ? 0 : beta * C0[i * N + j]);
    }
  }
  return out;
}

function randomArray(dtype: DTypeName, n: number, rng: Rng): FloatArray {
  const a = allocate(dtype, n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-1, 1);
  return a;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

const SIZES = [1, 3, 7, 17];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('gemm against a naive triple loop', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    // float64 agrees to roundoff; float32 rounds every stored partial sum (K ≤ 17, |values| ≤ 17).
    const tol = dtype === 'float64' ? 1e-12 : 2e-5;
    for (const [transA, transB] of TRANSPOSES) {
      it(`${dtype} transA=${transA} transB=${transB}, all shapes from {1,3,7,17}³, several alpha/beta`, () => {
        const rng = new Rng(17 + Number(transA) * 2 + Number(transB));
        let cases = 0;
        for (const M of SIZES) {
          for (const N of SIZES) {
            for (const K of SIZES) {
              for (const [alpha, beta] of [[1, 0], [1, 1], [0.5, -2], [-1.5, 0.25]] as const) {
                const A = randomArray(dtype, M * K, rng);
                const B = randomArray(dtype, K * N, rng);
                const C = randomArray(dtype, M * N, rng);
                const expected = naiveGemm(transA, transB, M, N, K, alpha, A, B, beta, C);
                gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
                expect(dtypeOf(C)).toBe(dtype);
                expectClose(C, expected, tol);
                cases++;
              }
            }
          }
        }
        expect(cases).toBe(4 * 4 * 4 * 4);
      });
    }
  }

  it('hand-computed 2×2 products for every transpose combination', () => {
    // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]
    const A = Float64Array.of(1, 2, 3, 4);
    const B = Float64Array.of(5, 6, 7, 8);
    const run = (ta: boolean, tb: boolean): number[] => {
      const C = new Float64Array(4);
      gemm(ta, tb, 2, 2, 2, 1, A, B, 0, C);
      return Array.from(C);
    };
    // A·B = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19, 22], [43, 50]]
    expect(run(false, false)).toEqual([19, 22, 43, 50]);
    // A·Bᵀ = [[1·5+2·6, 1·7+2·8], [3·5+4·6, 3·7+4·8]] = [[17, 23], [39, 53]]
    expect(run(false, true)).toEqual([17, 23, 39, 53]);
    // Aᵀ·B = [[1·5+3·7, 1·6+3·8], [2·5+4·7, 2·6+4·8]] = [[26, 30], [38, 44]]
    expect(run(true, false)).toEqual([26, 30, 38, 44]);
    // Aᵀ·Bᵀ = [[1·5+3·6, 1·7+3·8], [2·5+4·6, 2·7+4·8]] = [[23, 31], [34, 46]]
    expect(run(true, true)).toEqual([23, 31, 34, 46]);
  });

  it('non-square hand case: (2×3)·(3×1) with alpha and beta', () => {
    // A = [[1, 0, -1], [2, 1, 0]], B = [1, 2, 3]ᵀ: A·B = [1 − 3, 2 + 2] = [−2, 4]
    // C = 2·[−2, 4] + 0.5·[10, 20] = [−4 + 5, 8 + 10] = [1, 18]
    const C = Float64Array.of(10, 20);
    gemm(false, false, 2, 1, 3, 2, Float64Array.of(1, 0, -1, 2, 1, 0), Float64Array.of(1, 2, 3), 0.5, C);
    expect(Array.from(C)).toEqual([1, 18]);
  });

  for (const [transA, transB] of TRANSPOSES) {
    it(`beta = 0 overwrites NaN/garbage in C (transA=${transA} transB=${transB}) and leaves C beyond M·N alone`, () => {
      const rng = new Rng(5);
      for (const dtype of ['float32', 'float64'] as const) {
        const M = 3;
        const N = 7;
        const K = 5;
        const A = randomArray(dtype, M * K, rng);
        const B = randomArray(dtype, K * N, rng);
        const C = allocate(dtype, M * N + 4);
        for (let i = 0; i < C.length; i++) C[i] = i % 3 === 0 ? Number.NaN : i % 3 === 1 ? Infinity : 1e30;
        const tail = Array.from(C.subarray(M * N));
        gemm(transA, transB, M, N, K, 1, A, B, 0, C);
        const expected = naiveGemm(transA, transB, M, N, K, 1, A, B, 0, new Float64Array(M * N));
        for (let i = 0; i < M * N; i++) expect(Number.isFinite(C[i])).toBe(true);
        expectClose(C.subarray(0, M * N), expected, dtype === 'float64' ? 1e-12 : 1e-5);
        expect(Array.from(C.subarray(M * N))).toEqual(tail);
      }
    });
  }

  it('alpha = 0 scales C by beta only', () => {
    const C = Float64Array.of(1, -2, 3, 4);
    gemm(false, false, 2, 2, 2, 0, Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 3, C);
    expect(Array.from(C)).toEqual([3, -6, 9, 12]);
  });

  it('beta = 1 accumulates: two calls give twice the product', () => {
    const rng = new Rng(9);
    const A = randomArray('float64', 7 * 3, rng);
    const B = randomArray('float64', 3 * 17, rng);
    const C = new Float64Array(7 * 17);
    gemm(false, false, 7, 17, 3, 1, A, B, 1, C);
    gemm(false, false, 7, 17, 3, 1, A, B, 1, C);
    const once = naiveGemm(false, false, 7, 17, 3, 1, A, B, 0, new Float64Array(7 * 17));
    expectClose(C, once.map((v) => 2 * v), 1e-12);
  });
});

describe('addRowVector / addColumnSums', () => {
  it('addRowVector adds the bias to every row', () => {
    // [[1, 2, 3], [4, 5, 6]] + [10, 20, 30] per row = [[11, 22, 33], [14, 25, 36]]
    const out = Float64Array.of(1, 2, 3, 4, 5, 6, 99);
    addRowVector(out, Float64Array.of(10, 20, 30), 2, 3);
    expect(Array.from(out)).toEqual([11, 22, 33, 14, 25, 36, 99]);
  });

  it('addColumnSums adds Σ_r M[r, j] into out', () => {
    // M = [[1, 2], [3, 4], [5, 6]]: column sums [9, 12]; out starts at [1, −1] → [10, 11]
    const out = Float32Array.of(1, -1);
    addColumnSums(out, Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2);
    expect(Array.from(out)).toEqual([10, 11]);
  });

  it('both agree with naive loops on random odd shapes', () => {
    const rng = new Rng(3);
    for (const rows of SIZES) {
      for (const cols of SIZES) {
        const m = randomArray('float64', rows * cols, rng);
        const bias = randomArray('float64', cols, rng);
        const withBias = Float64Array.from(m);
        addRowVector(withBias, bias, rows, cols);
        const sums = Float64Array.from(bias);
        addColumnSums(sums, m, rows, cols);
        for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) expect(withBias[r * cols + j]).toBe(m[r * cols + j] + bias[j]);
        for (let j = 0; j < cols; j++) {
          let s = bias[j];
          for (let r = 0; r < rows; r++) s += m[r * cols + j];
          expect(sums[j]).toBeCloseTo(s, 12);
        }
      }
    }
  });
});
