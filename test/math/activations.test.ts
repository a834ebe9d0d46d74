import { afterEach, describe, expect, it } from 'vitest';
import { tanhInKernels } from '../../src/math/kernels/elementwise.js';
import { kernelFloats } from '../../src/math/kernels/wasm-gemm.js';
import { ACTIVATION_NAMES, ACTIVATIONS, getActivation, type Activation } from '../../src/math/activations.js';
import { tanhFloat32 } from '../../src/math/tanh-float32.js';

function fwd(act: Activation, zs: number[]): number[] {
  const z = Float64Array.from(zs);
  const a = new Float64Array(z.length);
  act.forward(a, z, z.length);
  return Array.from(a);
}

/** grad · f′(z), through the activation's backward. */
function bwd(act: Activation, zs: number[], grads: number[]): number[] {
  const z = Float64Array.from(zs);
  const a = new Float64Array(z.length);
  act.forward(a, z, z.length);
  const g = Float64Array.from(grads);
  act.backward(g, z, a, z.length);
  return Array.from(g);
}

const sig = (z: number): number => 1 / (1 + Math.exp(-z));

/** The exact derivatives, written out independently of the implementation. */
const DERIVATIVES: Record<string, (z: number) => number> = {
  sigmoid: (z) => sig(z) * (1 - sig(z)),
  tanh: (z) => 1 - Math.tanh(z) ** 2,
  hardtanh: (z) => (z >= -1 && z <= 1 ? 1 : 0),
  softsign: (z) => 1 / (1 + Math.abs(z)) ** 2,
  relu: (z) => (z > 0 ? 1 : 0),
  'leaky-relu': (z) => (z > 0 ? 1 : 0.1),
};

const FUNCTIONS: Record<string, (z: number) => number> = {
  sigmoid: sig,
  tanh: Math.tanh,
  hardtanh: (z) => Math.max(-1, Math.min(1, z)),
  softsign: (z) => z / (1 + Math.abs(z)),
  relu: (z) => Math.max(0, z),
  'leaky-relu': (z) => (z > 0 ? z : 0.1 * z),
};

const GRID = [-3.2, -1.5, -1.01, -0.7, -0.2, 0.05, 0.3, 0.9, 0.99, 1.2, 2.5, 6];

describe('activation values at known points', () => {
  it('sigmoid', () => {
    const [s0, s2, sm2] = fwd(getActivation('sigmoid'), [0, 2, -2]);
    expect(s0).toBe(0.5);
    // σ(2) = 1/(1 + e^−2) = 1/1.1353352832 = 0.8807970780; σ(−2) = 1 − σ(2)
    expect(s2).toBeCloseTo(0.880797078, 9);
    expect(sm2).toBeCloseTo(0.119202922, 9);
  });

  it('tanh', () => {
    const [t0, t1, tm1] = fwd(getActivation('tanh'), [0, 1, -1]);
    expect(t0).toBe(0);
    // tanh(1) = (e² − 1)/(e² + 1) = 6.3890561/8.3890561 = 0.7615941560
    expect(t1).toBeCloseTo(0.761594156, 9);
    expect(tm1).toBeCloseTo(-0.761594156, 9);
  });

  it('hardtanh clips to [−1, 1]', () => {
    expect(fwd(getActivation('hardtanh'), [-3, -1, -0.4, 0, 0.3, 1, 2])).toEqual([-1, -1, -0.4, 0, 0.3, 1, 1]);
  });

  it('softsign', () => {
    // 1/(1+1) = 0.5; −3/(1+3) = −0.75; 0.5/1.5 = 1/3
    const [a, b, c, d] = fwd(getActivation('softsign'), [1, -3, 0.5, 0]);
    expect(a).toBe(0.5);
    expect(b).toBe(-0.75);
    expect(c).toBeCloseTo(1 / 3, 15);
    expect(d).toBe(0);
  });

  it('relu', () => {
    expect(fwd(getActivation('relu'), [-2, -0.1, 0, 0.1, 1.5])).toEqual([0, 0, 0, 0.1, 1.5]);
  });

  it('leaky relu with a given slope, and the default slope 0.01', () => {
    // slope 0.1: −2 → −0.2, −0.5 → −0.05; positive values pass through
    const out = fwd(getActivation('leaky-relu', 0.1), [-2, -0.5, 0, 3]);
    expect(out[0]).toBeCloseTo(-0.2, 15);
    expect(out[1]).toBeCloseTo(-0.05, 15);
    expect(out[2]).toBe(0);
    expect(out[3]).toBe(3);
    expect(fwd(getActivation('leaky-relu'), [-100])[0]).toBeCloseTo(-1, 12);
  });

  it('forward may alias its input (a = z)', () => {
    for (const name of ACTIVATION_NAMES) {
      const act = getActivation(name, 0.1);
      const z = Float64Array.from(GRID);
      act.forward(z, z, z.length);
      GRID.forEach((v, i) => expect(z[i]).toBeCloseTo(FUNCTIONS[name](v), 14));
    }
  });

  it('forward writes only the first n entries', () => {
    const z = Float64Array.of(1, 2, 3);
    const a = Float64Array.of(7, 7, 7);
    getActivation('tanh').forward(a, z, 2);
    expect(a[2]).toBe(7);
  });

  it('getActivation returns the shared ACTIVATIONS entries (so tests can swap a derivative)', () => {
    expect(getActivation('tanh')).toBe(ACTIVATIONS.tanh);
    expect(getActivation('relu')).toBe(ACTIVATIONS.relu);
    expect(getActivation('leaky-relu', 0.2).name).toBe('leaky-relu');
  });

  it('kinks are where f′ jumps or has a corner', () => {
    expect(getActivation('hardtanh').kinks).toEqual([-1, 1]);
    expect(getActivation('relu').kinks).toEqual([0]);
    expect(getActivation('leaky-relu').kinks).toEqual([0]);
    // softsign′ = 1/(1+|z|)² is continuous but has a corner at 0
    expect(getActivation('softsign').kinks).toEqual([0]);
    for (const name of ['sigmoid', 'tanh'] as const) expect(getActivation(name).kinks).toEqual([]);
  });
});

