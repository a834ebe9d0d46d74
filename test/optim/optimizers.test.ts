import { describe, expect, it } from 'vitest';
import { getActivation, type ActivationName } from '../../src/math/activations.js';
import type { DTypeName } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { createTable } from '../../src/model/embedding.js';
import { xavierInit } from '../../src/model/params.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { createObjective } from '../../src/objective/index.js';
import { adam } from '../../src/optim/adam.js';
import { createOptimizer, type Optimizer } from '../../src/optim/index.js';
import { sgd } from '../../src/optim/sgd.js';

/** One position of a 1-d table (rows 3), H = 1, K = 1: exactly four dense parameters [W, b, U, c]. */
function tinyModel(trainable = true, dtype: DTypeName = 'float64'): WindowScorer {
  const table = createTable('word', 3, 1, dtype, trainable);
  table.data.set([1, 2, 3]);
  const model = new WindowScorer({ positions: 1, tables: [table], hidden: 1, labels: 1, activation: getActivation('tanh'), dropout: 0, dtype });
  model.params.data.set([0.5, -0.25, 2, 1]);
  return model;
}

function setGrads(model: WindowScorer, dense: number[], rows: [number, number[]][] = []): void {
  model.zeroGrad();
  model.grads.data.set(dense);
  for (const [row, g] of rows) model.tableGrads[0].add(row, Float64Array.from(g), 0);
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

/** Textbook Adam for one scalar, written independently of src/optim/adam.ts. */
function textbookAdam(theta0: number, grads: number[], lr: number, steps?: number[]): number[] {
  let theta = theta0;
  let m = 0;
  let v = 0;
  const out: number[] = [];
  grads.forEach((g, i) => {
    const t = steps ? steps[i] : i + 1;
    m = BETA1 * m + (1 - BETA1) * g;
    v = BETA2 * v + (1 - BETA2) * g * g;
    const mHat = m / (1 - BETA1 ** t);
    const vHat = v / (1 - BETA2 ** t);
    theta -= (lr * mHat) / (Math.sqrt(vHat) + EPS);
    out.push(theta);
  });
  return out;
}

describe('SGD', () => {
  it('one and two steps, hand-computed, dense and sparse', () => {
    const model = tinyModel();
    const opt = sgd();
    setGrads(model, [1, -2, 0.5, 4], [[1, [3]]]);
    opt.step(model, 0.1);
    // θ − 0.1·g = [0.5 − 0.1, −0.25 + 0.2, 2 − 0.05, 1 − 0.4] = [0.4, −0.05, 1.95, 0.6]
    [0.4, -0.05, 1.95, 0.6].forEach((v, i) => expect(model.params.data[i]).toBeCloseTo(v, 14));
    // E[1] = 2 − 0.1·3 = 1.7; rows 0 and 2 untouched
    expect(Array.from(model.tables[0].data)).toEqual([1, 2 - 0.1 * 3, 3]);
    opt.step(model, 0.1); // the same gradients again
    // [0.3, 0.15, 1.9, 0.2]; E[1] = 1.7 − 0.3 = 1.4
    [0.3, 0.15, 1.9, 0.2].forEach((v, i) => expect(model.params.data[i]).toBeCloseTo(v, 14));
    expect(model.tables[0].data[1]).toBeCloseTo(1.4, 14);
    expect([model.tables[0].data[0], model.tables[0].data[2]]).toEqual([1, 3]);
  });

  it('leaves a frozen table alone even if its sparse gradient was filled', () => {
    const model = tinyModel(false);
    setGrads(model, [0, 0, 0, 0], [[0, [5]], [2, [5]]]);
    sgd().step(model, 1);
    expect(Array.from(model.tables[0].data)).toEqual([1, 2, 3]);
  });

  it('follows the gradient of a real backward pass', () => {
    const model = tinyModel();
    const ids = Int32Array.of(2);
    model.zeroGrad();
    model.forward(ids, 1, true);
    model.backward(Float64Array.of(1), ids, 1);
    const before = Array.from(model.params.data);
    const grads = Array.from(model.grads.data);
    const rowGrad = model.tableGrads[0].grad[0];
    sgd().step(model, 0.5);
    before.forEach((v, i) => expect(model.params.data[i]).toBeCloseTo(v - 0.5 * grads[i], 14));
    expect(model.tables[0].data[2]).toBeCloseTo(3 - 0.5 * rowGrad, 14);
  });
});

describe('Adam', () => {
  it('first step moves each parameter by ≈ lr·sign(g)', () => {
    // m̂ = g, v̂ = g² → Δθ = lr·g/(|g| + ε)
    const model = tinyModel();
    const opt = adam(model, { beta1: BETA1, beta2: BETA2, eps: EPS });
    setGrads(model, [2, -0.001, 0, 50]);
    opt.step(model, 0.1);
    expect(model.params.data[0]).toBeCloseTo(0.5 - 0.1, 7);
    expect(model.params.data[1]).toBeCloseTo(-0.25 + 0.1, 5);
    expect(model.params.data[2]).toBe(2); // g = 0: m = 0, no move
    expect(model.params.data[3]).toBeCloseTo(1 - 0.1, 7);
  });

  it('three steps match textbook Adam with bias correction', () => {
    const model = tinyModel();
    const opt = adam(model, { beta1: BETA1, beta2: BETA2, eps: EPS });
    const lr = 0.01;
    // gradients per step for the four dense parameters
    const seq = [
      [1, -0.5, 0.2, 3],
      [0.5, 0.25, 0, -3],
      [-2, 0.1, 0.3, 1],
    ];
    const start = Array.from(model.params.data);
    const expected = start.map((theta0, i) => textbookAdam(theta0, seq.map((g) => g[i]), lr));
    seq.forEach((g, step) => {
      setGrads(model, g);
      opt.step(model, lr);
      start.forEach((_, i) => expect(model.params.data[i]).toBeCloseTo(expected[i][step], 13));
    });
    // spot-check the first parameter by hand at step 2:
    // step 1: m=0.1, v=0.001 → m̂=1, v̂=1 → θ = 0.5 − 0.01·1/(1+1e−8) ≈ 0.49
    // step 2: m = 0.09 + 0.05 = 0.14, v = 0.000999 + 0.00025 = 0.001249
    //   m̂ = 0.14/0.19 = 0.736842, v̂ = 0.001249/0.001999 = 0.624812, √v̂ = 0.790451
    //   θ = 0.49 − 0.01·0.736842/0.790451 = 0.49 − 0.0093218 = 0.4806782
    expect(expected[0][1]).toBeCloseTo(0.4806782, 6);
  });

  it('embedding rows are updated lazily: only touched rows change; first touch behaves as from zero moments', () => {
    const table = createTable('word', 5, 2, 'float64', true);
    table.data.set([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const model = new WindowScorer({ positions: 1, tables: [table], hidden: 1, labels: 1, activation: getActivation('tanh'), dropout: 0, dtype: 'float64' });
    const opt = adam(model, { beta1: BETA1, beta2: BETA2, eps: EPS });
    const lr = 0.1;
    const step = (rows: [number, number[]][]): void => {
      model.zeroGrad();
      for (const [row, g] of rows) model.tableGrads[0].add(row, Float64Array.from(g), 0);
      opt.step(model, lr);
    };
    // step 1: row 1 gets g = [1, −2]
    step([[1, [1, -2]]]);
    const row1 = [textbookAdam(2, [1], lr), textbookAdam(2, [-2], lr)];
    expect(table.data[2]).toBeCloseTo(row1[0][0], 13);
    expect(table.data[3]).toBeCloseTo(row1[1][0], 13);
    expect(Array.from(table.data.subarray(0, 2))).toEqual([1, 1]);
    expect(Array.from(table.data.subarray(4))).toEqual([3, 3, 4, 4, 5, 5]);

    // step 2: only row 3 touched, first time, at t = 2. Zero moments give
    //   m̂ = (1−β1)g/(1−β1²) = g/(1+β1), v̂ = g²/(1+β2) → Δ = lr·√(1+β2)/(1+β1)·sign(g)
    step([[3, [0.5, -4]]]);
    const lazyFirst = (lr * Math.sqrt(1 + BETA2)) / (1 + BETA1); // 0.1·1.413860/1.9 = 0.0744137
    expect(table.data[6]).toBeCloseTo(4 - lazyFirst, 6);
    expect(table.data[7]).toBeCloseTo(4 + lazyFirst, 6);
    expect(table.data[6]).toBeCloseTo(textbookAdam(4, [0.5], lr, [2])[0], 13);
    // row 1 was not in the batch: it does not move (no momentum step on untouched rows)
    expect(table.data[2]).toBe(row1[0][0]);
    expect(table.data[3]).toBe(row1[1][0]);
    expect(Array.from(table.data.subarray(0, 2))).toEqual([1, 1]);
    expect(Array.from(table.data.subarray(8))).toEqual([5, 5]);

    // step 3: row 1 again; its moments decayed once (not twice), bias correction at t = 3
    step([[1, [-1, 0.5]]]);
    expect(table.data[2]).toBeCloseTo(textbookAdam(2, [1, -1], lr, [1, 3])[1], 13);
    expect(table.data[3]).toBeCloseTo(textbookAdam(2, [-2, 0.5], lr, [1, 3])[1], 13);
  });

  it('dense parameters keep moving on momentum when their gradient is zero', () => {
    const model = tinyModel();
    const opt = adam(model, { beta1: BETA1, beta2: BETA2, eps: EPS });
    setGrads(model, [1, 0, 0, 0]);
    opt.step(model, 0.1);
    setGrads(model, [0, 0, 0, 0]);
    opt.step(model, 0.1);
    expect(model.params.data[0]).toBeCloseTo(textbookAdam(0.5, [1, 0], 0.1)[1], 13);
    expect(model.params.data[0]).toBeLessThan(0.4);
  });

  it('leaves a frozen table alone', () => {
    const model = tinyModel(false);
    const opt = adam(model, { beta1: BETA1, beta2: BETA2, eps: EPS });
    setGrads(model, [1, 1, 1, 1], [[1, [5]]]);
    opt.step(model, 0.1);
    expect(Array.from(model.tables[0].data)).toEqual([1, 2, 3]);
  });
});

describe('createOptimizer', () => {
  it('dispatches on the name', () => {
    const model = tinyModel();
    expect(createOptimizer(model, { name: 'sgd', beta1: BETA1, beta2: BETA2, eps: EPS }).name).toBe('sgd');
    expect(createOptimizer(model, { name: 'adam', beta1: BETA1, beta2: BETA2, eps: EPS }).name).toBe('adam');
  });
});

/** Fit 4 windows with a tiny scorer: full-batch training as the trainer does it. */
function trainTiny(
  makeOpt: (m: WindowScorer) => Optimizer, lr: number, loss: 'softmax' | 'max-margin', activation: ActivationName, dtype: DTypeName,
): number[] {
  const rng = new Rng(4);
  const table = createTable('word', 6, 3, dtype, true);
  for (let i = 0; i < table.data.length; i++) table.data[i] = rng.range(-0.5, 0.5);
  const model = new WindowScorer({ positions: 3, tables: [table], hidden: 8, labels: 3, activation: getActivation(activation), dropout: 0, dtype });
  xavierInit(model.params, rng);
  const ids = Int32Array.of(0, 1, 2, /* */ 3, 4, 5, /* */ 5, 1, 0, /* */ 2, 2, 4);
  const gold = Int32Array.of(0, 1, 2, 1);
  const B = 4;
  const objective = createObjective({ loss, margin: 1 });
  const dS = dtype === 'float32' ? new Float32Array(B * 3) : new Float64Array(B * 3);
  const opt = makeOpt(model);
  const losses: number[] = [];
  for (let step = 0; step < 50; step++) {
    model.zeroGrad();
    const S = model.forward(ids, B, true);
    losses.push(objective.loss(S, gold, B, 3, dS, 1 / B) / B);
    model.backward(dS, ids, B);
    opt.step(model, lr);
  }
  const S = model.forward(ids, B, false);
  losses.push(objective.loss(S, gold, B, 3, null, 1) / B);
  return losses;
}

describe('both optimisers reduce the loss on a small problem', () => {
  const cases = [
    ['sgd', (): Optimizer => sgd(), 0.5],
    ['adam', (m: WindowScorer): Optimizer => adam(m, { beta1: BETA1, beta2: BETA2, eps: EPS }), 0.05],
  ] as const;
  for (const [name, make, lr] of cases) {
    for (const loss of ['softmax', 'max-margin'] as const) {
      for (const dtype of ['float64', 'float32'] as const) {
        it(`${name} / ${loss} / ${dtype}: 50 full-batch steps on 4 windows`, () => {
          const losses = trainTiny(make, lr, loss, 'tanh', dtype);
          const first = losses[0];
          const last = losses[losses.length - 1];
          expect(first).toBeGreaterThan(0.3);
          expect(last).toBeLessThan(0.25 * first);
          // and mostly monotone: the last 10 losses are all below the first
          expect(losses.slice(-10).every((l) => l < first)).toBe(true);
        });
      }
    }
  }
});
