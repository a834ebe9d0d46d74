import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';
import { DenseParams, denseSize, fillUniform, initWeights, xavierBound, xavierInit } from '../../src/model/params.js';

function stats(values: ArrayLike<number>): { mean: number; variance: number; maxAbs: number } {
  let sum = 0;
  let sumSq = 0;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    sumSq += values[i] * values[i];
    maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  }
  const mean = sum / values.length;
  return { mean, variance: sumSq / values.length - mean * mean, maxAbs };
}

describe('DenseParams', () => {
  it('denseSize = H·D + H + K·H + K', () => {
    // D=5, H=3, K=2: 15 + 3 + 6 + 2 = 26
    expect(denseSize({ D: 5, H: 3, K: 2 })).toBe(26);
  });

  it('views partition the data array in the order W, b, U, c', () => {
    const shape = { D: 5, H: 3, K: 2 };
    for (const dtype of ['float32', 'float64'] as const) {
      const p = new DenseParams(shape, dtype);
      expect(p.data.length).toBe(26);
      expect(p.data instanceof (dtype === 'float32' ? Float32Array : Float64Array)).toBe(true);
      for (let i = 0; i < p.data.length; i++) p.data[i] = i;
      // W: [0, 15), b: [15, 18), U: [18, 24), c: [24, 26)
      expect(Array.from(p.W)).toEqual(Array.from({ length: 15 }, (_, i) => i));
      expect(Array.from(p.b)).toEqual([15, 16, 17]);
      expect(Array.from(p.U)).toEqual([18, 19, 20, 21, 22, 23]);
      expect(Array.from(p.c)).toEqual([24, 25]);
      // Views, not copies: they share the buffer.
      for (const v of [p.W, p.b, p.U, p.c]) expect(v.buffer).toBe(p.data.buffer);
      p.c[1] = -7;
      expect(p.data[25]).toBe(-7);
    }
  });

  it('entries() walks the views in layout order with their shapes', () => {
    const p = new DenseParams({ D: 4, H: 3, K: 2 }, 'float64');
    const entries = p.entries();
    expect(entries.map((e) => e.name)).toEqual(['W', 'b', 'U', 'c']);
    expect(entries.map((e) => e.shape)).toEqual([[3, 4], [3], [2, 3], [2]]);
    expect(entries.map((e) => e.isWeight)).toEqual([true, false, true, false]);
    expect(entries[0].view).toBe(p.W);
    expect(entries[3].view).toBe(p.c);
    expect(entries.reduce((n, e) => n + e.view.length, 0)).toBe(p.data.length);
  });

  it('wraps a supplied data array without copying, and rejects a wrong size', () => {
    const data = new Float64Array(26);
    const p = new DenseParams({ D: 5, H: 3, K: 2 }, 'float64', data);
    expect(p.data).toBe(data);
    p.b[0] = 3;
    expect(data[15]).toBe(3);
    expect(() => new DenseParams({ D: 5, H: 3, K: 2 }, 'float64', new Float64Array(25))).toThrow(RangeError);
  });
});

describe('xavierInit', () => {
  it('respects ±√(6/(fan_in+fan_out)), has variance ≈ r²/3, zero biases', () => {
    const shape = { D: 150, H: 200, K: 50 };
    const p = new DenseParams(shape, 'float64');
    p.data.fill(9); // biases must be reset, not left alone
    xavierInit(p, new Rng(2));
    const rW = Math.sqrt(6 / (150 + 200)); // 0.13093
    const rU = Math.sqrt(6 / (200 + 50)); // 0.15492
    const w = stats(p.W); // 30 000 values: relative s.e. of the variance ≈ √(0.8/30000) ≈ 0.5%
    const u = stats(p.U); // 10 000 values: ≈ 0.9%
    expect(w.maxAbs).toBeLessThanOrEqual(rW);
    expect(w.maxAbs).toBeGreaterThan(0.99 * rW);
    expect(u.maxAbs).toBeLessThanOrEqual(rU);
    expect(u.maxAbs).toBeGreaterThan(0.99 * rU);
    expect(Math.abs(w.variance / (rW * rW / 3) - 1)).toBeLessThan(0.03);
    expect(Math.abs(u.variance / (rU * rU / 3) - 1)).toBeLessThan(0.04);
    expect(Math.abs(w.mean)).toBeLessThan(0.01 * rW);
    expect(Math.abs(u.mean)).toBeLessThan(0.02 * rU);
    expect(Array.from(p.b).every((v) => v === 0)).toBe(true);
    expect(Array.from(p.c).every((v) => v === 0)).toBe(true);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const make = (seed: number): number[] => {
      const p = new DenseParams({ D: 6, H: 4, K: 3 }, 'float32');
      xavierInit(p, new Rng(seed));
      return Array.from(p.data);
    };
    expect(make(5)).toEqual(make(5));
    expect(make(5)).not.toEqual(make(6));
  });

  it('fillUniform fills every entry within [−r, r)', () => {
    const out = new Float64Array(1000);
    fillUniform(out, 0.25, new Rng(4));
    const s = stats(out);
    expect(s.maxAbs).toBeLessThanOrEqual(0.25);
    expect(Array.from(out).every((v) => v >= -0.25 && v < 0.25 && v !== 0)).toBe(true);
  });
});

describe('initWeights', () => {
  const shape = { D: 150, H: 200, K: 50 };

  it('xavier is xavierInit: the same draws for the same seed', () => {
    const a = new DenseParams(shape, 'float64');
    const b = new DenseParams(shape, 'float64');
    initWeights(a, 'xavier', 123, new Rng(8));
    xavierInit(b, new Rng(8));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(xavierBound(150, 200)).toBeCloseTo(Math.sqrt(6 / 350), 15);
  });

  it('uniform draws W and U from U[−s, s] (variance s²/3), biases zero', () => {
    const p = new DenseParams(shape, 'float64');
    p.data.fill(7);
    initWeights(p, 'uniform', 0.05, new Rng(3));
    for (const view of [p.W, p.U]) {
      const s = stats(view);
      expect(s.maxAbs).toBeLessThanOrEqual(0.05);
      expect(s.maxAbs).toBeGreaterThan(0.049);
      expect(Math.abs(s.variance / (0.05 ** 2 / 3) - 1)).toBeLessThan(0.04);
    }
    expect(Array.from(p.b).every((v) => v === 0) && Array.from(p.c).every((v) => v === 0)).toBe(true);
  });

  it('normal draws W and U from N(0, s²): standard deviation s, about 0.3 % beyond 3s', () => {
    const p = new DenseParams(shape, 'float64');
    initWeights(p, 'normal', 0.2, new Rng(4));
    const s = stats(p.W);
    expect(Math.abs(Math.sqrt(s.variance) / 0.2 - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.mean)).toBeLessThan(0.005);
    const beyond = Array.from(p.W).filter((v) => Math.abs(v) > 0.6).length / p.W.length;
    // P(|z| > 3) = 0.27 %; 30 000 draws put the count within a few tenths of a percent
    expect(beyond).toBeGreaterThan(0.0012);
    expect(beyond).toBeLessThan(0.0045);
    expect(Array.from(p.b).every((v) => v === 0)).toBe(true);
  });
});
