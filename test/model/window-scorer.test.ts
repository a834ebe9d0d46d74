import { describe, expect, it } from 'vitest';
import { getActivation, type ActivationName } from '../../src/math/activations.js';
import type { DTypeName } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { createTable, type EmbeddingTable } from '../../src/model/embedding.js';
import { WindowScorer } from '../../src/model/window-scorer.js';

interface Setup {
  tables: { name: string; data: number[]; dim: number; trainable?: boolean }[];
  positions: number;
  hidden: number;
  labels: number;
  activation: ActivationName;
  dropout?: number;
  inputDropout?: number;
  W: number[];
  b: number[];
  U: number[];
  c: number[];
  dtype?: DTypeName;
}

function build(s: Setup): WindowScorer {
  const dtype = s.dtype ?? 'float64';
  const tables: EmbeddingTable[] = s.tables.map((t) => {
    const table = createTable(t.name, t.data.length / t.dim, t.dim, dtype, t.trainable ?? true);
    table.data.set(t.data);
    return table;
  });
  const model = new WindowScorer({
    positions: s.positions, tables, hidden: s.hidden, labels: s.labels,
    activation: getActivation(s.activation, 0.1), dropout: s.dropout ?? 0, inputDropout: s.inputDropout ?? 0, dtype,
  });
  model.params.W.set(s.W);
  model.params.b.set(s.b);
  model.params.U.set(s.U);
  model.params.c.set(s.c);
  return model;
}

/** A table's sparse gradient spread out as {row: gradient}. */
function sparseGrads(model: WindowScorer, t: number): Map<number, number[]> {
  const tg = model.tableGrads[t];
  const out = new Map<number, number[]>();
  for (let s = 0; s < tg.count; s++) out.set(tg.rowIds[s], Array.from(tg.grad.subarray(s * tg.table.dim, (s + 1) * tg.table.dim)));
  return out;
}

