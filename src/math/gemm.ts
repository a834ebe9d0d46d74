import { columnSumsInKernels } from './kernels/elementwise.js';
import { activeWasmGemm } from './kernels/wasm-gemm.js';
import type { FloatArray } from './matrix.js';

export { kernelInfo, setKernelBackend, setKernelSplitting, setKernelThreads, waitForKernelThreads, type KernelBackend, type KernelInfo } from './kernels/wasm-gemm.js';

/**
 * C = alpha·op(A)·op(B) + beta·C, row-major, where op(X) is X or Xᵀ.
 * op(A) is M×K, op(B) is K×N, C is M×N. C must not alias A or B.
 *
 * One flagged call covers every product of the forward and backward passes
 * (X·Wᵀ, dZ·W, dZᵀ·X), so no transposed copy is ever made.
 *
 * Float32 products run on the WebAssembly SIMD kernels (src/math/kernels/) when they are
 * available, possibly split across threads (setKernelThreads); everything else (float64
 * for gradient checks, AᵀBᵀ, a runtime without the kernels) runs gemmReference.
 */
export function gemm(
  transA: boolean, transB: boolean,
  M: number, N: number, K: number,
  alpha: number, A: FloatArray, B: FloatArray,
  beta: number, C: FloatArray,
): void {
  if (C instanceof Float32Array && A instanceof Float32Array && B instanceof Float32Array && M > 0 && N > 0 && K > 0) {
    const wasm = activeWasmGemm();
    if (wasm && wasm.gemm(transA, transB, M, N, K, alpha, A, B, beta, C, null)) return;
  }
  gemmReference(transA, transB, M, N, K, alpha, A, B, beta, C);
}

/**
 * C = A·Wᵀ + 1·biasᵀ: the affine layer (A is M×K, W is N×K, bias has N entries, C is M×N).
 * The same arithmetic as gemm(false, true, …, 1, A, W, 0, C) followed by
 * addRowVector(C, bias, M, N); the SIMD kernel adds the bias as it writes C.
 */
export function affine(M: number, N: number, K: number, A: FloatArray, W: FloatArray, bias: FloatArray, C: FloatArray): void {
  if (C instanceof Float32Array && A instanceof Float32Array && W instanceof Float32Array && bias instanceof Float32Array && M > 0 && N > 0 && K > 0) {
    const wasm = activeWasmGemm();
    if (wasm && wasm.gemm(false, true, M, N, K, 1, A, W, 0, C, bias)) return;
  }
  gemm(false, true, M, N, K, 1, A, W, 0, C);
  addRowVector(C, bias, M, N);
}

/**
 * The plain TypeScript kernel: the fallback, and the oracle the faster kernels are
 * tested against. The loop orders keep the innermost loop running along contiguous
 * memory of both operands where possible.
 */
export function gemmReference(
  transA: boolean, transB: boolean,
  M: number, N: number, K: number,
  alpha: number, A: FloatArray, B: FloatArray,
  beta: number, C: FloatArray,
): void {
  if (beta !== 1) {
    const size = M * N;
    if (beta === 0) C.fill(0, 0, size);
    else for (let i = 0; i < size; i++) C[i] *= beta;
  }
  if (!transA && !transB) gemmNN(M, N, K, alpha, A, B, C);
  else if (!transA && transB) gemmNT(M, N, K, alpha, A, B, C);
  else if (transA && !transB) gemmTN(M, N, K, alpha, A, B, C);
  else gemmTT(M, N, K, alpha, A, B, C);
}

// A: M×K, B: K×N. Row i of C accumulates rows of B scaled by A[i,k]: contiguous in B and C.
function gemmNN(M: number, N: number, K: number, alpha: number, A: FloatArray, B: FloatArray, C: FloatArray): void {
  for (let i = 0; i < M; i++) {
    const cRow = i * N;
    for (let k = 0; k < K; k++) {
      const a = alpha * A[i * K + k];
      if (a !== 0) axpy(C, cRow, a, B, k * N, N);
    }
  }
}

// A: M×K, B: N×K. Each C[i,j] is a dot product of two contiguous rows.
function gemmNT(M: number, N: number, K: number, alpha: number, A: FloatArray, B: FloatArray, C: FloatArray): void {
  for (let i = 0; i < M; i++) {
    const aRow = i * K;
    for (let j = 0; j < N; j++) C[i * N + j] += alpha * dot(A, aRow, B, j * K, K);
  }
}

// A: K×M, B: K×N. Outer products of row k of A and row k of B, accumulated.
function gemmTN(M: number, N: number, K: number, alpha: number, A: FloatArray, B: FloatArray, C: FloatArray): void {
  for (let k = 0; k < K; k++) {
    const aRow = k * M;
    const bRow = k * N;
    for (let i = 0; i < M; i++) {
      const a = alpha * A[aRow + i];
      if (a !== 0) axpy(C, i * N, a, B, bRow, N);
    }
  }
}

// A: K×M, B: N×K. Rare; kept simple.
function gemmTT(M: number, N: number, K: number, alpha: number, A: FloatArray, B: FloatArray, C: FloatArray): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += A[k * M + i] * B[j * K + k];
      C[i * N + j] += alpha * sum;
    }
  }
}

/**
 * Σ x[xo+i]·y[yo+i] for i < n. Four independent partial sums let the CPU overlap the
 * multiply-adds instead of waiting on one running total.
 */
function dot(x: FloatArray, xo: number, y: FloatArray, yo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += x[xo + i] * y[yo + i];
    s1 += x[xo + i + 1] * y[yo + i + 1];
    s2 += x[xo + i + 2] * y[yo + i + 2];
    s3 += x[xo + i + 3] * y[yo + i + 3];
  }
  for (; i < n; i++) s0 += x[xo + i] * y[yo + i];
  return s0 + s1 + (s2 + s3);
}

/** out[oo+i] += a·x[xo+i] for i < n, unrolled by four. */
function axpy(out: FloatArray, oo: number, a: number, x: FloatArray, xo: number, n: number): void {
  let i = 0;
  for (; i + 3 < n; i += 4) {
    out[oo + i] += a * x[xo + i];
    out[oo + i + 1] += a * x[xo + i + 1];
    out[oo + i + 2] += a * x[xo + i + 2];
    out[oo + i + 3] += a * x[xo + i + 3];
  }
  for (; i < n; i++) out[oo + i] += a * x[xo + i];
}

/** out[r, :] += bias for each of the `rows` rows of an rows×cols matrix. */
export function addRowVector(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[o + j] += bias[j];
  }
}

/** out[j] += Σ_r M[r, j]: the gradient of a bias broadcast over rows. */
export function addColumnSums(out: FloatArray, m: FloatArray, rows: number, cols: number): void {
  if (out instanceof Float32Array && m instanceof Float32Array && columnSumsInKernels(out, m, rows, cols)) return;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[j] += m[o + j];
  }
}
