import { describe, expect, it } from 'vitest';
import { allocate, type DTypeName, type FloatArray } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import {
  fitPreprocessor,
  noPreprocessing,
  preprocessBackward,
  preprocessForward,
  preprocessKernel,
  type PreprocessKernel,
  type PreprocessMode,
  type Preprocessor,
} from '../../src/model/preprocess.js';

const MODES: PreprocessMode[] = ['none', 'center', 'standardize', 'whiten'];

/** N rows of x = M·z + offset, z standard normal: correlated dimensions with very different means and scales. */
function correlatedData(N: number, D: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const M = new Float64Array(D * D);
  // A dominant, growing diagonal keeps M well conditioned; the off-diagonal part correlates the dimensions.
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) M[i * D + j] = (i === j ? 1 + 0.5 * i : 0) + 0.6 * rng.normal();
  const offset = Array.from({ length: D }, () => rng.range(-20, 20));
  const X = new Float64Array(N * D);
  const z = new Float64Array(D);
  for (let r = 0; r < N; r++) {
    for (let k = 0; k < D; k++) z[k] = rng.normal();
    for (let i = 0; i < D; i++) {
      let s = offset[i];
      for (let k = 0; k < D; k++) s += M[i * D + k] * z[k];
      X[r * D + i] = s;
    }
  }
  return X;
}

/** Yields X in consecutive batches of the given sizes (cycled). */
function batchesOf(X: FloatArray, D: number, sizes: number[]): () => Iterable<{ X: FloatArray; B: number }> {
  const N = X.length / D;
  return function* () {
    let start = 0;
    for (let b = 0; start < N; b++) {
      const B = Math.min(sizes[b % sizes.length], N - start);
      yield { X: X.subarray(start * D, (start + B) * D), B };
      start += B;
    }
  };
}

function forward(k: PreprocessKernel, X: FloatArray, B: number): FloatArray {
  const dtype: DTypeName = X instanceof Float32Array ? 'float32' : 'float64';
  const out = allocate(dtype, B * k.D);
  preprocessForward(k, X, out, B, allocate(dtype, B * k.D));
  return out;
}

function backward(k: PreprocessKernel, dOut: FloatArray, B: number): FloatArray {
  const dX = allocate(dOut instanceof Float32Array ? 'float32' : 'float64', B * k.D);
  preprocessBackward(k, dOut, dX, B);
  return dX;
}

