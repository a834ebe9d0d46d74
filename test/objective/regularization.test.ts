import { describe, expect, it } from 'vitest';
import { getActivation } from '../../src/math/activations.js';
import { createTable } from '../../src/model/embedding.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { Regularizer, type RegularizationOptions } from '../../src/objective/regularization.js';

// One position, a trainable word table (4 rows, dim 2) and a frozen table (2 rows, dim 2):
// D = 4, H = 1, K = 4, so W is 1×4, b 1, U 4×1, c 4.
const W0 = [0.5, -1, 0, 2];
const U0 = [-0.25, 3, 1, -2];
const B0 = [7];
const C0 = [5, -5, 5, -5];
// word rows: 0 [1, 2], 1 [−3, 0.5], 2 [0.125, −0.5], 3 [4, 4]
const WORDS = [1, 2, -3, 0.5, 0.125, -0.5, 4, 4];
// frozen rows (never penalised, even with the embedding options on)
const FROZEN = [0.001, -9, 9, 9];

// Hand sums: ΣW² = 0.25 + 1 + 0 + 4 = 5.25, ΣU² = 0.0625 + 9 + 1 + 4 = 14.0625 → 19.3125
//            Σ|W| = 3.5, Σ|U| = 6.25 → 9.75
const SQUARES = 19.3125;
const ABSOLUTES = 9.75;

function build(W: readonly number[] = W0, U: readonly number[] = U0): WindowScorer {
  const words = createTable('word', 4, 2, 'float64', true);
  words.data.set(WORDS);
  const frozen = createTable('frozen', 2, 2, 'float64', false);
  frozen.data.set(FROZEN);
  const model = new WindowScorer({
    positions: 1, tables: [words, frozen], hidden: 1, labels: 4,
    activation: getActivation('tanh', 0.1), dropout: 0, dtype: 'float64',
  });
  model.params.W.set(W);
  model.params.b.set(B0);
  model.params.U.set(U);
  model.params.c.set(C0);
  return model;
}

const opts = (o: Partial<RegularizationOptions>): RegularizationOptions => ({ l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false, ...o });

/** Marks rows as "used by the batch": a zero gradient in the table's SparseRowGrad. */
function touch(model: WindowScorer, table: number, rows: readonly number[]): void {
  const zeros = new Float64Array(model.tables[table].dim);
  for (const row of rows) model.tableGrads[table].add(row, zeros, 0);
}

/** The sparse gradient of one row of a table (null when the row is not in it). */
function rowGrad(model: WindowScorer, table: number, row: number): number[] | null {
  const tg = model.tableGrads[table];
  const slot = tg.slotOf[row];
  if (slot < 0) return null;
  return Array.from(tg.grad.subarray(slot * tg.table.dim, (slot + 1) * tg.table.dim));
}

/** Fills every dense gradient with a known value, so additions can be told apart from overwrites. */
function prefillGrads(model: WindowScorer): void {
  model.grads.W.fill(1);
  model.grads.b.fill(2);
  model.grads.U.fill(3);
  model.grads.c.fill(4);
}

function expectClose(actual: ArrayLike<number> | null, expected: readonly number[], digits = 14): void {
  expect(actual).not.toBeNull();
  const a = actual as ArrayLike<number>;
  expect(a.length).toBe(expected.length);
  expected.forEach((v, i) => expect(a[i]).toBeCloseTo(v, digits));
}

