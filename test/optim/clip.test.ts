import { describe, expect, it } from 'vitest';
import { createTable, SparseRowGrad } from '../../src/model/embedding.js';
import { clipGradientNorm, gradientNorm, type DenseSegment, type ParameterGroups } from '../../src/optim/index.js';

function groups(dense: number[], rows: [number, number[]][], dim = 1, trainable = true): { groups: ParameterGroups; seg: DenseSegment; tg: SparseRowGrad } {
  const seg: DenseSegment = { name: 'W', values: new Float64Array(dense.length), grad: Float64Array.from(dense), lrScale: 1 };
  const tg = new SparseRowGrad(createTable('word', 6, dim, 'float64', trainable), 1);
  for (const [row, g] of rows) tg.add(row, Float64Array.from(g), 0);
  return { groups: { dense: [seg], tables: [tg] }, seg, tg };
}

const packed = (tg: SparseRowGrad): number[] => Array.from(tg.grad.subarray(0, tg.count * tg.table.dim));

describe('gradientNorm', () => {
  it('is the L2 norm over dense and sparse gradients together: [3] and [4] → 5', () => {
    expect(gradientNorm(groups([3], [[2, [4]]]).groups)).toBe(5);
  });

  it('sums squares over several rows and columns', () => {
    // dense [1, −2, 2] → 1 + 4 + 4 = 9; rows [4, 0] and [−2, 8] → 16 + 4 + 64 = 84; total 93
    const { groups: g } = groups([1, -2, 2], [[0, [4, 0]], [5, [-2, 8]]], 2);
    expect(gradientNorm(g)).toBeCloseTo(Math.sqrt(93), 14);
  });

  it('counts only the rows of the current batch, not stale values left in the packed buffer', () => {
    const { groups: g, tg } = groups([0], [[0, [3]], [1, [100]]]);
    tg.clear();
    tg.add(4, Float64Array.of(4), 0); // slot 0; slot 1 still holds 100
    expect(tg.grad[1]).toBe(100);
    expect(gradientNorm(g)).toBe(4);
  });

  it('leaves frozen tables out, as the optimiser does', () => {
    expect(gradientNorm(groups([3], [[2, [4]]], 1, false).groups)).toBe(3);
  });
});

describe('clipGradientNorm', () => {
  it('scales every gradient by maxNorm/norm when above: [3], [4] clipped to 1 → [0.6], [0.8]', () => {
    const { groups: g, seg, tg } = groups([3], [[2, [4]]]);
    expect(clipGradientNorm(g, 1)).toBe(5);
    expect(seg.grad[0]).toBeCloseTo(0.6, 15);
    expect(tg.grad[0]).toBeCloseTo(0.8, 15);
    expect(gradientNorm(g)).toBeCloseTo(1, 15);
  });

  it('keeps directions: a multi-row, multi-column case ends with norm maxNorm and the same ratios', () => {
    const { groups: g, seg, tg } = groups([1, -2, 2], [[0, [4, 0]], [5, [-2, 8]]], 2);
    const before = [...Array.from(seg.grad), ...packed(tg)];
    const norm = clipGradientNorm(g, 2);
    expect(norm).toBeCloseTo(Math.sqrt(93), 14);
    const after = [...Array.from(seg.grad), ...packed(tg)];
    after.forEach((x, i) => expect(x).toBeCloseTo((before[i] * 2) / Math.sqrt(93), 14));
    expect(gradientNorm(g)).toBeCloseTo(2, 14);
  });

  it('changes nothing at or below the threshold', () => {
    const { groups: g, seg, tg } = groups([3], [[2, [4]]]);
    expect(clipGradientNorm(g, 10)).toBe(5);
    expect(clipGradientNorm(g, 5)).toBe(5);
    expect(Array.from(seg.grad)).toEqual([3]);
    expect(packed(tg)).toEqual([4]);
  });

  it('does not scale stale values past the current rows', () => {
    const { groups: g, tg } = groups([0], [[0, [3]], [1, [100]]]);
    tg.clear();
    tg.add(4, Float64Array.of(4), 0);
    clipGradientNorm(g, 2);
    expect(tg.grad[0]).toBeCloseTo(2, 15);
    expect(tg.grad[1]).toBe(100);
  });

  it('returns a non-finite norm without touching the gradients', () => {
    const inf = groups([Infinity, 1], [[0, [1]]]);
    expect(clipGradientNorm(inf.groups, 1)).toBe(Infinity);
    expect(Array.from(inf.seg.grad)).toEqual([Infinity, 1]);
    const nan = groups([NaN], [[0, [1]]]);
    expect(clipGradientNorm(nan.groups, 1)).toBeNaN();
    expect(nan.tg.grad[0]).toBe(1);
  });

  it('rejects a non-positive maxNorm', () => {
    const { groups: g } = groups([3], []);
    expect(() => clipGradientNorm(g, 0)).toThrow(RangeError);
    expect(() => clipGradientNorm(g, NaN)).toThrow(RangeError);
  });
});