/** Column means and population covariance of an N×D matrix, in float64. */
function statistics(X: FloatArray, N: number, D: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(D);
  for (let r = 0; r < N; r++) for (let j = 0; j < D; j++) mean[j] += X[r * D + j];
  for (let j = 0; j < D; j++) mean[j] /= N;
  const cov = new Float64Array(D * D);
  for (let r = 0; r < N; r++) {
    for (let i = 0; i < D; i++) {
      const ci = X[r * D + i] - mean[i];
      for (let j = 0; j < D; j++) cov[i * D + j] += ci * (X[r * D + j] - mean[j]);
    }
  }
  for (let i = 0; i < D * D; i++) cov[i] /= N;
  return { mean, cov };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function randomArray(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

const N = 2000;
const D = 6;
const data = correlatedData(N, D, 42);
const fitted = new Map<PreprocessMode, Preprocessor>(MODES.map((mode) => [mode, fitPreprocessor(mode, D, batchesOf(data, D, [N]), 1e-9)]));
function fittedFor(mode: PreprocessMode): Preprocessor {
  const p = fitted.get(mode);
  if (p === undefined) throw new Error(`no preprocessor for ${mode}`);
  return p;
}

describe('fitPreprocessor / preprocessForward statistics', () => {
  it("'none' is the identity", () => {
    const p = fittedFor('none');
    expect(p.transform).toBeNull();
    expect(maxAbs(p.mean)).toBe(0);
    expect(Array.from(forward(preprocessKernel(p, 'float64'), data, N))).toEqual(Array.from(data));
  });

  it("'center' gives column means ≈ 0 and leaves the covariance alone", () => {
    const p = fittedFor('center');
    expect(p.transform).toBeNull();
    const out = forward(preprocessKernel(p, 'float64'), data, N);
    const before = statistics(data, N, D);
    const after = statistics(out, N, D);
    expect(maxAbs(after.mean)).toBeLessThan(1e-9);
    for (let i = 0; i < D * D; i++) expect(after.cov[i]).toBeCloseTo(before.cov[i], 9);
    for (let j = 0; j < D; j++) expect(p.mean[j]).toBeCloseTo(before.mean[j], 10);
  });

  it("'standardize' also gives per-dimension variance ≈ 1", () => {
    const p = fittedFor('standardize');
    expect(p.transform?.length).toBe(D);
    const { mean, cov } = statistics(forward(preprocessKernel(p, 'float64'), data, N), N, D);
    expect(maxAbs(mean)).toBeLessThan(1e-9);
    for (let j = 0; j < D; j++) expect(Math.abs(cov[j * D + j] - 1)).toBeLessThan(1e-3);
    // Correlations survive standardisation: the data was built to have them.
    let offDiagonal = 0;
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) if (i !== j) offDiagonal = Math.max(offDiagonal, Math.abs(cov[i * D + j]));
    expect(offDiagonal).toBeGreaterThan(0.1);
  });

  it("'whiten' gives covariance ≈ identity", () => {
    const p = fittedFor('whiten');
    expect(p.transform?.length).toBe(D * D);
    const { mean, cov } = statistics(forward(preprocessKernel(p, 'float64'), data, N), N, D);
    expect(maxAbs(mean)).toBeLessThan(1e-9);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) expect(Math.abs(cov[i * D + j] - (i === j ? 1 : 0))).toBeLessThan(1e-3);
  });

  it("'whiten' rows are eigenvectors of the covariance scaled by 1/√(λ + eps), largest λ first", () => {
    const eps = 0.5;
    const p = fitPreprocessor('whiten', D, batchesOf(data, D, [N]), eps);
    const A = p.transform;
    if (A === null) throw new Error('whiten has a transform');
    const { cov } = statistics(data, N, D);
    let previous = Number.POSITIVE_INFINITY;
    for (let i = 0; i < D; i++) {
      const row = A.subarray(i * D, (i + 1) * D);
      const scale = Math.sqrt(dot(row, row));
      const v = Array.from(row, (x) => x / scale);
      const Cv = Array.from({ length: D }, (_, r) => dot(cov.subarray(r * D, (r + 1) * D), v));
      const lambda = dot(v, Cv);
      for (let r = 0; r < D; r++) expect(Cv[r]).toBeCloseTo(lambda * v[r], 8);
      expect(scale).toBeCloseTo(1 / Math.sqrt(lambda + eps), 10);
      expect(lambda).toBeLessThanOrEqual(previous);
      previous = lambda;
    }
  });

  it("'whiten' is exact for widths and row counts that span several internal blocks", () => {
    // 70 dimensions and 600 rows: more than one gemm panel and chunk, each with a ragged last part.
    const wide = 70;
    const rows = 600;
    const X = correlatedData(rows, wide, 44);
    const p = fitPreprocessor('whiten', wide, batchesOf(X, wide, [97]), 1e-12);
    const { mean, cov } = statistics(forward(preprocessKernel(p, 'float64'), X, rows), rows, wide);
    expect(maxAbs(mean)).toBeLessThan(1e-9);
    let worst = 0;
    for (let i = 0; i < wide; i++) for (let j = 0; j < wide; j++) worst = Math.max(worst, Math.abs(cov[i * wide + j] - (i === j ? 1 : 0)));
    expect(worst).toBeLessThan(1e-6);
  });

  it('a constant input dimension gives finite output (eps guards the zero variance)', () => {
    const X = data.slice();
    for (let r = 0; r < N; r++) X[r * D + 2] = 7.25;
    for (const mode of MODES) {
      const p = fitPreprocessor(mode, D, batchesOf(X, D, [N]), 1e-5);
      for (const dtype of ['float32', 'float64'] as const) {
        const k = preprocessKernel(p, dtype);
        const input = allocate(dtype, N * D);
        input.set(X);
        const out = forward(k, input, N);
        expect(out.every(Number.isFinite)).toBe(true);
        expect(backward(k, out, N).every(Number.isFinite)).toBe(true);
      }
      if (mode === 'standardize') expect(p.transform?.[2]).toBeCloseTo(1 / Math.sqrt(1e-5), 6);
    }
  });

  it('inputs confined to a subspace (more dimensions than the data spans) whiten to finite values', () => {
    const wide = 9;
    const rows = 500;
    const X = new Float64Array(rows * wide);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < D; j++) X[r * wide + j] = data[r * D + j];
      X[r * wide + 6] = data[r * D] + data[r * D + 1];
      X[r * wide + 7] = -2 * data[r * D + 3];
      X[r * wide + 8] = 1;
    }
    const p = fitPreprocessor('whiten', wide, batchesOf(X, wide, [rows]), 1e-6);
    const { cov } = statistics(forward(preprocessKernel(p, 'float64'), X, rows), rows, wide);
    expect(cov.every(Number.isFinite)).toBe(true);
    // The six directions the data spans come out with unit variance, the three it does not with none.
    for (let i = 0; i < wide; i++) expect(cov[i * wide + i]).toBeCloseTo(i < D ? 1 : 0, 3);
  });
});

