import { tanhBackwardInKernels, tanhInKernels } from './kernels/elementwise.js';
import type { FloatArray } from './matrix.js';
import { tanhFloat32 } from './tanh-float32.js';

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

const tanh: Activation = {
  name: 'tanh',
  forward(a, z, n) {
    // Float32 storage gets tanh in float32 arithmetic (tanh-float32.ts: within 2 ulp), on
    // the SIMD kernel when both arrays live in the kernels' memory, else in the scalar
    // version with the same bits; float64 storage (gradcheck) keeps Math.tanh.
    if (a instanceof Float32Array && z instanceof Float32Array && tanhInKernels(a, z, n)) return;
    if (a instanceof Float32Array) for (let i = 0; i < n; i++) a[i] = tanhFloat32(z[i]);
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