function expectAllClose(actual: ArrayLike<number>, expected: readonly number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

// E = [[1, 2], [0.5, −1], [3, 0]], one position, H = 2, K = 2, ReLU.
const RELU_CASE: Setup = {
  tables: [{ name: 'word', data: [1, 2, 0.5, -1, 3, 0], dim: 2 }],
  positions: 1, hidden: 2, labels: 2, activation: 'relu',
  W: [0.5, 0.25, -1, -1], b: [0.5, 1],
  U: [2, -1, 0.5, 3], c: [0.1, -0.2],
};

describe('WindowScorer: hand-computed forward and backward', () => {
  it('relu, one position: scores', () => {
    const model = build(RELU_CASE);
    expect(model.P).toBe(2);
    expect(model.D).toBe(2);
    const S = model.forward(Int32Array.of(0), 1, false);
    // x = E[0] = [1, 2]
    // z = W·x + b = [0.5·1 + 0.25·2 + 0.5, −1·1 − 1·2 + 1] = [1.5, −2]
    // a = relu(z) = [1.5, 0]
    // s = U·a + c = [2·1.5 − 1·0 + 0.1, 0.5·1.5 + 3·0 − 0.2] = [3.1, 0.55]
    expectAllClose(S, [3.1, 0.55]);
  });

  it('relu, one position: gradients for dS = [1, −2]', () => {
    const model = build(RELU_CASE);
    const ids = Int32Array.of(0);
    model.zeroGrad();
    model.forward(ids, 1, true);
    model.backward(Float64Array.of(1, -2), ids, 1);
    // ∂U[k][h] = dS[k]·a[h] = [[1·1.5, 1·0], [−2·1.5, −2·0]] = [[1.5, 0], [−3, 0]]
    expectAllClose(model.grads.U, [1.5, 0, -3, 0]);
    // ∂c = dS = [1, −2]
    expectAllClose(model.grads.c, [1, -2]);
    // ∂a = Uᵀ·dS = [2·1 + 0.5·(−2), −1·1 + 3·(−2)] = [1, −7]; relu′(z) = [1, 0] → ∂z = [1, 0]
    // ∂W[h][d] = ∂z[h]·x[d] = [[1, 2], [0, 0]];  ∂b = ∂z = [1, 0]
    expectAllClose(model.grads.W, [1, 2, 0, 0]);
    expectAllClose(model.grads.b, [1, 0]);
    // ∂x = Wᵀ·∂z = 1·[0.5, 0.25] + 0·[−1, −1] = [0.5, 0.25], all to row 0
    const g = sparseGrads(model, 0);
    expect([...g.keys()]).toEqual([0]);
    expectAllClose(g.get(0) ?? [], [0.5, 0.25]);
  });

  it('backward accumulates until zeroGrad', () => {
    const model = build(RELU_CASE);
    const ids = Int32Array.of(0);
    model.zeroGrad();
    model.forward(ids, 1, true);
    model.backward(Float64Array.of(1, -2), ids, 1);
    model.backward(Float64Array.of(1, -2), ids, 1);
    expectAllClose(model.grads.W, [2, 4, 0, 0]);
    expectAllClose(model.grads.c, [2, -4]);
    expectAllClose(sparseGrads(model, 0).get(0) ?? [], [1, 0.5]);
    model.zeroGrad();
    expect(Array.from(model.grads.data).every((v) => v === 0)).toBe(true);
    expect(model.tableGrads[0].count).toBe(0);
  });

  it('tanh, three positions of a 1-d table: scores and gradients', () => {
    const model = build({
      tables: [{ name: 'word', data: [0.5, -1, 2], dim: 1 }],
      positions: 3, hidden: 2, labels: 2, activation: 'tanh',
      W: [0.1, 0.2, 0.3, -0.2, 0.4, 0], b: [0.5, 0.1],
      U: [1, 2, -1, 0.5], c: [0, 1],
    });
    const ids = Int32Array.of(2, 0, 1);
    model.zeroGrad();
    const S = Array.from(model.forward(ids, 1, true));
    // x = [E[2], E[0], E[1]] = [2, 0.5, −1]
    // z0 = 0.1·2 + 0.2·0.5 + 0.3·(−1) + 0.5 = 0.2 + 0.1 − 0.3 + 0.5 = 0.5
    // z1 = −0.2·2 + 0.4·0.5 + 0·(−1) + 0.1 = −0.4 + 0.2 + 0.1 = −0.1
    const a0 = Math.tanh(0.5); // 0.46211715726
    const a1 = Math.tanh(-0.1); // −0.09966799462
    // s = [1·a0 + 2·a1 + 0, −1·a0 + 0.5·a1 + 1]
    expectAllClose(S, [a0 + 2 * a1, -a0 + 0.5 * a1 + 1]);
    expect(S[0]).toBeCloseTo(0.262781168, 8); // 0.46211715726 − 0.19933598924

    model.backward(Float64Array.of(1, 0), ids, 1);
    // ∂U = dS ⊗ a = [[a0, a1], [0, 0]]; ∂c = [1, 0]
    expectAllClose(model.grads.U, [a0, a1, 0, 0]);
    expectAllClose(model.grads.c, [1, 0]);
    // ∂a = Uᵀ·dS = [1, 2]; ∂z = [1·(1 − a0²), 2·(1 − a1²)]
    const dz0 = 1 - a0 * a0;
    const dz1 = 2 * (1 - a1 * a1);
    expectAllClose(model.grads.b, [dz0, dz1]);
    // ∂W[h] = ∂z[h]·x
    expectAllClose(model.grads.W, [2 * dz0, 0.5 * dz0, -dz0, 2 * dz1, 0.5 * dz1, -dz1]);
    // ∂x[d] = Σ_h ∂z[h]·W[h][d]; position 0 came from row 2, 1 from row 0, 2 from row 1
    const g = sparseGrads(model, 0);
    expectAllClose(g.get(2) ?? [], [0.1 * dz0 - 0.2 * dz1]);
    expectAllClose(g.get(0) ?? [], [0.2 * dz0 + 0.4 * dz1]);
    expectAllClose(g.get(1) ?? [], [0.3 * dz0 + 0 * dz1]);
  });
});

/**
 * An identity network: all embedding values positive, W = I (D×D), b = 0, ReLU, U = I,
 * c = 0, so S = x exactly and, for any dS, ∂x = dS. This exposes the gathered layout.
 */
function identityModel(trainable: [boolean, boolean] = [true, true]): WindowScorer {
  const positions = 3;
  const D = positions * 3; // word dim 2 + caps dim 1 per position
  const eye = (n: number): number[] => Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));
  return build({
    tables: [
      // word rows r = [10r + 1, 10r + 2]
      { name: 'word', data: [1, 2, 11, 12, 21, 22, 31, 32], dim: 2, trainable: trainable[0] },
      // caps rows r = [100(r + 1)]
      { name: 'caps', data: [100, 200, 300], dim: 1, trainable: trainable[1] },
    ],
    positions, hidden: D, labels: D, activation: 'relu',
    W: eye(D), b: new Array<number>(D).fill(0), U: eye(D), c: new Array<number>(D).fill(0),
  });
}

