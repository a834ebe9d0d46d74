import { gemm } from '../math/gemm.js';
import { symmetricEigen } from '../math/linalg.js';
import { allocate, type DTypeName, type FloatArray } from '../math/matrix.js';

/**
 * Input preprocessing for the window scorer: a fixed affine map x' = A(x − μ) in front of W.
 * The statistics are fitted once on training inputs and never trained, so the forward pass
 * is a cheap elementwise op (center, standardize) or one gemm (whiten), and the backward pass
 * only has to carry gradients through to the embeddings.
 */
export type PreprocessMode = 'none' | 'center' | 'standardize' | 'whiten';

/** A fixed affine map x' = A(x − μ) in front of W, fitted on training inputs only. */
export interface Preprocessor {
  readonly mode: PreprocessMode;
  readonly D: number;
  /** μ, length D (zeros for 'none'). */
  readonly mean: Float64Array;
  /**
   * 'standardize': length D, the per-dimension 1/√(var + eps); 'whiten': D×D row-major
   * A = diag(1/√(λ+eps))·Vᵀ (PCA whitening, rows are scaled eigenvectors, largest λ first);
   * null for 'none' and 'center'.
   */
  readonly transform: Float64Array | null;
  /**
   * Added to every variance / eigenvalue before the square root: a constant input dimension
   * or a direction the data never moves in would otherwise be scaled by 1/0.
   */
  readonly eps: number;
}

/** Runtime form in the model's dtype: copies of mean and transform as Float32Array or Float64Array. */
export interface PreprocessKernel {
  readonly mode: PreprocessMode;
  readonly D: number;
  readonly mean: FloatArray;
  readonly transform: FloatArray | null;
}

/** Identity preprocessor for D inputs. */
export function noPreprocessing(D: number): Preprocessor {
  checkDimension(D);
  return { mode: 'none', D, mean: new Float64Array(D), transform: null, eps: 0 };
}

/**
 * Fits from batches of rows: each call of `batches` yields (X, B) with X at least B×D row-major.
 *
 * Accumulates in float64 over two passes (`batches` is called twice for 'standardize' and
 * 'whiten', once for 'center', never for 'none'): first the mean, then the population (÷N) second moments of x − μ.
 * The second pass also sums x − μ itself and subtracts its outer product / N (the corrected
 * two-pass algorithm): that sum would be zero in exact arithmetic, and subtracting it removes
 * most of the rounding error the first pass left in μ. For 'whiten' the D×D sum runs through
 * gemm (see GramAccumulator), since with D ≈ 500 and tens of thousands of rows it is the
 * dominant cost of fitting.
 */
export function fitPreprocessor(
  mode: PreprocessMode,
  D: number,
  batches: () => Iterable<{ X: FloatArray; B: number }>,
  eps: number,
): Preprocessor {
  checkDimension(D);
  if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`fitPreprocessor: eps must be a finite number ≥ 0, got ${eps}`);
  if ((mode === 'standardize' || mode === 'whiten') && eps === 0) {
    throw new RangeError(`fitPreprocessor: mode '${mode}' needs eps > 0 to guard zero-variance directions`);
  }
  if (mode === 'none') return { mode, D, mean: new Float64Array(D), transform: null, eps };

  const mean = new Float64Array(D);
  let N = 0;
  for (const { X, B } of batches()) {
    checkBatch(X, B, D);
    for (let r = 0; r < B; r++) {
      const o = r * D;
      for (let j = 0; j < D; j++) mean[j] += X[o + j];
    }
    N += B;
  }
  if (N === 0) throw new RangeError('fitPreprocessor: no input rows to fit on');
  for (let j = 0; j < D; j++) mean[j] /= N;
  for (let j = 0; j < D; j++) {
    if (!Number.isFinite(mean[j])) throw new RangeError(`fitPreprocessor: input dimension ${j} has a non-finite value`);
  }
  if (mode === 'center') return { mode, D, mean, transform: null, eps };

  const residualSum = new Float64Array(D);
  if (mode === 'standardize') {
    const sq = new Float64Array(D);
    let seen = 0;
    for (const { X, B } of batches()) {
      checkBatch(X, B, D);
      for (let r = 0; r < B; r++) {
        const o = r * D;
        for (let j = 0; j < D; j++) {
          const c = X[o + j] - mean[j];
          residualSum[j] += c;
          sq[j] += c * c;
        }
      }
      seen += B;
    }
    checkSameRows(N, seen);
    const transform = new Float64Array(D);
    for (let j = 0; j < D; j++) {
      const variance = Math.max(0, (sq[j] - (residualSum[j] * residualSum[j]) / N) / N);
      transform[j] = 1 / Math.sqrt(variance + eps);
    }
    return { mode, D, mean, transform, eps };
  }

  const gram = new GramAccumulator(D);
  let seen = 0;
  for (const { X, B } of batches()) {
    checkBatch(X, B, D);
    for (let r = 0; r < B; r++) gram.addRow(X, r * D, mean, residualSum);
    seen += B;
  }
  checkSameRows(N, seen);
  const cov = gram.finish();
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) cov[i * D + j] = (cov[i * D + j] - (residualSum[i] * residualSum[j]) / N) / N;
  }

  const { values, vectors } = symmetricEigen(cov, D);
  const transform = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    // A covariance is PSD; eigenvalues a hair below zero are rounding, not directions with negative variance.
    const scale = 1 / Math.sqrt(Math.max(0, values[i]) + eps);
    for (let j = 0; j < D; j++) transform[i * D + j] = scale * vectors[j * D + i];
  }
  return { mode, D, mean, transform, eps };
}