describe('Regularizer: dense weights', () => {
  it('l2 only: penalty l2·(ΣW² + ΣU²), gradient 2·l2·θ added into W and U, nothing into b and c', () => {
    const model = build();
    prefillGrads(model);
    const penalty = new Regularizer(opts({ l2: 0.1 })).apply(model, true);
    expect(penalty).toBeCloseTo(0.1 * SQUARES, 14); // 1.93125
    expectClose(model.grads.W, [1 + 0.1, 1 - 0.2, 1 + 0, 1 + 0.4]);
    expectClose(model.grads.U, [3 - 0.05, 3 + 0.6, 3 + 0.2, 3 - 0.4]);
    expect(Array.from(model.grads.b)).toEqual([2]);
    expect(Array.from(model.grads.c)).toEqual([4, 4, 4, 4]);
  });

  it('l1 only: penalty l1·(Σ|W| + Σ|U|), gradient l1·sign(θ) (0 at θ = 0)', () => {
    const model = build();
    prefillGrads(model);
    const penalty = new Regularizer(opts({ l1: 0.01 })).apply(model, true);
    expect(penalty).toBeCloseTo(0.01 * ABSOLUTES, 14); // 0.0975
    expectClose(model.grads.W, [1.01, 0.99, 1, 1.01]);
    expectClose(model.grads.U, [2.99, 3.01, 3.01, 2.99]);
    expect(Array.from(model.grads.b)).toEqual([2]);
    expect(Array.from(model.grads.c)).toEqual([4, 4, 4, 4]);
  });

  it('both: the sum of the two penalties and gradients 2·l2·θ + l1·sign(θ)', () => {
    const model = build();
    model.zeroGrad();
    const penalty = new Regularizer(opts({ l2: 0.1, l1: 0.01 })).apply(model, true);
    expect(penalty).toBeCloseTo(1.93125 + 0.0975, 14);
    expectClose(model.grads.W, [0.11, -0.21, 0, 0.41]);
    expectClose(model.grads.U, [-0.06, 0.61, 0.21, -0.41]);
    expect(Array.from(model.grads.b)).toEqual([0]);
    expect(Array.from(model.grads.c)).toEqual([0, 0, 0, 0]);
  });

  it('the gradient matches central differences of the penalty (away from θ = 0)', () => {
    const model = build([0.5, -1, 0.3, 2]);
    const reg = new Regularizer(opts({ l2: 0.07, l1: 0.03 }));
    model.zeroGrad();
    reg.apply(model, true);
    const analytic = [...Array.from(model.grads.W), ...Array.from(model.grads.U)];
    const h = 1e-6;
    const views = [model.params.W, model.params.U];
    const numeric: number[] = [];
    for (const view of views) {
      for (let i = 0; i < view.length; i++) {
        const v = view[i];
        view[i] = v + h;
        const plus = reg.apply(model, false);
        view[i] = v - h;
        const minus = reg.apply(model, false);
        view[i] = v;
        numeric.push((plus - minus) / (2 * h));
      }
    }
    expectClose(analytic, numeric, 7);
  });

  it('withGrad = false returns the same penalty and leaves every gradient unchanged', () => {
    const model = build();
    prefillGrads(model);
    touch(model, 0, [1, 3]);
    const reg = new Regularizer({ l2: 0.1, l1: 0.01, l2_embeddings: true, l1_embeddings: true });
    const before = Array.from(model.grads.data);
    const penalty = reg.apply(model, false);
    expect(Array.from(model.grads.data)).toEqual(before);
    expect(rowGrad(model, 0, 1)).toEqual([0, 0]);
    expect(rowGrad(model, 0, 3)).toEqual([0, 0]);
    const again = reg.apply(build(), false);
    expect(again).toBeCloseTo(1.93125 + 0.0975, 14); // no rows touched in the fresh model: dense only
    expect(penalty).toBeGreaterThan(again);
  });

  it('inactive (l2 = l1 = 0): apply returns 0 and changes nothing, even with the embedding options on', () => {
    const reg = new Regularizer({ l2: 0, l1: 0, l2_embeddings: true, l1_embeddings: true });
    expect(reg.active).toBe(false);
    const model = build();
    prefillGrads(model);
    touch(model, 0, [0, 2]);
    const before = Array.from(model.grads.data);
    expect(reg.apply(model, true)).toBe(0);
    expect(Array.from(model.grads.data)).toEqual(before);
    expect(rowGrad(model, 0, 0)).toEqual([0, 0]);
    expect(rowGrad(model, 0, 2)).toEqual([0, 0]);
    expect(new Regularizer(opts({ l2: 1e-9 })).active).toBe(true);
    expect(new Regularizer(opts({ l1: 1e-9 })).active).toBe(true);
  });

  it('parameters are never modified', () => {
    const model = build();
    touch(model, 0, [1]);
    const params = Array.from(model.params.data);
    new Regularizer({ l2: 0.5, l1: 0.5, l2_embeddings: true, l1_embeddings: true }).apply(model, true);
    expect(Array.from(model.params.data)).toEqual(params);
    expect(Array.from(model.tables[0].data)).toEqual(WORDS);
  });
});

