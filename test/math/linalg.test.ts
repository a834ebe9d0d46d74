import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/math/linalg.js';
import { Rng } from '../../src/math/random.js';

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rng.normal();
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  }
  return A;
}

/** A random orthogonal matrix: Gram–Schmidt on the columns of a Gaussian matrix. */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) Q[i] = rng.normal();
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += Q[r * n + c] * Q[r * n + p];
        for (let r = 0; r < n; r++) Q[r * n + c] -= d * Q[r * n + p];
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += Q[r * n + c] ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < n; r++) Q[r * n + c] /= norm;
  }
  return Q;
}

/** Q·diag(values)·Qᵀ. */
function compose(Q: Float64Array, values: ArrayLike<number>, n: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Q[i * n + k] * values[k] * Q[j * n + k];
      A[i * n + j] = s;
    }
  }
  return A;
}

function frobenius(A: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i] * A[i];
  return Math.sqrt(s);
}

/** ‖A − VΛVᵀ‖_F / ‖A‖_F and ‖VᵀV − I‖_F. */
function residuals(A: Float64Array, n: number): { reconstruction: number; orthogonality: number; values: Float64Array; vectors: Float64Array } {
  const { values, vectors } = symmetricEigen(A, n);
  expect(values.length).toBe(n);
  expect(vectors.length).toBe(n * n);
  const back = compose(vectors, values, n);
  let diff = 0;
  for (let i = 0; i < n * n; i++) diff += (back[i] - A[i]) ** 2;
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[k * n + i] * vectors[k * n + j];
      orth += (s - (i === j ? 1 : 0)) ** 2;
    }
  }
  const norm = frobenius(A);
  return { reconstruction: Math.sqrt(diff) / (norm === 0 ? 1 : norm), orthogonality: Math.sqrt(orth), values, vectors };
}

function expectDescending(values: Float64Array): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
}

/** Column j of V equals ±expected (eigenvectors are determined only up to sign). */
function expectColumnUpToSign(vectors: Float64Array, n: number, j: number, expected: number[]): void {
  const sign = Math.sign(vectors[expected.findIndex((v) => v !== 0) * n + j]);
  for (let i = 0; i < n; i++) expect(vectors[i * n + j]).toBeCloseTo(sign * expected[i], 12);
}

describe('symmetricEigen', () => {
  it('solves [[2, 1], [1, 2]] by hand: 3 along (1, 1)/√2, 1 along (1, −1)/√2', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    const h = Math.SQRT1_2;
    expectColumnUpToSign(vectors, 2, 0, [h, h]);
    expectColumnUpToSign(vectors, 2, 1, [h, -h]);
  });

  it('returns the entries of a diagonal matrix, sorted, with unit vectors', () => {
    const n = 5;
    const diag = [1, 5, -2, 3, 0];
    const A = new Float64Array(n * n);
    diag.forEach((v, i) => (A[i * n + i] = v));
    const { values, vectors } = symmetricEigen(A, n);
    expect(Array.from(values)).toEqual([5, 3, 1, 0, -2]);
    const order = [1, 3, 0, 4, 2];
    order.forEach((src, j) => expectColumnUpToSign(vectors, n, j, Array.from({ length: n }, (_, i) => (i === src ? 1 : 0))));
  });

  it('handles repeated eigenvalues (an orthonormal basis of each eigenspace)', () => {
    const n = 6;
    const rng = new Rng(11);
    const Q = randomOrthogonal(n, rng);
    const spectrum = [4, 4, 4, 1, 1, -2];
    const A = compose(Q, spectrum, n);
    const { reconstruction, orthogonality, values } = residuals(A, n);
    for (let i = 0; i < n; i++) expect(values[i]).toBeCloseTo(spectrum[i], 12);
    expect(reconstruction).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-12);

    const identity = new Float64Array(n * n);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    const eye = residuals(identity, n);
    expect(Array.from(eye.values)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(eye.orthogonality).toBe(0);
  });

  it('matches the closed form of the path-graph matrix (zero diagonal, ones beside it)', () => {
    // Eigenvalues 2·cos(kπ/(n+1)), k = 1..n: a zero diagonal gives QR no head start.
    const n = 30;
    const A = new Float64Array(n * n);
    for (let i = 0; i + 1 < n; i++) {
      A[i * n + i + 1] = 1;
      A[(i + 1) * n + i] = 1;
    }
    const { values, reconstruction, orthogonality } = residuals(A, n);
    for (let k = 1; k <= n; k++) expect(values[k - 1]).toBeCloseTo(2 * Math.cos((k * Math.PI) / (n + 1)), 12);
    expect(reconstruction).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-12);
  });

  for (const n of [1, 2, 7, 50, 120]) {
    it(`decomposes a random symmetric ${n}×${n} matrix: ‖A − VΛVᵀ‖ and ‖VᵀV − I‖ below 1e-10`, () => {
      const rng = new Rng(1000 + n);
      const A = randomSymmetric(n, rng);
      const copy = A.slice();
      const { reconstruction, orthogonality, values } = residuals(A, n);
      expect(reconstruction).toBeLessThan(1e-10);
      expect(orthogonality).toBeLessThan(1e-10);
      expectDescending(values);
      let trace = 0;
      for (let i = 0; i < n; i++) trace += A[i * n + i];
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 9);
      expect(A).toEqual(copy);
    });
  }

  it('gives ≈ 0 for the null space of a rank-deficient PSD matrix', () => {
    const n = 20;
    const rank = 5;
    const rng = new Rng(5);
    const G = new Float64Array(n * rank);
    for (let i = 0; i < G.length; i++) G[i] = rng.normal();
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < rank; k++) s += G[i * rank + k] * G[j * rank + k];
        A[i * n + j] = s;
      }
    }
    const { values, reconstruction, orthogonality } = residuals(A, n);
    expect(reconstruction).toBeLessThan(1e-12);
    expect(orthogonality).toBeLessThan(1e-12);
    for (let i = 0; i < rank; i++) expect(values[i]).toBeGreaterThan(1e-3);
    for (let i = rank; i < n; i++) expect(Math.abs(values[i])).toBeLessThan(1e-12 * values[0]);
  });

  it('decomposes only the symmetric part, and fixes each vector’s sign', () => {
    const A = Float64Array.from([2, 1.5, 0.5, 2]);
    const sym = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    const { values, vectors } = symmetricEigen(A, 2);
    expect(Array.from(values)).toEqual(Array.from(sym.values));
    expect(Array.from(vectors)).toEqual(Array.from(sym.vectors));

    const rng = new Rng(3);
    const n = 9;
    const { vectors: V } = symmetricEigen(randomSymmetric(n, rng), n);
    for (let j = 0; j < n; j++) {
      let big = 0;
      for (let i = 0; i < n; i++) if (Math.abs(V[i * n + j]) > Math.abs(big)) big = V[i * n + j];
      expect(big).toBeGreaterThan(0);
    }
  });

  it('handles the empty and zero matrices, and rejects bad input', () => {
    expect(symmetricEigen(new Float64Array(0), 0).values.length).toBe(0);
    const zero = symmetricEigen(new Float64Array(16), 4);
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0]);
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(RangeError);
    expect(() => symmetricEigen(Float64Array.from([1, Number.NaN, Number.NaN, 1]), 2)).toThrow(RangeError);
  });
});
