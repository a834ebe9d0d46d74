/**
 * Dense symmetric eigen-decomposition in float64, for PCA whitening of the window inputs.
 *
 * Two stages: Householder reflections reduce A to a tridiagonal T = Qᵀ·A·Q, then implicit
 * QR sweeps with Wilkinson shifts (Givens rotations chasing a bulge down T) drive T to
 * diagonal form. Every orthogonal transform is also applied to an accumulated basis, so
 * its rows end up as the eigenvectors. The basis is kept transposed (eigenvectors as rows)
 * while working because each Givens rotation then mixes two contiguous rows rather than
 * two strided columns, which is what makes n ≈ 500 take a fraction of a second.
 */

const EPSILON = 2 ** -52;

export interface SymmetricEigen {
  /** Eigenvalues, sorted descending. */
  values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j], its largest-magnitude entry positive. */
  vectors: Float64Array;
}

/**
 * A = V·diag(λ)·Vᵀ for a symmetric n×n row-major A (not modified). Only the symmetric part
 * (A + Aᵀ)/2 is decomposed, so rounding noise that breaks exact symmetry is harmless.
 */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`symmetricEigen: n must be a non-negative integer, got ${n}`);
  if (A.length < n * n) throw new RangeError(`symmetricEigen: A has ${A.length} entries, need ${n * n}`);
  const work = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) work[i * n + j] = 0.5 * (A[i * n + j] + A[j * n + i]);
  }
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(work[i])) throw new RangeError('symmetricEigen: A has a non-finite entry');
  }

  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const basis = tridiagonalize(work, n, diag, off);
  diagonalizeTridiagonal(diag, off, basis, n);

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => diag[b] - diag[a]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src = order[j];
    values[j] = diag[src];
    // Fix the arbitrary sign (largest-magnitude component positive) so that nearby matrices,
    // e.g. the same statistics from float32 and float64 inputs, give nearby eigenvectors.
    let big = 0;
    for (let i = 1; i < n; i++) if (Math.abs(basis[src * n + i]) > Math.abs(basis[src * n + big])) big = i;
    const sign = basis[src * n + big] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + j] = sign * basis[src * n + i];
  }
  return { values, vectors };
}

/**
 * Reduces the symmetric `a` (overwritten) to tridiagonal form and returns Qᵀ (n×n row-major)
 * with Qᵀ·A·Q = T, T having diagonal `diag` and sub/super-diagonal off[0..n-2].
 *
 * Step k reflects the part of column k below the sub-diagonal onto its first entry with
 * H = I − β·v·vᵀ. Because a is symmetric, column k is read as row k (contiguous), and the
 * two-sided update H·A₂₂·H is the rank-2 form A₂₂ − v·qᵀ − q·vᵀ with p = β·A₂₂·v and
 * q = p − (β·vᵀp/2)·v, which costs one matrix–vector product instead of two matrix products.
 */
function tridiagonalize(a: Float64Array, n: number, diag: Float64Array, off: Float64Array): Float64Array {
  const betas = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    const row = k * n;
    const start = k + 1;
    // Scale before squaring so entries near the float64 range neither overflow nor underflow.
    let scale = 0;
    for (let j = start; j < n; j++) scale = Math.max(scale, Math.abs(a[row + j]));
    let tailSq = 0;
    if (scale > 0) {
      for (let j = start + 1; j < n; j++) {
        const t = a[row + j] / scale;
        tailSq += t * t;
      }
    }
    const x0 = a[row + start];
    if (tailSq === 0) {
      // Already tridiagonal in this column: the reflection would be the identity.
      betas[k] = 0;
      diag[k] = a[row + k];
      off[k] = x0;
      continue;
    }
    const head = x0 / scale;
    const sigma = scale * Math.sqrt(head * head + tailSq);
    // α = −sign(x0)·σ, so v0 = x0 − α adds magnitudes and never cancels.
    const alpha = x0 >= 0 ? -sigma : sigma;
    // v = x − α·e₁ lives in row k, columns k+1.., which the reduction no longer needs.
    a[row + start] = x0 - alpha;
    // vᵀv = 2σ(σ + |x0|), so β = 2/vᵀv without another pass.
    const beta = 1 / (sigma * (sigma + Math.abs(x0)));
    betas[k] = beta;
    diag[k] = a[row + k];
    off[k] = alpha;

    let vp = 0;
    for (let i = start; i < n; i++) {
      let s = 0;
      const ri = i * n;
      for (let j = start; j < n; j++) s += a[ri + j] * a[row + j];
      p[i] = beta * s;
      vp += a[row + i] * p[i];
    }
    const half = 0.5 * beta * vp;
    for (let i = start; i < n; i++) p[i] -= half * a[row + i];
    for (let i = start; i < n; i++) {
      const ri = i * n;
      const vi = a[row + i];
      const qi = p[i];
      for (let j = start; j < n; j++) a[ri + j] -= vi * p[j] + qi * a[row + j];
    }
  }
  if (n >= 2) {
    diag[n - 2] = a[(n - 2) * n + n - 2];
    off[n - 2] = a[(n - 2) * n + n - 1];
  }
  if (n >= 1) diag[n - 1] = a[n * n - 1];
  off[n - 1] = 0;

  // Qᵀ = H_{n−3}·…·H₀ (each H is symmetric), built as I·H_{n−3}·…·H₀ so every step is a
  // row-wise update M ← M − β(M·v)vᵀ. When H_k is applied, the rows and columns ≤ k of M are
  // still those of I and v vanishes there, so only the trailing block is touched.
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  for (let k = n - 3; k >= 0; k--) {
    const beta = betas[k];
    if (beta === 0) continue;
    const row = k * n;
    for (let r = k + 1; r < n; r++) {
      const rr = r * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += qt[rr + j] * a[row + j];
      const t = beta * s;
      if (t === 0) continue;
      for (let j = k + 1; j < n; j++) qt[rr + j] -= t * a[row + j];
    }
  }
  return qt;
}