describe('WindowScorer: gathered input layout and sparse embedding gradients', () => {
  it('x is, per position, the word row then the caps row', () => {
    const model = identityModel();
    expect(model.P).toBe(3);
    expect(model.D).toBe(9);
    // ids per window: (word, caps) for each of 3 positions
    const ids = Int32Array.of(1, 0, 3, 2, 0, 1, /* window 2 */ 2, 2, 2, 2, 1, 0);
    const S = model.forward(ids, 2, false);
    expect(Array.from(S)).toEqual([
      11, 12, 100, 31, 32, 300, 1, 2, 200,
      21, 22, 300, 21, 22, 300, 11, 12, 100,
    ]);
  });

  it('a row used twice (in one window and across windows) gets every contribution', () => {
    const model = identityModel();
    const ids = Int32Array.of(1, 0, 3, 2, 1, 1, /* window 2 */ 2, 0, 1, 2, 0, 0);
    model.zeroGrad();
    model.forward(ids, 2, true);
    const dS = Float64Array.from({ length: 18 }, (_, i) => i + 1); // ∂x = dS = 1..18
    model.backward(dS, ids, 2);
    const words = sparseGrads(model, 0);
    const caps = sparseGrads(model, 1);
    // word row 1: window 1 positions 0 and 2 → [1, 2] + [7, 8]; window 2 position 1 → [13, 14]
    expect(words.get(1)).toEqual([1 + 7 + 13, 2 + 8 + 14]);
    expect(words.get(3)).toEqual([4, 5]);
    expect(words.get(2)).toEqual([10, 11]);
    expect(words.get(0)).toEqual([16, 17]);
    expect(words.size).toBe(4);
    // caps row 0: w1 p0 → 3, w2 p0 → 12, w2 p2 → 18; row 2: w1 p1 → 6, w2 p1 → 15; row 1: w1 p2 → 9
    expect(caps.get(0)).toEqual([3 + 12 + 18]);
    expect(caps.get(2)).toEqual([6 + 15]);
    expect(caps.get(1)).toEqual([9]);
    expect(caps.size).toBe(3);
  });

  it('a frozen table gets no sparse gradient; the others and the dense grads still do', () => {
    const model = identityModel([false, true]);
    const ids = Int32Array.of(1, 0, 3, 2, 1, 1);
    model.zeroGrad();
    model.forward(ids, 1, true);
    model.backward(Float64Array.from({ length: 9 }, (_, i) => i + 1), ids, 1);
    expect(model.tableGrads[0].count).toBe(0);
    expect(sparseGrads(model, 1).get(0)).toEqual([3]);
    // ∂c = dS
    expect(Array.from(model.grads.c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const allFrozen = identityModel([false, false]);
    allFrozen.zeroGrad();
    allFrozen.forward(ids, 1, true);
    allFrozen.backward(Float64Array.from({ length: 9 }, (_, i) => i + 1), ids, 1);
    expect(allFrozen.tableGrads.map((t) => t.count)).toEqual([0, 0]);
    // ∂b = ∂z = dS (identity U, ReLU active everywhere)
    expect(Array.from(allFrozen.grads.b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

// Same table, W and b chosen so both hidden units are active: z = [1.5, 0.5].
const DROPOUT_CASE: Setup = {
  tables: [{ name: 'word', data: [1, 2, 0.5, -1, 3, 0], dim: 2 }],
  positions: 1, hidden: 2, labels: 2, activation: 'relu', dropout: 0.5,
  W: [0.5, 0.25, 0.25, 0], b: [0.5, 0.25],
  U: [2, -1, 0.5, 3], c: [0.1, -0.2],
};

describe('WindowScorer: dropout', () => {
  it('with a fixed mask dropped units contribute nothing and kept ones are scaled by 1/(1−p)', () => {
    const model = build(DROPOUT_CASE);
    const ids = Int32Array.of(0);
    // x = [1, 2]; z = [0.5 + 0.5 + 0.5, 0.25 + 0 + 0.25] = [1.5, 0.5]; a = [1.5, 0.5]
    // no dropout: s = [2·1.5 − 0.5 + 0.1, 0.75 + 1.5 − 0.2] = [2.6, 2.05]
    expectAllClose(model.forward(ids, 1, false), [2.6, 2.05]);
    const mask = model.dropoutMask(1);
    mask.set([0, 2]); // drop unit 0, keep unit 1 ×1/(1−0.5)
    // a·mask = [0, 1]: s = [−1 + 0.1, 3 − 0.2] = [−0.9, 2.8]
    expectAllClose(model.forward(ids, 1, true), [-0.9, 2.8]);
    mask.set([2, 0]);
    // a·mask = [3, 0]: s = [6 + 0.1, 1.5 − 0.2] = [6.1, 1.3]
    expectAllClose(model.forward(ids, 1, true), [6.1, 1.3]);
  });

  it('backward through a fixed mask', () => {
    const model = build(DROPOUT_CASE);
    const ids = Int32Array.of(0);
    model.dropoutMask(1).set([0, 2]);
    model.zeroGrad();
    model.forward(ids, 1, true);
    model.backward(Float64Array.of(1, -2), ids, 1);
    // ∂U = dS ⊗ (a·mask) = [[0, 1], [0, −2]]; ∂c = [1, −2]
    expectAllClose(model.grads.U, [0, 1, 0, -2]);
    expectAllClose(model.grads.c, [1, -2]);
    // ∂(a·mask) = Uᵀ·dS = [1, −7]; ×mask → ∂a = [0, −14]; relu′ = [1, 1] → ∂z = [0, −14]
    expectAllClose(model.grads.b, [0, -14]);
    expectAllClose(model.grads.W, [0, 0, -14, -28]);
    // ∂x = −14·[0.25, 0] = [−3.5, 0]
    expectAllClose(sparseGrads(model, 0).get(0) ?? [], [-3.5, 0]);
  });

  it('eval forward (train = false) ignores the mask; dropout = 0 ignores it even in training', () => {
    const model = build(DROPOUT_CASE);
    model.dropoutMask(1).set([0, 0]);
    expectAllClose(model.forward(Int32Array.of(0), 1, false), [2.6, 2.05]);
    const noDropout = build({ ...DROPOUT_CASE, dropout: 0 });
    noDropout.dropoutMask(1).set([0, 0]);
    expectAllClose(noDropout.forward(Int32Array.of(0), 1, true), [2.6, 2.05]);
  });

  it('after an eval forward, backward uses the undropped activations', () => {
    const model = build(DROPOUT_CASE);
    model.dropoutMask(1).set([0, 2]);
    model.zeroGrad();
    model.forward(Int32Array.of(0), 1, false);
    model.backward(Float64Array.of(1, -2), Int32Array.of(0), 1);
    // ∂U = dS ⊗ a = [[1.5, 0.5], [−3, −1]]
    expectAllClose(model.grads.U, [1.5, 0.5, -3, -1]);
  });

  it('sampleDropoutMask keeps ≈ 1−p of the units, with values exactly 0 or 1/(1−p)', () => {
    for (const p of [0.3, 0.5]) {
      const rng = new Rng(10);
      const model = new WindowScorer({
        positions: 1, tables: [createTable('word', 2, 2, 'float64', true)], hidden: 100, labels: 2,
        activation: getActivation('tanh'), dropout: p, dtype: 'float64',
      });
      model.sampleDropoutMask(100, rng);
      const mask = model.dropoutMask(100);
      expect(mask.length).toBe(100 * 100);
      const keep = 1 / (1 - p);
      let kept = 0;
      let bad = 0;
      for (const v of mask) {
        if (v === keep) kept++;
        else if (v !== 0) bad++;
      }
      expect(bad).toBe(0);
      // s.e. of the kept fraction over 10 000 units ≈ 0.005
      expect(Math.abs(kept / mask.length - (1 - p))).toBeLessThan(0.02);
      // A new draw gives a different mask.
      const first = Array.from(mask);
      model.sampleDropoutMask(100, rng);
      expect(Array.from(model.dropoutMask(100))).not.toEqual(first);
    }
  });

  it('sampleDropoutMask on a float32 model uses the float32 value of 1/(1−p)', () => {
    const model = new WindowScorer({
      positions: 1, tables: [createTable('word', 2, 2, 'float32', true)], hidden: 50, labels: 2,
      activation: getActivation('relu'), dropout: 0.3, dtype: 'float32',
    });
    model.sampleDropoutMask(20, new Rng(1));
    const values = new Set(model.dropoutMask(20));
    expect(values).toEqual(new Set([0, Math.fround(1 / 0.7)]));
  });
});

describe('WindowScorer: input dropout', () => {
  const INPUT_CASE: Setup = { ...DROPOUT_CASE, dropout: 0, inputDropout: 0.5 };

  it('a fixed input mask scales kept inputs by 1/(1−p) and zeroes dropped ones; backward mirrors it', () => {
    const model = build(INPUT_CASE);
    const ids = Int32Array.of(0);
    expectAllClose(model.forward(ids, 1, false), [2.6, 2.05]);
    model.inputDropoutMask(1).set([2, 0]);
    // x = [1, 2] → [2, 0]; z = [0.5·2 + 0.5, 0.25·2 + 0.25] = [1.5, 0.75]; s = [3 − 0.75 + 0.1, 0.75 + 2.25 − 0.2]
    expectAllClose(model.forward(ids, 1, true), [2.35, 2.8]);
    model.zeroGrad();
    model.backward(Float64Array.of(1, -2), ids, 1);
    // ∂z = Uᵀ·dS = [1, −7]; ∂W = ∂z ⊗ (dropped x) = [[2, 0], [−14, 0]]
    expectAllClose(model.grads.W, [2, 0, -14, 0]);
    expectAllClose(model.grads.b, [1, -7]);
    // ∂(dropped x) = Wᵀ·∂z = [−1.25, 0.25]; × mask → ∂x = [−2.5, 0]
    expectAllClose(sparseGrads(model, 0).get(0) ?? [], [-2.5, 0]);
  });

  it('an eval forward ignores the input mask', () => {
    const model = build(INPUT_CASE);
    model.inputDropoutMask(1).set([0, 0]);
    expectAllClose(model.forward(Int32Array.of(0), 1, false), [2.6, 2.05]);
  });

  it('sampleDropoutMask draws the hidden mask first: turning input dropout on leaves it unchanged', () => {
    const make = (inputDropout: number): WindowScorer => new WindowScorer({
      positions: 2, tables: [createTable('word', 3, 4, 'float64', true)], hidden: 20, labels: 2,
      activation: getActivation('tanh'), dropout: 0.5, inputDropout, dtype: 'float64',
    });
    const plain = make(0);
    const both = make(0.25);
    plain.sampleDropoutMask(30, new Rng(4));
    both.sampleDropoutMask(30, new Rng(4));
    expect(Array.from(both.dropoutMask(30))).toEqual(Array.from(plain.dropoutMask(30)));
    const input = both.inputDropoutMask(30);
    expect(input.length).toBe(30 * 8);
    const kept = Array.from(input).filter((v) => v === 1 / 0.75).length;
    expect(Array.from(input).every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
    // 240 inputs kept with probability 0.75: s.e. of the fraction ≈ 0.028
    expect(Math.abs(kept / input.length - 0.75)).toBeLessThan(0.1);
  });
});

/** A naive forward written from the formula, in float64. */
function referenceScores(model: WindowScorer, ids: Int32Array, B: number, f: (z: number) => number): number[] {
  const { D, H, K, positions, tables } = model;
  const { W, b, U, c } = model.params;
  const T = tables.length;
  const out: number[] = [];
  for (let n = 0; n < B; n++) {
    const x: number[] = [];
    for (let j = 0; j < positions; j++) {
      for (let t = 0; t < T; t++) {
        const row = ids[(n * positions + j) * T + t];
        for (let e = 0; e < tables[t].dim; e++) x.push(tables[t].data[row * tables[t].dim + e]);
      }
    }
    expect(x.length).toBe(D);
    const a: number[] = [];
    for (let h = 0; h < H; h++) {
      let z = b[h];
      for (let d = 0; d < D; d++) z += W[h * D + d] * x[d];
      a.push(f(z));
    }
    for (let k = 0; k < K; k++) {
      let s = c[k];
      for (let h = 0; h < H; h++) s += U[k * H + h] * a[h];
      out.push(s);
    }
  }
  return out;
}

function randomModel(dtype: DTypeName, seed: number): { model: WindowScorer; ids: Int32Array; B: number } {
  const rng = new Rng(seed);
  const tables = [createTable('word', 11, 5, dtype, true), createTable('caps', 6, 2, dtype, true)];
  for (const t of tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  const model = new WindowScorer({
    positions: 5, tables, hidden: 7, labels: 3, activation: getActivation('tanh'), dropout: 0.25, dtype,
  });
  for (let i = 0; i < model.params.data.length; i++) model.params.data[i] = rng.range(-0.5, 0.5);
  const B = 9;
  const ids = new Int32Array(B * 5 * 2);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(tables[i % 2].rows);
  return { model, ids, B };
}

describe('WindowScorer: batch independence and a naive reference', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    it(`${dtype}: forward agrees with a naive reference`, () => {
      const { model, ids, B } = randomModel(dtype, 3);
      const S = Array.from(model.forward(ids, B, false));
      const ref = referenceScores(model, ids, B, Math.tanh);
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      ref.forEach((v, i) => expect(Math.abs(S[i] - v)).toBeLessThan(tol));
    });

    it(`${dtype}: scoring windows one at a time or all at once gives identical numbers`, () => {
      const { model, ids, B } = randomModel(dtype, 4);
      const stride = model.positions * model.tables.length;
      const single = (): number[] => {
        const out: number[] = [];
        for (let n = 0; n < B; n++) out.push(...model.forward(ids.subarray(n * stride, (n + 1) * stride), 1, false));
        return out;
      };
      const before = single(); // small workspace first, then it grows
      const all = Array.from(model.forward(ids, B, false));
      const after = single(); // and with the workspace larger than needed
      const split = [...model.forward(ids.subarray(0, 4 * stride), 4, false), ...model.forward(ids.subarray(4 * stride), B - 4, false)];
      expect(all).toEqual(before);
      expect(all).toEqual(after);
      expect(all).toEqual(split);
    });
  }

  it('forward returns a B×K view', () => {
    const { model, ids, B } = randomModel('float64', 5);
    expect(model.forward(ids, B, false).length).toBe(B * model.K);
    expect(model.forward(ids.subarray(0, 10), 1, false).length).toBe(model.K);
  });

  it('batched backward equals the sum of per-window backwards', () => {
    const { model, ids, B } = randomModel('float64', 6);
    const stride = model.positions * model.tables.length;
    const rng = new Rng(60);
    const dS = Float64Array.from({ length: B * model.K }, () => rng.normal());
    model.zeroGrad();
    model.forward(ids, B, false);
    model.backward(dS, ids, B);
    const batched = Array.from(model.grads.data);
    const batchedRows = [0, 1].map((t) => sparseGrads(model, t));
    model.zeroGrad();
    for (let n = 0; n < B; n++) {
      const wids = ids.subarray(n * stride, (n + 1) * stride);
      model.forward(wids, 1, false);
      model.backward(dS.subarray(n * model.K, (n + 1) * model.K), wids, 1);
    }
    Array.from(model.grads.data).forEach((v, i) => expect(v).toBeCloseTo(batched[i], 12));
    for (const t of [0, 1]) {
      const rows = sparseGrads(model, t);
      expect([...rows.keys()].sort()).toEqual([...batchedRows[t].keys()].sort());
      for (const [row, g] of rows) expectAllClose(g, batchedRows[t].get(row) ?? [], 12);
    }
  });
});