/** Rows of x − μ gathered per chunk before they go through gemm (D×256 float64 ≈ 1 MB for D ≈ 500; longer dot products amortise gemm's per-entry overhead). */
const GRAM_CHUNK = 256;
/** Rows of C per gemm call in the upper-triangle sweep. */
const GRAM_PANEL = 64;

/**
 * Σ (x − μ)(x − μ)ᵀ over rows, via gemm.
 *
 * Rows are copied, centred and transposed, into a fixed D×GRAM_CHUNK buffer; a full buffer
 * becomes one block of gemm calls. Two choices make this about twice as fast as one
 * Xcᵀ·Xc call per caller batch: only the panels on and above the diagonal are computed
 * (the sum is symmetric), and with the chunk stored transposed each panel is one
 * gemm(NT) over contiguous rows. Chunk boundaries fall at fixed row counts, so the
 * summation order, and hence the result bit for bit, does not depend on how the caller
 * splits its rows into batches.
 */
class GramAccumulator {
  private readonly chunk: Float64Array;
  /** Panel p holds rows p·GRAM_PANEL.. of the sum, columns from p·GRAM_PANEL to D − 1. */
  private readonly panels: Float64Array[] = [];
  private filled = 0;

  constructor(private readonly D: number) {
    this.chunk = new Float64Array(D * GRAM_CHUNK);
    for (let i0 = 0; i0 < D; i0 += GRAM_PANEL) this.panels.push(new Float64Array(Math.min(GRAM_PANEL, D - i0) * (D - i0)));
  }

  /** Adds row X[o..o+D) centred on `mean`, and adds the centred row to `residualSum`. */
  addRow(X: FloatArray, o: number, mean: Float64Array, residualSum: Float64Array): void {
    const D = this.D;
    const chunk = this.chunk;
    const col = this.filled;
    for (let j = 0; j < D; j++) {
      const c = X[o + j] - mean[j];
      chunk[j * GRAM_CHUNK + col] = c;
      residualSum[j] += c;
    }
    if (++this.filled === GRAM_CHUNK) this.flush();
  }

  /** The full symmetric D×D sum. */
  finish(): Float64Array {
    if (this.filled > 0) {
      // Zero columns contribute exactly nothing, so a partial chunk runs as a full one.
      for (let j = 0; j < this.D; j++) this.chunk.fill(0, j * GRAM_CHUNK + this.filled, (j + 1) * GRAM_CHUNK);
      this.flush();
    }
    const D = this.D;
    const sum = new Float64Array(D * D);
    this.panels.forEach((panel, p) => {
      const i0 = p * GRAM_PANEL;
      const width = D - i0;
      const rows = Math.min(GRAM_PANEL, width);
      for (let i = 0; i < rows; i++) {
        for (let j = i; j < width; j++) {
          const v = panel[i * width + j];
          sum[(i0 + i) * D + i0 + j] = v;
          sum[(i0 + j) * D + i0 + i] = v;
        }
      }
    });
    return sum;
  }

  private flush(): void {
    const D = this.D;
    this.panels.forEach((panel, p) => {
      const i0 = p * GRAM_PANEL;
      const rows = Math.min(GRAM_PANEL, D - i0);
      const tail = this.chunk.subarray(i0 * GRAM_CHUNK);
      gemm(false, true, rows, D - i0, GRAM_CHUNK, 1, tail, tail, 1, panel);
    });
    this.filled = 0;
  }
}

/** Runtime form in the model's dtype: copies of mean and transform as Float32Array or Float64Array. */
export function preprocessKernel(p: Preprocessor, dtype: DTypeName): PreprocessKernel {
  const mean = allocate(dtype, p.D);
  mean.set(p.mean);
  let transform: FloatArray | null = null;
  if (p.transform !== null) {
    transform = allocate(dtype, p.transform.length);
    transform.set(p.transform);
  }
  return { mode: p.mode, D: p.D, mean, transform };
}