/**
 * Diagonalizes the symmetric tridiagonal (diag, off) in place by implicitly shifted QR,
 * applying every rotation R (T ← R·T·Rᵀ) to the rows of `basis` (basis ← R·basis), so that
 * afterwards row i of basis is the eigenvector of diag[i].
 */
function diagonalizeTridiagonal(diag: Float64Array, off: Float64Array, basis: Float64Array, n: number): void {
  // Cubic convergence usually needs 2–3 sweeps per eigenvalue; far more means NaN or a bug.
  const maxSweeps = 50 * Math.max(n, 1);
  let sweeps = 0;
  let hi = n - 1;
  while (hi > 0) {
    // Deflate off-diagonals that are negligible next to their neighbours on the diagonal;
    // the absolute floor lets blocks of (near) zero eigenvalues decouple too.
    for (let i = 0; i < hi; i++) {
      const e = Math.abs(off[i]);
      if (e <= EPSILON * (Math.abs(diag[i]) + Math.abs(diag[i + 1])) || e < Number.MIN_VALUE * 1e10) off[i] = 0;
    }
    if (off[hi - 1] === 0) {
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && off[lo - 1] !== 0) lo--;
    if (++sweeps > maxSweeps) throw new Error('symmetricEigen: QR iteration did not converge');
    qrSweep(diag, off, basis, n, lo, hi);
  }
}

/** One implicit QR step with a Wilkinson shift on the unreduced block lo..hi. */
function qrSweep(diag: Float64Array, off: Float64Array, basis: Float64Array, n: number, lo: number, hi: number): void {
  // Wilkinson shift: the eigenvalue of the trailing 2×2 block nearer to its last diagonal entry.
  const a = diag[hi - 1];
  const c0 = diag[hi];
  const b = off[hi - 1];
  const delta = 0.5 * (a - c0);
  const root = Math.hypot(delta, b);
  const shift = c0 - (b * b) / (delta + (delta >= 0 ? root : -root));

  // The first rotation is the one QR of T − shift·I would start with (it zeroes the (lo+1, lo)
  // entry of the shifted first column); later rotations push the bulge it creates downwards.
  let x = diag[lo] - shift;
  let z = off[lo];
  for (let k = lo; k < hi; k++) {
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : z / r;
    if (k > lo) off[k - 1] = r;

    const dk = diag[k];
    const dk1 = diag[k + 1];
    const ek = off[k];
    const cc = c * c;
    const ss = s * s;
    const cs2 = 2 * c * s * ek;
    diag[k] = cc * dk + cs2 + ss * dk1;
    diag[k + 1] = ss * dk - cs2 + cc * dk1;
    off[k] = c * s * (dk1 - dk) + (cc - ss) * ek;
    if (k + 1 < hi) {
      const next = off[k + 1];
      x = off[k];
      z = s * next;
      off[k + 1] = c * next;
    }

    const r0 = k * n;
    const r1 = r0 + n;
    for (let j = 0; j < n; j++) {
      const u = basis[r0 + j];
      const w = basis[r1 + j];
      basis[r0 + j] = c * u + s * w;
      basis[r1 + j] = c * w - s * u;
    }
  }
}
