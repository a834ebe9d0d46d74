import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleOptions } from '../../src/optim/index.js';

const BASE: ScheduleOptions = { name: 'constant', unit: 'epochs', factor: 0.5, every: 3, k: 0.1, tau: 5 };
const at = (o: Partial<ScheduleOptions>, t: number, lr0 = 0.2): number => learningRateAt(lr0, { ...BASE, ...o }, t);
const T = [0, 1, 2, 5, 10, 100];

describe('learningRateAt', () => {
  it('constant: α0 at every t', () => {
    for (const t of T) expect(at({ name: 'constant' }, t)).toBe(0.2);
  });

  it('step (factor 0.5, every 3): α0·0.5^floor(t/3)', () => {
    // floor(t/3) for t = 0, 1, 2, 5, 10, 100 → 0, 0, 0, 1, 3, 33
    const expected = [0.2, 0.2, 0.2, 0.1, 0.025, 0.2 * 0.5 ** 33];
    T.forEach((t, i) => expect(at({ name: 'step' }, t)).toBeCloseTo(expected[i], 15));
    expect(at({ name: 'step' }, 3)).toBeCloseTo(0.1, 15); // the first drop, exactly at t = every
    expect(at({ name: 'step' }, 100)).toBeCloseTo(2.3283064365386963e-11, 25);
    expect(at({ name: 'step', every: 1, factor: 0.9 }, 2)).toBeCloseTo(0.2 * 0.81, 15);
  });

  it('exponential (k = 0.1): α0·e^(−0.1 t)', () => {
    // e^0, e^−0.1, e^−0.2, e^−0.5, e^−1, e^−10
    const expected = [1, 0.9048374180359595, 0.8187307530779818, 0.6065306597126334, 0.36787944117144233, 4.5399929762484854e-5].map((x) => 0.2 * x);
    T.forEach((t, i) => expect(at({ name: 'exponential' }, t)).toBeCloseTo(expected[i], 15));
  });

  it('inverse (τ = 5): α0 until τ, then α0·τ/t', () => {
    // t ≤ 5 → 0.2; t = 10 → 0.1; t = 100 → 0.01
    const expected = [0.2, 0.2, 0.2, 0.2, 0.1, 0.01];
    T.forEach((t, i) => expect(at({ name: 'inverse' }, t)).toBeCloseTo(expected[i], 15));
    expect(at({ name: 'inverse' }, 4)).toBe(0.2); // below τ
    expect(at({ name: 'inverse' }, 6)).toBeCloseTo(0.2 * (5 / 6), 15); // just above τ
    expect(at({ name: 'inverse', tau: 1 }, 0)).toBe(0.2); // t = 0 is not a division by zero
  });

  it('ignores the unit: the caller counts t in steps or epochs', () => {
    expect(at({ name: 'step', unit: 'steps' }, 5)).toBe(at({ name: 'step', unit: 'epochs' }, 5));
  });

  it('rejects settings that have no meaning', () => {
    expect(() => at({ name: 'step', every: 0 }, 1)).toThrow(RangeError);
    expect(() => at({ name: 'inverse', tau: 0 }, 1)).toThrow(RangeError);
    expect(() => at({ name: 'constant' }, -1)).toThrow(RangeError);
  });
});