/**
 * out (B×D) = A(x − μ) for each row x of X (B×D). For 'whiten', out = (X − μ)·Aᵀ through gemm,
 * with X − μ written to `scratch` (length ≥ B·D, not aliasing `out`) so that the hot path
 * allocates nothing. `out` may be X itself in every mode: X is read completely (into scratch
 * for 'whiten') before out is written.
 */
export function preprocessForward(k: PreprocessKernel, X: FloatArray, out: FloatArray, B: number, scratch: FloatArray): void {
  const D = k.D;
  const size = B * D;
  checkRows('preprocessForward', 'X', X, size);
  checkRows('preprocessForward', 'out', out, size);
  const mean = k.mean;
  switch (k.mode) {
    case 'none':
      if (out !== X) out.set(X.subarray(0, size));
      return;
    case 'center':
      for (let r = 0; r < B; r++) {
        const o = r * D;
        for (let j = 0; j < D; j++) out[o + j] = X[o + j] - mean[j];
      }
      return;
    case 'standardize': {
      const scale = requireTransform(k);
      for (let r = 0; r < B; r++) {
        const o = r * D;
        for (let j = 0; j < D; j++) out[o + j] = (X[o + j] - mean[j]) * scale[j];
      }
      return;
    }
    case 'whiten': {
      const A = requireTransform(k);
      checkRows('preprocessForward', 'scratch', scratch, size);
      if (overlaps(scratch, out, size)) throw new RangeError('preprocessForward: scratch must not share memory with out');
      for (let r = 0; r < B; r++) {
        const o = r * D;
        for (let j = 0; j < D; j++) scratch[o + j] = X[o + j] - mean[j];
      }
      gemm(false, true, B, D, D, 1, scratch, A, 0, out);
      return;
    }
  }
}

/**
 * Backward of the same map, overwriting dX (B×D): dOut·A (whiten), dOut ⊙ scale (standardize),
 * dOut (none, center — the mean shift has no gradient). For 'whiten' dX must not share memory
 * with dOut (gemm reads dOut while writing dX); the other modes allow dX = dOut.
 */
export function preprocessBackward(k: PreprocessKernel, dOut: FloatArray, dX: FloatArray, B: number): void {
  const D = k.D;
  const size = B * D;
  checkRows('preprocessBackward', 'dOut', dOut, size);
  checkRows('preprocessBackward', 'dX', dX, size);
  switch (k.mode) {
    case 'none':
    case 'center':
      if (dX !== dOut) dX.set(dOut.subarray(0, size));
      return;
    case 'standardize': {
      const scale = requireTransform(k);
      for (let r = 0; r < B; r++) {
        const o = r * D;
        for (let j = 0; j < D; j++) dX[o + j] = dOut[o + j] * scale[j];
      }
      return;
    }
    case 'whiten': {
      const A = requireTransform(k);
      if (overlaps(dX, dOut, size)) throw new RangeError('preprocessBackward: dX must not share memory with dOut in whiten mode');
      gemm(false, false, B, D, D, 1, dOut, A, 0, dX);
      return;
    }
  }
}

function requireTransform(k: PreprocessKernel): FloatArray {
  const expected = k.mode === 'whiten' ? k.D * k.D : k.D;
  if (k.transform === null || k.transform.length !== expected) {
    throw new RangeError(`preprocess: mode '${k.mode}' needs a transform of length ${expected}`);
  }
  return k.transform;
}

function checkDimension(D: number): void {
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`preprocess: D must be a positive integer, got ${D}`);
}

function checkBatch(X: FloatArray, B: number, D: number): void {
  if (!Number.isInteger(B) || B < 0) throw new RangeError(`fitPreprocessor: batch size must be a non-negative integer, got ${B}`);
  if (X.length < B * D) throw new RangeError(`fitPreprocessor: batch of ${B} rows needs ${B * D} values, got ${X.length}`);
}

function checkSameRows(first: number, second: number): void {
  // Both passes must see the same rows, or μ would not be the mean the second pass centres on.
  if (first !== second) throw new RangeError(`fitPreprocessor: batches yielded ${first} rows, then ${second}; they must yield the same rows each time`);
}

/** Whether the first `size` elements of a and b share any bytes (views of one arena may sit side by side). */
function overlaps(a: FloatArray, b: FloatArray, size: number): boolean {
  if (a.buffer !== b.buffer || size === 0) return false;
  const aEnd = a.byteOffset + size * a.BYTES_PER_ELEMENT;
  const bEnd = b.byteOffset + size * b.BYTES_PER_ELEMENT;
  return a.byteOffset < bEnd && b.byteOffset < aEnd;
}

function checkRows(fn: string, name: string, a: FloatArray, size: number): void {
  if (a.length < size) throw new RangeError(`${fn}: ${name} has ${a.length} values, need ${size}`);
}
