/**
 * tanh in float32 arithmetic: what training stores for tanh units, on the SIMD kernel
 * (kernels/wat-tanh.ts generates it from the constants here) or in this scalar version,
 * which rounds every operation with Math.fround (a float64 operation on float32 operands,
 * rounded, is the float32 operation) and so gives the same bits.
 *
 *   |x| < CUT:  y = a + (a·a²)·Q(a²), a = |x|, Q a minimax fit on [0, 0.6] (relative
 *               error 3e-9, so the result is within half an ulp before rounding)
 *   otherwise:  y = 1 − 2/(e^u + 1), u = min(2a, 40); the subtraction is then ≥ 0.5 and
 *               loses nothing; e^u = 2^k·e^r, k = nearest(u·log₂e) (ties to even),
 *               r = (u − k·ln2_hi) − k·ln2_lo (Cody–Waite: k·ln2_hi is exact), e^r = ((r²·P(r) + r) + 1)
 *               with Cephes expf's coefficients; from |x| = 20 on the result rounds to 1
 *   then x's sign (±0 stays ±0, NaN stays NaN).
 *
 * Within 2 ulp of the correctly rounded tanh over all float32 inputs (test/math/tanh-float32.test.ts
 * sweeps them); float64 models (gradient checks) use Math.tanh.
 */
export const TANH_CUT = 0.6;
export const TANH_Q = [-0.005895157810300589, 0.020795971155166626, -0.053783830255270004, 0.13331924378871918, -0.33333298563957214];
export const TANH_U_MAX = 40;
export const LOG2E = 1.4426950408889634;
export const LN2_HI = 0.693359375;
export const LN2_LO = -2.12194440e-4;
export const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

const f = Math.fround;
const CUT = f(TANH_CUT);
const [Q0, Q1, Q2, Q3, Q4] = TANH_Q.map(f);
const U_MAX = f(TANH_U_MAX);
const L2E = f(LOG2E);
const HI = f(LN2_HI);
const LO = f(LN2_LO);
const [P0, P1, P2, P3, P4, P5] = EXP_P.map(f);

/** Round half to even (f32x4.nearest), for the whole-or-half values u·log₂e can take. */
function nearestEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

export function tanhFloat32(x: number): number {
  const a = Math.abs(x);
  let y: number;
  if (a < CUT) {
    const a2 = f(a * a);
    let q = Q0;
    q = f(f(q * a2) + Q1);
    q = f(f(q * a2) + Q2);
    q = f(f(q * a2) + Q3);
    q = f(f(q * a2) + Q4);
    y = f(a + f(f(a * a2) * q));
  } else {
    const u = Math.min(f(a + a), U_MAX);
    const k = nearestEven(f(u * L2E));
    const r = f(f(u - f(k * HI)) - f(k * LO));
    let p = P0;
    p = f(f(p * r) + P1);
    p = f(f(p * r) + P2);
    p = f(f(p * r) + P3);
    p = f(f(p * r) + P4);
    p = f(f(p * r) + P5);
    const e = f(f(f(f(f(r * r) * p) + r) + 1) * 2 ** k);
    y = f(1 - f(2 / f(e + 1)));
  }
  // x's sign: 1/x tells −0 from +0.
  return x < 0 || 1 / x < 0 ? -y : y;
}