describe('Regularizer: embeddings', () => {
  it('untouched without l2_embeddings / l1_embeddings, even for rows the batch used', () => {
    const model = build();
    model.zeroGrad();
    touch(model, 0, [1, 3]);
    const penalty = new Regularizer(opts({ l2: 0.1, l1: 0.01 })).apply(model, true);
    expect(penalty).toBeCloseTo(1.93125 + 0.0975, 14);
    expect(rowGrad(model, 0, 1)).toEqual([0, 0]);
    expect(rowGrad(model, 0, 3)).toEqual([0, 0]);
    expect(model.tableGrads[0].count).toBe(2);
  });

  it('l2_embeddings: only the used rows, penalty and gradient 2·l2·row', () => {
    const model = build();
    model.zeroGrad();
    touch(model, 0, [3, 1]);
    const penalty = new Regularizer(opts({ l2: 0.1, l2_embeddings: true })).apply(model, true);
    // rows 1 and 3: 9 + 0.25 + 16 + 16 = 41.25
    expect(penalty).toBeCloseTo(0.1 * (SQUARES + 41.25), 13);
    expectClose(rowGrad(model, 0, 1), [-0.6, 0.1]);
    expectClose(rowGrad(model, 0, 3), [0.8, 0.8]);
    // no other row appears
    expect(model.tableGrads[0].count).toBe(2);
    expect(rowGrad(model, 0, 0)).toBeNull();
    expect(rowGrad(model, 0, 2)).toBeNull();
  });

  it('l1_embeddings: only the used rows, penalty and gradient l1·sign(row); added to the existing gradient', () => {
    const model = build();
    model.zeroGrad();
    model.tableGrads[0].add(2, Float64Array.of(1, -1), 0);
    touch(model, 0, [1]);
    const penalty = new Regularizer(opts({ l1: 0.01, l1_embeddings: true })).apply(model, true);
    // rows 2 and 1: |0.125| + |−0.5| + |−3| + |0.5| = 4.125
    expect(penalty).toBeCloseTo(0.01 * (ABSOLUTES + 4.125), 14);
    expectClose(rowGrad(model, 0, 2), [1.01, -1.01]);
    expectClose(rowGrad(model, 0, 1), [-0.01, 0.01]);
  });

  it('both options with both penalties; l2_embeddings alone does not bring in l1 on the rows', () => {
    const model = build();
    model.zeroGrad();
    touch(model, 0, [1, 3]);
    const both = new Regularizer({ l2: 0.1, l1: 0.01, l2_embeddings: true, l1_embeddings: true }).apply(model, true);
    // rows 1, 3: Σ² = 41.25, Σ|| = 3 + 0.5 + 4 + 4 = 11.5
    expect(both).toBeCloseTo(0.1 * (SQUARES + 41.25) + 0.01 * (ABSOLUTES + 11.5), 13);
    expectClose(rowGrad(model, 0, 1), [-0.61, 0.11]);
    expectClose(rowGrad(model, 0, 3), [0.81, 0.81]);

    const other = build();
    other.zeroGrad();
    touch(other, 0, [1, 3]);
    const l2Only = new Regularizer({ l2: 0.1, l1: 0.01, l2_embeddings: true, l1_embeddings: false }).apply(other, true);
    expect(l2Only).toBeCloseTo(0.1 * (SQUARES + 41.25) + 0.01 * ABSOLUTES, 13);
    expectClose(rowGrad(other, 0, 1), [-0.6, 0.1]);
    expectClose(rowGrad(other, 0, 3), [0.8, 0.8]);
  });

  it('frozen tables are never penalised, even when their sparse gradient names rows', () => {
    const model = build();
    model.zeroGrad();
    touch(model, 1, [0, 1]);
    const penalty = new Regularizer({ l2: 0.1, l1: 0.01, l2_embeddings: true, l1_embeddings: true }).apply(model, true);
    expect(penalty).toBeCloseTo(0.1 * SQUARES + 0.01 * ABSOLUTES, 14);
    expect(rowGrad(model, 1, 0)).toEqual([0, 0]);
    expect(rowGrad(model, 1, 1)).toEqual([0, 0]);
  });

  it('after a real backward pass, the penalty covers exactly the rows of the batch', () => {
    const model = build();
    model.zeroGrad();
    // one window using word row 2 and frozen row 1
    const ids = Int32Array.of(2, 1);
    model.forward(ids, 1, false);
    model.backward(Float64Array.of(0.5, -0.5, 0.25, 0), ids, 1);
    expect(model.tableGrads[0].count).toBe(1);
    const before = rowGrad(model, 0, 2) as number[];
    const penalty = new Regularizer(opts({ l2: 0.1, l2_embeddings: true })).apply(model, true);
    // row 2: 0.015625 + 0.25 = 0.265625
    expect(penalty).toBeCloseTo(0.1 * (SQUARES + 0.265625), 14);
    expectClose(rowGrad(model, 0, 2), [before[0] + 0.025, before[1] - 0.1]);
  });
});

