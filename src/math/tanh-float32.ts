/**
 * tanh in float32 arithmetic: what training and tagging store for tanh units, on the SIMD
 * kernels (kernels/wat-tanh.ts generates them from the constants here) or in this scalar
 * version, which rounds every operation with Math.fround (a float64 operation on float32
 * operands, rounded, is the float32 operation) and so gives the same bits.
 *
 *   |x| < 1:   y = a + (a·a²)·Q(a²), a = |x|, Q a minimax fit of degree 6 on [0, 1]
 *              (relative error 5e-9, below half an ulp)
 *   otherwise: y = 1 − 2/(e^u + 1), u = min(2a, 40); the result is over 0.76, so the
 *              subtraction keeps its accuracy; e^u = 2^k·e^r with k = nearest(u·log₂e),
 *              found by adding 1.5·2²³ (the sum's low mantissa bits are then k, which also
 *              gives 2^k's exponent bits without a float-to-int conversion),
 *              r = (u − k·ln2_hi) − k·ln2_lo (Cody–Waite: k·ln2_hi is exact),
 *              e^r = ((r²·P(r) + r) + 1), P a minimax fit of degree 4 (relative error 3e-9)
 *   then x's sign (±0 stays ±0, NaN stays NaN).
 *
 * The cut sits at 1 rather than lower because the units of a layer are mostly small, and a
 * vector whose four lanes are all below it skips the exponential. Within 2 ulp of the
 * correctly rounded tanh (test/math/activations.test.ts sweeps float32 inputs); float64
 * models (gradient checks) use Math.tanh.
 */
export const TANH_CUT = 1;
export const TANH_Q = [
  -0.00035845194361172616, 0.0023013644386082888, -0.007946105673909187, 0.021486656740307808,
  -0.05387980118393898, 0.13332344591617584, -0.33333295583724976,
];
export const TANH_U_MAX = 40;
/** The exponential's constants (also the sigmoid kernel's, wat-tagging.ts). */
export const LOG2E = 1.4426950408889634;
export const LN2_HI = 0.693359375;
export const LN2_LO = -2.12194440e-4;
/** 1.5·2²³: adding it rounds a float32 of magnitude below 2²² to a whole number, ties to even. */
export const ROUND = 12582912;
export const EXP_P = [0.001381461275741458, 0.008368710055947304, 0.04166838899254799, 0.1666652113199234, 0.4999999403953552];

// Module constants (an imported binding read in a hot loop can compile to a property read).
const f = Math.fround;
const CUT = f(TANH_CUT);
const Q = TANH_Q.map(f);
const U_MAX = f(TANH_U_MAX);
const L2E = f(LOG2E);
const HI = f(LN2_HI);
const LO = f(LN2_LO);
const P = EXP_P.map(f);

export function tanhFloat32(x: number): number {
  const a = Math.abs(x);
  let y: number;
  if (a < CUT) {
    const a2 = f(a * a);
    let q = Q[0];
    for (let i = 1; i < Q.length; i++) q = f(f(q * a2) + Q[i]);
    y = f(a + f(f(a * a2) * q));
  } else {
    const twice = f(a + a);
    const u = U_MAX < twice ? U_MAX : twice;
    const k = f(f(f(u * L2E) + ROUND) - ROUND);
    const r = f(f(u - f(k * HI)) - f(k * LO));
    let p = P[0];
    for (let i = 1; i < P.length; i++) p = f(f(p * r) + P[i]);
    const e = f(f(f(f(f(r * r) * p) + r) + 1) * 2 ** k);
    y = f(1 - f(2 / f(e + 1)));
  }
  // x's sign: 1/x tells −0 from +0.
  return x < 0 || 1 / x < 0 ? -y : y;
}
