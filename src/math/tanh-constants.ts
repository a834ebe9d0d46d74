/**
 * The constants of the exact float32 tanh (activations.ts tanhForFloat32), shared with its
 * SIMD kernel (kernels/wat-elementwise.ts), which must compute the very same doubles.
 */

// e^t = 2^(k/8)·e^r with k = round(8t/ln 2), |r| ≤ ln 2/16 (Cody–Waite split of ln 2/8, from
// fdlibm's ln 2), for 2^(k/8) a table lookup over t < 40.
export const EIGHT_OVER_LN2 = 8 / Math.LN2;
export const LN2_8_HI = 6.93147180369123816490e-1 / 8;
export const LN2_8_LO = 1.90821492927058770002e-10 / 8;
export const POW2_EIGHTHS = Float64Array.from({ length: 480 }, (_, k) => 2 ** (k / 8));
/** Relative half-width of the interval that surely holds both this estimate and Math.tanh's value. */
export const TANH_MARGIN = 2 ** -36;
/** tanh x = x + x³·(T3 + x²·(T5 + x²·(T7 + x²·T9))) + … for |x| < 1/16. */
export const T3 = -1 / 3;
export const T5 = 2 / 15;
export const T7 = -17 / 315;
export const T9 = 62 / 2835;
/** e^r = 1 + r + r²·((E2 + r·E3) + r²·((E4 + r·E5) + r²·(E6 + r·E7))) + … */
export const E2 = 1 / 2;
export const E3 = 1 / 6;
export const E4 = 1 / 24;
export const E5 = 1 / 120;
export const E6 = 1 / 720;
export const E7 = 1 / 5040;
/** Below this |x| the series; from TANH_ONE on, ±1. */
export const TANH_SERIES_BELOW = 0.0625;
export const TANH_ONE = 20;