describe('Regularizer.kinkDistance', () => {
  it('Infinity without L1', () => {
    expect(new Regularizer(opts({ l2: 0.1 })).kinkDistance(build())).toBe(Infinity);
    expect(new Regularizer(opts({ l2: 0.1, l2_embeddings: true })).kinkDistance(build())).toBe(Infinity);
    expect(new Regularizer(opts({})).kinkDistance(build())).toBe(Infinity);
  });

  it('min |θ| over W and U (biases excluded); tables only with l1_embeddings (all trainable rows, frozen excluded)', () => {
    // b = 7 and c = ±5 are far; set a tiny bias to make sure it is ignored
    const model = build([0.5, -1, 0.3, 2]);
    model.params.b[0] = 0.01;
    model.params.c[1] = -0.02;
    // W: min 0.3, U: min 0.25
    expect(new Regularizer(opts({ l1: 0.01 })).kinkDistance(model)).toBe(0.25);
    // word rows: min |0.125|; the frozen table's 0.001 does not count
    expect(new Regularizer(opts({ l1: 0.01, l1_embeddings: true })).kinkDistance(model)).toBe(0.125);
    // l2_embeddings alone does not bring the tables in
    expect(new Regularizer(opts({ l1: 0.01, l2_embeddings: true })).kinkDistance(model)).toBe(0.25);
    // a zero weight is exactly on the kink
    expect(new Regularizer(opts({ l1: 0.01 })).kinkDistance(build())).toBe(0);
    // a negative weight counts by its magnitude
    expect(new Regularizer(opts({ l1: 0.01 })).kinkDistance(build([0.5, -0.0625, 0.3, 2]))).toBe(0.0625);
  });
});

describe('Regularizer: the fused float32 pass', () => {
  /**
   * The penalty and gradient by the general per-element formula, as float32 storage keeps
   * them. L2 alone sums its squares in four lanes (element i in lane i mod 4, combined as
   * (s0 + s2) + (s1 + s3), then the remainder in order): the order of the SIMD kernel.
   */
  function reference(W: Float32Array, U: Float32Array, gW: Float32Array, gU: Float32Array, l2: number, l1: number): number {
    let total = 0;
    for (const [values, grad] of [[W, gW], [U, gU]] as const) {
      let squares = 0;
      let absolutes = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        squares += v * v;
        absolutes += Math.abs(v);
        grad[i] += 2 * l2 * v + l1 * Math.sign(v);
      }
      if (l1 === 0) {
        const lanes = [0, 0, 0, 0];
        const whole = values.length - (values.length % 4);
        for (let i = 0; i < whole; i++) lanes[i % 4] += values[i] * values[i];
        squares = lanes[0] + lanes[2] + (lanes[1] + lanes[3]);
        for (let i = whole; i < values.length; i++) squares += values[i] * values[i];
      }
      total += l2 * squares + l1 * absolutes;
    }
    return total;
  }

  it('gives bit for bit the general formula’s penalty and gradients, L2 only and with L1', () => {
    for (const [l2, l1] of [[5e-5, 0], [1e-3, 1e-4], [0, 1e-3]]) {
      const words = createTable('word', 10, 5, 'float32', true);
      const model = new WindowScorer({ positions: 3, tables: [words], hidden: 17, labels: 9, activation: getActivation('tanh'), dropout: 0, dtype: 'float32' });
      model.params.data.forEach((_, i, a) => (a[i] = Math.sin(i * 0.37) * 0.3));
      model.params.W[3] = 0;
      model.params.W[4] = -0;
      model.grads.data.forEach((_, i, a) => (a[i] = Math.cos(i * 0.11) * 1e-3));
      const gW = Float32Array.from(model.grads.W);
      const gU = Float32Array.from(model.grads.U);
      const want = reference(model.params.W as Float32Array, model.params.U as Float32Array, gW, gU, l2, l1);
      const got = new Regularizer(opts({ l2, l1 })).apply(model, true);
      expect(got).toBe(want);
      expect(model.grads.W).toEqual(gW);
      expect(model.grads.U).toEqual(gU);
      expect(new Regularizer(opts({ l2, l1 })).apply(model, false)).toBe(want);
    }
  });
});
