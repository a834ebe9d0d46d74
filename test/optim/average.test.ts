import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';
import { createTable, SparseRowGrad } from '../../src/model/embedding.js';
import { ParameterAverage, withAverage } from '../../src/optim/average.js';
import { createOptimizer, type DenseSegment, type Optimizer, type OptimizerOptions } from '../../src/optim/index.js';

const OPTIONS: OptimizerOptions = { name: 'adagrad', mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** A dense segment and a 6-row table trained on random sparse gradients, with an eager EMA of every weight beside it. */
function problem(decay: number) {
  const values = Float64Array.from([0.5, -1, 2]);
  const dense: DenseSegment = { name: 'W', values, grad: new Float64Array(3), lrScale: 1 };
  const table = createTable('word', 6, 2, 'float64', true);
  table.data.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const tg = new SparseRowGrad(table, 4);
  const groups = { dense: [dense], tables: [tg] };
  const average = new ParameterAverage(groups, decay);
  const optimizer = withAverage(createOptimizer(groups, OPTIONS), average);
  // The textbook recurrence over every weight at every step, from 0, divided by 1 − β^t.
  const eager = { dense: new Float64Array(3), table: new Float64Array(12), t: 0 };
  const eagerStep = (): void => {
    eager.t++;
    for (let i = 0; i < 3; i++) eager.dense[i] = decay * eager.dense[i] + (1 - decay) * values[i];
    for (let i = 0; i < 12; i++) eager.table[i] = decay * eager.table[i] + (1 - decay) * table.data[i];
  };
  const eagerAverage = (): { dense: number[]; table: number[] } => {
    const debias = 1 / (1 - Math.pow(decay, eager.t));
    return { dense: Array.from(eager.dense, (v) => v * debias), table: Array.from(eager.table, (v) => v * debias) };
  };
  const step = (opt: Optimizer, rng: Rng): void => {
    for (let i = 0; i < 3; i++) dense.grad[i] = rng.uniform() - 0.5;
    tg.clear();
    // One or two rows per step, so most rows sit untouched for several steps.
    const touched = 1 + rng.int(2);
    for (let k = 0; k < touched; k++) tg.add(rng.int(6), Float64Array.from([rng.uniform() - 0.5, rng.uniform() - 0.5]), 0);
    opt.step(0.1);
  };
  return { values, table, average, optimizer, eagerStep, eagerAverage, step };
}

const expectClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
};

describe('ParameterAverage', () => {
  it('the lazy per-row average equals the eager average of every weight at every step', () => {
    const p = problem(0.9);
    const rng = new Rng(7);
    for (let s = 0; s < 40; s++) {
      p.step(p.optimizer, rng);
      p.eagerStep();
      if (s % 13 === 12) {
        const expected = p.eagerAverage();
        p.average.apply();
        expectClose(p.values, expected.dense);
        expectClose(p.table.data, expected.table);
        p.average.restore();
      }
    }
    expect(p.average.steps).toBe(40);
  });

  it('restore puts back exactly the live weights, and training goes on from them', () => {
    const p = problem(0.99);
    const q = problem(0.99);
    const rngP = new Rng(3);
    const rngQ = new Rng(3);
    for (let s = 0; s < 10; s++) {
      p.step(p.optimizer, rngP);
      q.step(q.optimizer, rngQ);
    }
    const live = [Array.from(p.values), Array.from(p.table.data)];
    p.average.apply();
    expect(Array.from(p.values)).not.toEqual(live[0]);
    p.average.restore();
    expect([Array.from(p.values), Array.from(p.table.data)]).toEqual(live);
    for (let s = 0; s < 10; s++) {
      p.step(p.optimizer, rngP);
      q.step(q.optimizer, rngQ);
    }
    // Peeking at the average changes neither the weights nor the average that follows (but for
    // rounding: a catch-up split in two multiplies by β^a·β^b instead of β^(a+b)).
    expect(Array.from(p.table.data)).toEqual(Array.from(q.table.data));
    p.average.apply();
    q.average.apply();
    expectClose(p.table.data, q.table.data, 12);
  });

  it('before the first step the averaged weights are the live ones', async () => {
    const p = problem(0.9);
    const before = Array.from(p.table.data);
    const seen = await p.average.withAveraged(() => Array.from(p.table.data));
    expect(seen).toEqual(before);
  });

  it('withAveraged restores the live weights when its callback throws', async () => {
    const p = problem(0.9);
    const rng = new Rng(1);
    p.step(p.optimizer, rng);
    const live = Array.from(p.values);
    await expect(p.average.withAveraged(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(Array.from(p.values)).toEqual(live);
    expect(() => p.average.restore()).toThrow(/apply was not called/);
  });

  it('a constant weight averages to itself; one step of change moves the average by (1−β)/(1−β^t)', () => {
    const values = Float64Array.from([1]);
    const grad = new Float64Array(1);
    const groups = { dense: [{ name: 'w', values, grad, lrScale: 1 }], tables: [] };
    const average = new ParameterAverage(groups, 0.5);
    average.afterStep();
    average.afterStep();
    average.apply();
    expect(values[0]).toBeCloseTo(1, 15);
    average.restore();
    values[0] = 4;
    average.afterStep();
    average.apply();
    // sum = 0.5·0.75 + 0.5·4 = 2.375 over 1 − 0.125 → 2.7142857…
    expect(values[0]).toBeCloseTo(2.375 / 0.875, 14);
  });

  it('exported state continues the average exactly', () => {
    const p = problem(0.95);
    const q = problem(0.95);
    const rngP = new Rng(11);
    const rngQ = new Rng(11);
    for (let s = 0; s < 15; s++) {
      p.step(p.optimizer, rngP);
      q.step(q.optimizer, rngQ);
    }
    // A third average, restored from p's state, replaces q's from here on.
    const r = problem(0.95);
    r.values.set(q.values);
    r.table.data.set(q.table.data);
    r.average.importState(p.average.exportState());
    r.optimizer.importState(q.optimizer.exportState());
    for (let s = 0; s < 15; s++) {
      p.step(p.optimizer, rngP);
      r.step(r.optimizer, rngQ);
    }
    p.average.apply();
    r.average.apply();
    expect(Array.from(r.values)).toEqual(Array.from(p.values));
    expect(Array.from(r.table.data)).toEqual(Array.from(p.table.data));
  });

  it('rejects a decay outside (0, 1) and a state of the wrong shape', () => {
    const p = problem(0.9);
    expect(() => new ParameterAverage({ dense: [], tables: [] }, 1)).toThrow(RangeError);
    expect(() => new ParameterAverage({ dense: [], tables: [] }, 0)).toThrow(RangeError);
    const state = p.average.exportState();
    delete state.tensors['average.table.word.synced_at'];
    expect(() => p.average.importState(state)).toThrow(/synced_at/);
  });
});