describe('preprocessBackward', () => {
  const B = 5;

  for (const mode of MODES) {
    it(`'${mode}': backward is the transpose of the linear part of forward`, () => {
      const rng = new Rng(7);
      const k = preprocessKernel(fittedFor(mode), 'float64');
      const v = randomArray(B * D, rng);
      const dOut = randomArray(B * D, rng);
      // forward(v) − forward(0) strips the shift −A·μ, leaving A·v.
      const Av = forward(k, v, B);
      const shift = forward(k, new Float64Array(B * D), B);
      for (let i = 0; i < Av.length; i++) Av[i] -= shift[i];
      const lhs = dot(dOut, Av);
      const rhs = dot(backward(k, dOut, B), v);
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    });

    it(`'${mode}': backward matches central differences of Σ sin(forward(X))`, () => {
      const rng = new Rng(8);
      const k = preprocessKernel(fittedFor(mode), 'float64');
      const X = data.slice(0, B * D);
      const loss = (input: Float64Array): number => {
        const out = forward(k, input, B);
        let s = 0;
        for (let i = 0; i < out.length; i++) s += Math.sin(out[i]);
        return s;
      };
      const out = forward(k, X, B);
      const dOut = Float64Array.from(out, Math.cos);
      const dX = backward(k, dOut, B);
      const h = 1e-5;
      for (let t = 0; t < 12; t++) {
        const i = rng.int(B * D);
        const plus = X.slice();
        const minus = X.slice();
        plus[i] += h;
        minus[i] -= h;
        const numeric = (loss(plus) - loss(minus)) / (2 * h);
        expect(Math.abs(numeric - dX[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(dX[i])));
      }
    });
  }
});

describe('dtypes, batching and aliasing', () => {
  it('the float32 kernel agrees with the float64 one to ~1e-5', () => {
    const rows = 64;
    const X32 = Float32Array.from(data.subarray(0, rows * D));
    const X64 = Float64Array.from(X32);
    const rng = new Rng(9);
    const dOut64 = randomArray(rows * D, rng);
    const dOut32 = Float32Array.from(dOut64);
    for (const mode of MODES) {
      const p = fittedFor(mode);
      const k32 = preprocessKernel(p, 'float32');
      const k64 = preprocessKernel(p, 'float64');
      expect(k32.mean).toBeInstanceOf(Float32Array);
      expect(k64.mean).toBeInstanceOf(Float64Array);
      if (p.transform !== null) expect(k32.transform).toBeInstanceOf(Float32Array);
      const y32 = forward(k32, X32, rows);
      const y64 = forward(k64, X64, rows);
      for (let i = 0; i < y64.length; i++) expect(Math.abs(y32[i] - y64[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(y64[i])));
      const g32 = backward(k32, dOut32, rows);
      const g64 = backward(k64, dOut64, rows);
      for (let i = 0; i < g64.length; i++) expect(Math.abs(g32[i] - g64[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(g64[i])));
    }
  });

  it('fitting on one batch or on differently split batches gives the same statistics', () => {
    // Splits cross the fitter's internal chunk boundaries at odd places.
    const big = correlatedData(1300, D, 43);
    const rows = big.length / D;
    for (const mode of MODES) {
      const whole = fitPreprocessor(mode, D, batchesOf(big, D, [rows]), 1e-6);
      for (const sizes of [[1], [7, 300, 1, 64], [255, 2, 513]]) {
        const split = fitPreprocessor(mode, D, batchesOf(big, D, sizes), 1e-6);
        for (let j = 0; j < D; j++) expect(Math.abs(split.mean[j] - whole.mean[j])).toBeLessThan(1e-12);
        if (whole.transform === null) {
          expect(split.transform).toBeNull();
          continue;
        }
        const t = split.transform;
        if (t === null) throw new Error('split fit lost its transform');
        for (let i = 0; i < t.length; i++) expect(Math.abs(t[i] - whole.transform[i])).toBeLessThan(1e-12);
      }
    }
  });

  it('accepts float32 batches', () => {
    const X32 = Float32Array.from(data);
    const p = fitPreprocessor('whiten', D, batchesOf(X32, D, [333]), 1e-9);
    const ref = fittedFor('whiten');
    for (let j = 0; j < D; j++) expect(p.mean[j]).toBeCloseTo(ref.mean[j], 4);
    const { cov } = statistics(forward(preprocessKernel(p, 'float64'), Float64Array.from(X32), N), N, D);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) expect(Math.abs(cov[i * D + j] - (i === j ? 1 : 0))).toBeLessThan(1e-3);
  });

  it('forward may write over its input in every mode', () => {
    const rows = 10;
    for (const mode of MODES) {
      const k = preprocessKernel(fittedFor(mode), 'float64');
      const X = data.slice(0, rows * D);
      const expected = forward(k, X, rows);
      preprocessForward(k, X, X, rows, new Float64Array(rows * D));
      expect(Array.from(X)).toEqual(Array.from(expected));
    }
  });

  it('uses only the first B rows of larger buffers', () => {
    const k = preprocessKernel(fittedFor('whiten'), 'float64');
    const rows = 3;
    const out = new Float64Array((rows + 2) * D).fill(99);
    preprocessForward(k, data, out, rows, new Float64Array((rows + 4) * D));
    expect(Array.from(out.subarray(0, rows * D))).toEqual(Array.from(forward(k, data.slice(0, rows * D), rows)));
    expect(Array.from(out.subarray(rows * D))).toEqual(new Array(2 * D).fill(99));
  });

  it('noPreprocessing(D) is the identity in both directions', () => {
    const p = noPreprocessing(D);
    expect(p.mode).toBe('none');
    expect(p.D).toBe(D);
    expect(p.transform).toBeNull();
    const k = preprocessKernel(p, 'float32');
    const X = Float32Array.from(data.subarray(0, 4 * D));
    expect(Array.from(forward(k, X, 4))).toEqual(Array.from(X));
    expect(Array.from(backward(k, X, 4))).toEqual(Array.from(X));
  });

  it('rejects what it cannot fit or apply', () => {
    const all = batchesOf(data, D, [N]);
    expect(() => fitPreprocessor('whiten', D, all, 0)).toThrow(RangeError);
    expect(() => fitPreprocessor('standardize', D, all, -1)).toThrow(RangeError);
    expect(() => fitPreprocessor('center', D, () => [], 1e-5)).toThrow(RangeError);
    expect(() => fitPreprocessor('center', D, () => [{ X: new Float64Array(5), B: 1 }], 1e-5)).toThrow(RangeError);
    let calls = 0;
    const shrinking = (): Iterable<{ X: FloatArray; B: number }> => [{ X: data, B: calls++ === 0 ? N : N - 1 }];
    expect(() => fitPreprocessor('whiten', D, shrinking, 1e-5)).toThrow(/same rows/);

    const k = preprocessKernel(fittedFor('whiten'), 'float64');
    const buffer = new Float64Array(4 * D);
    expect(() => preprocessForward(k, data, buffer, 4, buffer)).toThrow(RangeError);
    expect(() => preprocessForward(k, data, buffer, 4, new Float64Array(D))).toThrow(RangeError);
    expect(() => preprocessBackward(k, buffer, buffer, 4)).toThrow(RangeError);
    // Side-by-side views of one arena are fine.
    const arena = new Float64Array(8 * D);
    preprocessForward(k, data, arena.subarray(0, 4 * D), 4, arena.subarray(4 * D));
  });
});