describe('activation backward', () => {
  const grads = GRID.map((_, i) => (i % 2 === 0 ? 1 : -0.5 * (i + 1)));

  for (const name of ACTIVATION_NAMES) {
    it(`${name}: grad · f′(z) equals the exact derivative formula`, () => {
      const out = bwd(getActivation(name, 0.1), GRID, grads);
      GRID.forEach((z, i) => expect(out[i]).toBeCloseTo(grads[i] * DERIVATIVES[name](z), 14));
    });

    it(`${name}: f′ matches a central difference away from the kinks`, () => {
      const act = getActivation(name, 0.1);
      const h = 1e-6;
      const ones = GRID.map(() => 1);
      const analytic = bwd(act, GRID, ones);
      const plus = fwd(act, GRID.map((z) => z + h));
      const minus = fwd(act, GRID.map((z) => z - h));
      GRID.forEach((z, i) => {
        if (act.kinks.some((k) => Math.abs(z - k) < 1e-3)) return;
        const numeric = (plus[i] - minus[i]) / (2 * h);
        expect(Math.abs(analytic[i] - numeric)).toBeLessThan(1e-8);
      });
    });

    it(`${name}: backward on Float32Array agrees with float64 to float32 precision`, () => {
      const act = getActivation(name, 0.1);
      const z = Float32Array.from(GRID);
      const a = new Float32Array(z.length);
      act.forward(a, z, z.length);
      const g = Float32Array.from(grads);
      act.backward(g, z, a, z.length);
      const ref = bwd(act, Array.from(z), grads);
      ref.forEach((v, i) => expect(Math.abs(g[i] - v)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v))));
    });
  }

  it('conventions at the kinks: relu′(0) = 0, leaky′(0) = k, hardtanh′(±1) = 1', () => {
    expect(bwd(getActivation('relu'), [0], [3])).toEqual([0]);
    expect(bwd(getActivation('leaky-relu', 0.25), [0], [4])).toEqual([1]);
    expect(bwd(getActivation('hardtanh'), [-1, 1], [2, 5])).toEqual([2, 5]);
  });

  it('saturated hardtanh passes no gradient; negative relu passes none; leaky passes k', () => {
    expect(bwd(getActivation('hardtanh'), [-1.5, 1.0001, 0.2], [2, 2, 2])).toEqual([0, 0, 2]);
    expect(bwd(getActivation('relu'), [-3, 2], [7, 7])).toEqual([0, 7]);
    expect(bwd(getActivation('leaky-relu', 0.5), [-3, 2], [8, 8])).toEqual([4, 8]);
  });

  it('sigmoid and tanh derivatives come from the saved output a (σ(1−σ), 1 − a²)', () => {
    // Pass a deliberately inconsistent a: the result must follow a, not z.
    const g = Float64Array.of(1, 1);
    ACTIVATIONS.sigmoid.backward(g, Float64Array.of(100, 100), Float64Array.of(0.5, 0.25), 2);
    expect(Array.from(g)).toEqual([0.25, 0.1875]); // 0.5·0.5, 0.25·0.75
    const h = Float64Array.of(2);
    ACTIVATIONS.tanh.backward(h, Float64Array.of(100), Float64Array.of(0.5), 1);
    expect(h[0]).toBe(1.5); // 2·(1 − 0.25)
  });
});

