import { tanhBackwardInKernels, tanhInKernels } from './kernels/elementwise.js';
import type { FloatArray } from './matrix.js';
import * as TANH from './tanh-constants.js';

// Copied into module constants: an imported binding can compile to a property read of the
// other module (under tsx, through a getter), which costs tanhForFloat32 an order of magnitude.
const { E2, E3, E4, E5, E6, E7, EIGHT_OVER_LN2, LN2_8_HI, LN2_8_LO, POW2_EIGHTHS, T3, T5, T7, T9, TANH_MARGIN, TANH_ONE, TANH_SERIES_BELOW } = TANH;

/**
 * Each activation f with its derivative, side by side. `backward` multiplies the
 * incoming gradient by f′ in place: dz[i] = da[i] · f′(z[i]), given both the
 * pre-activation z and the saved output a = f(z) (tanh and sigmoid use a, which is
 * cheaper and exactly what the notes write: σ′ = σ(1−σ), tanh′ = 1 − tanh²).
 */
export interface Activation {
  readonly name: ActivationName;
  /** a[i] = f(z[i]) for i < n. a may alias z. */
  forward(a: FloatArray, z: FloatArray, n: number): void;
  /** grad[i] *= f′(z[i]) for i < n, with a = f(z). */
  backward(grad: FloatArray, z: FloatArray, a: FloatArray, n: number): void;
  /**
   * Where f′ jumps, or f′ itself has a corner (softsign's f′ = 1/(1+|z|)² at 0): a finite
   * difference straddling such a point loses its accuracy, so a gradient check keeps
   * every z away from them.
   */
  readonly kinks: readonly number[];
}

export const ACTIVATION_NAMES = ['sigmoid', 'tanh', 'hardtanh', 'softsign', 'relu', 'leaky-relu'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

const sigmoid: Activation = {
  name: 'sigmoid',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = 1 / (1 + Math.exp(-z[i]));
  },
  backward(grad, _z, a, n) {
    for (let i = 0; i < n; i++) grad[i] *= a[i] * (1 - a[i]);
  },
  kinks: [],
};

/**
 * A double y with Math.fround(y) === Math.fround(Math.tanh(x)), for every x: what a
 * Float32Array stores is bit for bit what `a[i] = Math.tanh(z[i])` stores, at a fraction of
 * the cost of the library call.
 *
 * The estimate is accurate to about 1e-14 relative: the odd Taylor series up to x⁹ for
 * |x| < 1/16 (truncation below 1e-14 relative); 1 − 2/(e^{2|x|} + 1) above, with e^t from a
 * table of 2^(k/8) and a degree-7 polynomial on |r| ≤ ln 2/16 (truncation 3e-16); exactly
 * ±1 from |x| ≥ 20, where tanh rounds to 1 even in float64. Math.tanh is itself within an
 * ulp of float64. If the whole interval y·(1 ± 2⁻³⁶), far wider than both errors, rounds to
 * one float32, that float32 is the rounding of Math.tanh(x) too; otherwise (about one input
 * in 2000, and NaN) the answer is Math.tanh(x) itself. test/math/activations.test.ts
 * sweeps float32 inputs against Math.tanh.
 */
export function tanhForFloat32(x: number): number {
  const a = Math.abs(x);
  let y: number;
  if (a < TANH_SERIES_BELOW) {
    if (a === 0) return x; // ±0, sign kept
    const a2 = x * x;
    y = x + x * a2 * (T3 + a2 * (T5 + a2 * (T7 + a2 * T9)));
  } else if (a < TANH_ONE) {
    const t = a + a;
    const k = (t * EIGHT_OVER_LN2 + 0.5) | 0;
    const r = t - k * LN2_8_HI - k * LN2_8_LO;
    const r2 = r * r;
    const p = 1 + r + r2 * (E2 + r * E3 + r2 * (E4 + r * E5 + r2 * (E6 + r * E7)));
    y = 1 - 2 / (p * POW2_EIGHTHS[k] + 1);
    if (x < 0) y = -y;
  } else if (a >= TANH_ONE) {
    return x < 0 ? -1 : 1;
  } else {
    return Math.tanh(x); // NaN
  }
  const d = Math.abs(y) * TANH_MARGIN;
  return Math.fround(y - d) === Math.fround(y + d) ? y : Math.tanh(x);
}

const tanh: Activation = {
  name: 'tanh',
  forward(a, z, n) {
    // Into float32 storage the fast path stores the very same float32 as Math.tanh would
    // (see tanhForFloat32); float64 storage (gradcheck) keeps Math.tanh itself.
    // On the SIMD kernel (the same bits) when both arrays live in the kernels' memory.
    if (a instanceof Float32Array && z instanceof Float32Array && tanhInKernels(a, z, n)) return;
    if (a instanceof Float32Array) for (let i = 0; i < n; i++) a[i] = tanhForFloat32(z[i]);
    else for (let i = 0; i < n; i++) a[i] = Math.tanh(z[i]);
  },
  backward(grad, _z, a, n) {
    if (grad instanceof Float32Array && a instanceof Float32Array && tanhBackwardInKernels(grad, a, n)) return;
    for (let i = 0; i < n; i++) grad[i] *= 1 - a[i] * a[i];
  },
  kinks: [],
};

const hardtanh: Activation = {
  name: 'hardtanh',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) {
      const v = z[i];
      a[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
  },
  backward(grad, z, _a, n) {
    for (let i = 0; i < n; i++) {
      const v = z[i];
      if (v < -1 || v > 1) grad[i] = 0;
    }
  },
  kinks: [-1, 1],
};

const softsign: Activation = {
  name: 'softsign',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = z[i] / (1 + Math.abs(z[i]));
  },
  backward(grad, z, _a, n) {
    for (let i = 0; i < n; i++) {
      const d = 1 + Math.abs(z[i]);
      grad[i] /= d * d;
    }
  },
  // f is smooth enough to differentiate once everywhere, but f′ has a corner at 0 (f″ jumps from 2 to −2).
  kinks: [0],
};

const relu: Activation = {
  name: 'relu',
  forward(a, z, n) {
    for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : 0;
  },
  backward(grad, z, _a, n) {
    for (let i = 0; i < n; i++) if (!(z[i] > 0)) grad[i] = 0;
  },
  kinks: [0],
};

function leakyRelu(slope: number): Activation {
  return {
    name: 'leaky-relu',
    forward(a, z, n) {
      for (let i = 0; i < n; i++) a[i] = z[i] > 0 ? z[i] : slope * z[i];
    },
    backward(grad, z, _a, n) {
      for (let i = 0; i < n; i++) if (!(z[i] > 0)) grad[i] *= slope;
    },
    kinks: [0],
  };
}

/** The activations by name; tests may swap an entry to prove a wrong derivative is caught. */
export const ACTIVATIONS: Record<Exclude<ActivationName, 'leaky-relu'>, Activation> = { sigmoid, tanh, hardtanh, softsign, relu };

export function getActivation(name: ActivationName, leakySlope = 0.01): Activation {
  return name === 'leaky-relu' ? leakyRelu(leakySlope) : ACTIVATIONS[name];
}