describe('ACTIVATIONS is mutable for fault injection', () => {
  const original = ACTIVATIONS.tanh.backward;
  afterEach(() => {
    ACTIVATIONS.tanh.backward = original;
  });

  it('a swapped backward is seen through getActivation', () => {
    ACTIVATIONS.tanh.backward = (grad, _z, _a, n) => {
      for (let i = 0; i < n; i++) grad[i] = 42;
    };
    expect(bwd(getActivation('tanh'), [0.3], [1])).toEqual([42]);
  });
});

describe('tanh into float32 storage: tanhFloat32 and its SIMD kernel', () => {
  const f = new Float32Array(1);
  const bits = new Int32Array(f.buffer);
  /** Float32 values ordered as integers, so that neighbours differ by 1 (an ulp), across zero too. */
  const order = (x: number): number => {
    f[0] = x;
    return bits[0] < 0 ? -(bits[0] & 0x7fffffff) : bits[0];
  };
  /** Every 997th float32 with |x| < 32, both signs, then the edges. */
  function sweep(): Float32Array {
    const out: number[] = [];
    for (let b = 0; b < 0x42000000; b += 997) {
      for (const sign of [0, 0x80000000]) {
        bits[0] = (b | sign) >>> 0 | 0;
        out.push(f[0]);
      }
    }
    out.push(0, -0, 1e-40, -1e-45, 2 ** -30, 0.6, -0.6, 0.59999996, 9, 9.1, 19.99, 20, -20, 1e30, Infinity, -Infinity, NaN);
    return Float32Array.from(out);
  }

  it('is within 2 ulp of the correctly rounded tanh over a sweep of float32 inputs', () => {
    const xs = sweep();
    let worst = 0;
    for (const x of xs) {
      if (Number.isNaN(x)) continue;
      const d = Math.abs(order(tanhFloat32(x)) - order(Math.tanh(x)));
      worst = Math.max(worst, d);
    }
    expect(xs.length).toBeGreaterThan(2_000_000);
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('keeps the edges: ±0 with its sign, ±1 for large and infinite inputs, x for tiny ones, NaN', () => {
    expect(Object.is(tanhFloat32(0), 0)).toBe(true);
    expect(Object.is(tanhFloat32(-0), -0)).toBe(true);
    for (const x of [20, 1e30, Infinity]) {
      expect(tanhFloat32(x)).toBe(1);
      expect(tanhFloat32(-x)).toBe(-1);
    }
    expect(tanhFloat32(1e-30)).toBe(Math.fround(1e-30));
    expect(tanhFloat32(NaN)).toBeNaN();
  });

  it('the SIMD kernel stores tanhFloat32 bit for bit, at every length, and leaves the rest of the output alone', () => {
    const xs = sweep();
    const z = kernelFloats(xs.length);
    z.set(xs);
    const a = kernelFloats(xs.length);
    expect(tanhInKernels(a, z, z.length)).toBe(true);
    let mismatches = 0;
    for (let i = 0; i < z.length; i++) if (!Object.is(a[i], Math.fround(tanhFloat32(z[i])))) mismatches++;
    expect(mismatches).toBe(0);
    for (const n of [0, 1, 2, 3, 5, 7]) {
      const out = kernelFloats(8).fill(7);
      const zs = kernelFloats(8);
      zs.set([0.3, -2, NaN, 25, -0, 0.01, 0.6, 1]);
      tanhInKernels(out, zs, n);
      for (let i = 0; i < 8; i++) expect(Object.is(out[i], i < n ? tanhFloat32(zs[i]) : 7)).toBe(true);
    }
  });

  it('the tanh activation stores tanhFloat32 into float32 arrays (heap or kernel memory) and keeps Math.tanh for float64', () => {
    const n = 10_001;
    const z32 = new Float32Array(n);
    for (let i = 0; i < n; i++) z32[i] = Math.sin(i * 12.9898) * 8;
    const a32 = new Float32Array(n);
    ACTIVATIONS.tanh.forward(a32, z32, n);
    expect(a32).toEqual(Float32Array.from(z32, tanhFloat32));
    const zk = kernelFloats(n);
    zk.set(z32);
    const ak = kernelFloats(n);
    ACTIVATIONS.tanh.forward(ak, zk, n);
    expect(ak).toEqual(a32);
    const z64 = Float64Array.from(z32, (v) => v * 1.000000001);
    const a64 = new Float64Array(n);
    ACTIVATIONS.tanh.forward(a64, z64, n);
    for (let i = 0; i < n; i++) expect(a64[i]).toBe(Math.tanh(z64[i]));
  });
});
