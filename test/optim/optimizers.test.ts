import { describe, expect, it } from 'vitest';
import { allocate, type DTypeName, type FloatArray } from '../../src/math/matrix.js';
import { createTable, SparseRowGrad, type EmbeddingTable } from '../../src/model/embedding.js';
import { createOptimizer, type DenseSegment, type Optimizer, type OptimizerOptions, type ParameterGroups } from '../../src/optim/index.js';

const BASE: OptimizerOptions = { name: 'sgd', mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const opts = (o: Partial<OptimizerOptions>): OptimizerOptions => ({ ...BASE, ...o });

/** Every optimiser configuration under test, with a learning rate that suits the convex problem below. */
const CONFIGS: readonly { label: string; options: OptimizerOptions; lr: number; steps: number }[] = [
  { label: 'sgd', options: opts({ name: 'sgd' }), lr: 0.05, steps: 100 },
  { label: 'momentum', options: opts({ name: 'momentum' }), lr: 0.02, steps: 200 },
  { label: 'nesterov', options: opts({ name: 'momentum', nesterov: true }), lr: 0.02, steps: 200 },
  { label: 'adagrad', options: opts({ name: 'adagrad' }), lr: 1, steps: 200 },
  { label: 'rmsprop', options: opts({ name: 'rmsprop' }), lr: 0.02, steps: 400 },
  { label: 'adam', options: opts({ name: 'adam' }), lr: 0.05, steps: 400 },
];

function segment(name: string, values: number[], lrScale = 1, dtype: DTypeName = 'float64'): DenseSegment {
  const v = allocate(dtype, values.length);
  v.set(values);
  return { name, values: v, grad: allocate(dtype, values.length), lrScale };
}

/** Runs three steps on θ0 = [1, −2] with the given gradients, returns θ after each step. */
function threeSteps(options: OptimizerOptions, lr: number, grads: number[][]): number[][] {
  const seg = segment('theta', [1, -2]);
  const opt = createOptimizer({ dense: [seg], tables: [] }, options);
  return grads.map((g) => {
    seg.grad.set(g);
    opt.step(lr);
    return Array.from(seg.values);
  });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 13): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

const G = [
  [1, -2],
  [0.5, 1],
  [-1, 0.5],
];

describe('update rules: three steps against hand-computed values (θ0 = [1, −2], α = 0.1)', () => {
  it('sgd: θ −= α g', () => {
    const got = threeSteps(opts({ name: 'sgd' }), 0.1, G);
    // [1 − 0.1, −2 + 0.2]; then − [0.05, 0.1]; then + [0.1, −0.05]
    expectClose(got[0], [0.9, -1.8]);
    expectClose(got[1], [0.85, -1.9]);
    expectClose(got[2], [0.95, -1.95]);
  });

  it('momentum (μ = 0.9): v = μv − αg, θ += v', () => {
    const got = threeSteps(opts({ name: 'momentum' }), 0.1, G);
    // v1 = [−0.1, 0.2]                         θ1 = [0.9, −1.8]
    // v2 = 0.9·v1 − 0.1·g2 = [−0.14, 0.08]     θ2 = [0.76, −1.72]
    // v3 = 0.9·v2 − 0.1·g3 = [−0.026, 0.022]   θ3 = [0.734, −1.698]
    expectClose(got[0], [0.9, -1.8]);
    expectClose(got[1], [0.76, -1.72]);
    expectClose(got[2], [0.734, -1.698]);
  });

  it('nesterov (μ = 0.9): θ += −μ v_prev + (1 + μ) v', () => {
    const got = threeSteps(opts({ name: 'momentum', nesterov: true }), 0.1, G);
    // same v as classical momentum; Δ1 = 1.9·v1 = [−0.19, 0.38]
    // Δ2 = −0.9·[−0.1, 0.2] + 1.9·[−0.14, 0.08] = [−0.176, −0.028]
    // Δ3 = −0.9·[−0.14, 0.08] + 1.9·[−0.026, 0.022] = [0.0766, −0.0302]
    expectClose(got[0], [0.81, -1.62]);
    expectClose(got[1], [0.634, -1.648]);
    expectClose(got[2], [0.7106, -1.6782]);
  });

  it('adagrad (ε = 1, so √G + ε is told apart from √(G + ε)): G += g², θ −= αg/(√G + ε)', () => {
    const got = threeSteps(opts({ name: 'adagrad', eps: 1 }), 0.1, [
      [3, 4],
      [4, 3],
      [12, 0],
    ]);
    // G1 = [9, 16]:   Δ = [0.3/4, 0.4/5] = [0.075, 0.08]
    // G2 = [25, 25]:  Δ = [0.4/6, 0.3/6]
    // G3 = [169, 25]: Δ = [1.2/14, 0]
    expectClose(got[0], [0.925, -2.08]);
    expectClose(got[1], [0.925 - 0.4 / 6, -2.13]);
    expectClose(got[2], [0.925 - 0.4 / 6 - 1.2 / 14, -2.13]);
    expectClose(got[2], [0.7726190476190476, -2.13]);
  });

  it('rmsprop (ρ = 0.9, ε = 0.5): G = ρG + (1 − ρ)g², θ −= αg/(√G + ε)', () => {
    const got = threeSteps(opts({ name: 'rmsprop', decay: 0.9, eps: 0.5 }), 0.1, G);
    // step 1: G = [0.1, 0.4] → θ = [1 − 0.1/(√0.1 + 0.5), −2 + 0.2/(√0.4 + 0.5)]
    expectClose(got[0], [1 - 0.1 / (Math.sqrt(0.1) + 0.5), -2 + 0.2 / (Math.sqrt(0.4) + 0.5)]);
    // values from a 40-digit decimal evaluation of the same recurrences
    expectClose(got[0], [0.8774851773445586, -1.8233926239550988]);
    expectClose(got[1], [0.8178986955505821, -1.9082654802943973]);
    expectClose(got[2], [0.9230390337320908, -1.9512736154634708]);
  });

  it('adam (β1 = 0.9, β2 = 0.999, ε = 1e−8): bias-corrected moments', () => {
    const got = threeSteps(opts({ name: 'adam' }), 0.1, G);
    // step 1: m̂ = g, v̂ = g² → Δ = α·g/(|g| + ε) ≈ α·sign(g)
    expectClose(got[0], [1 - 0.1 / (1 + 1e-8), -2 + 0.1 * 2 / (2 + 1e-8)]);
    // 40-digit decimal evaluation of the textbook recurrences
    expectClose(got[1], [0.8067820382981604, -1.8733662967024314]);
    expectClose(got[2], [0.795703731293871, -1.867227410469671]);
    // and the textbook formula written out here
    for (let i = 0; i < 2; i++) {
      const expected = textbookAdam([1, -2][i], G.map((g) => g[i]), 0.1);
      got.forEach((theta, step) => expect(theta[i]).toBeCloseTo(expected[step], 13));
    }
  });

  it('nesterov equals Sutskever’s look-ahead form: stored θ is φ = θ_S + μ v', () => {
    // Sutskever et al. (2013): v ← μv − α∇f(θ + μv); θ ← θ + v, on f = ½ Σ a (θ − t)².
    const a = [1, 4];
    const target = [0.5, -1];
    const mu = 0.9;
    const lr = 0.05;
    const grad = (x: number, i: number): number => a[i] * (x - target[i]);
    const thetaS = [1, -2];
    const v = [0, 0];
    // φ0 = θ0 + μ·v0 = θ0
    const seg = segment('phi', [1, -2]);
    const opt = createOptimizer({ dense: [seg], tables: [] }, opts({ name: 'momentum', nesterov: true, mu }));
    for (let step = 0; step < 6; step++) {
      for (let i = 0; i < 2; i++) {
        v[i] = mu * v[i] - lr * grad(thetaS[i] + mu * v[i], i);
        thetaS[i] += v[i];
      }
      for (let i = 0; i < 2; i++) seg.grad[i] = grad(seg.values[i], i);
      opt.step(lr);
      for (let i = 0; i < 2; i++) expect(seg.values[i]).toBeCloseTo(thetaS[i] + mu * v[i], 13);
    }
  });

  it('dense parameters keep moving on momentum when their gradient is zero', () => {
    const got = threeSteps(opts({ name: 'adam' }), 0.1, [
      [1, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(got[1][0]).toBeCloseTo(textbookAdam(1, [1, 0], 0.1)[1], 13);
    expect(got[2][0]).toBeLessThan(got[1][0]);
    const m = threeSteps(opts({ name: 'momentum' }), 0.1, [
      [1, 0],
      [0, 0],
      [0, 0],
    ]);
    // v = −0.1, −0.09, −0.081
    expectClose(m.map((t) => t[0]), [0.9, 0.81, 0.729]);
  });
});

/** Textbook Adam for one scalar, written independently of src/optim/adam.ts; `steps` are the global t of each update. */
function textbookAdam(theta0: number, grads: number[], lr: number, steps?: number[], b1 = 0.9, b2 = 0.999, eps = 1e-8): number[] {
  let theta = theta0;
  let m = 0;
  let v = 0;
  return grads.map((g, i) => {
    const t = steps ? steps[i] : i + 1;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mHat = m / (1 - b1 ** t);
    const vHat = v / (1 - b2 ** t);
    theta -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    return theta;
  });
}

describe('every optimiser reduces the loss of a convex quadratic below 1% of the start', () => {
  // f(θ) = ½ Σ a_i (θ_i − t_i)², curvatures 1 to 20 (condition number 20)
  const a = [1, 4, 20];
  const target = [1, -2, 3];
  const loss = (theta: FloatArray): number => {
    let sum = 0;
    for (let i = 0; i < theta.length; i++) sum += 0.5 * a[i] * (theta[i] - target[i]) ** 2;
    return sum;
  };
  for (const { label, options, lr, steps } of CONFIGS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${label} / ${dtype}: ${steps} steps at lr ${lr}`, () => {
        const seg = segment('theta', [0, 0, 0], 1, dtype);
        const opt = createOptimizer({ dense: [seg], tables: [] }, options);
        const start = loss(seg.values);
        for (let s = 0; s < steps; s++) {
          for (let i = 0; i < 3; i++) seg.grad[i] = a[i] * (seg.values[i] - target[i]);
          opt.step(lr);
        }
        expect(opt.steps).toBe(steps);
        expect(loss(seg.values)).toBeLessThan(0.01 * start);
      });
    }
  }
});

interface TableProblem {
  readonly table: EmbeddingTable;
  readonly tg: SparseRowGrad;
  readonly groups: ParameterGroups;
  /** Clears the sparse gradient, adds the given rows and steps. */
  step(opt: Optimizer, lr: number, rows: [number, number[]][]): void;
}

function tableProblem(rows: number, dim: number, capacity = 4, trainable = true): TableProblem {
  const table = createTable('word', rows, dim, 'float64', trainable);
  for (let r = 0; r < rows; r++) for (let e = 0; e < dim; e++) table.data[r * dim + e] = r + 1;
  const tg = new SparseRowGrad(table, capacity);
  return {
    table,
    tg,
    groups: { dense: [], tables: [tg] },
    step(opt, lr, touched) {
      tg.clear();
      for (const [row, g] of touched) tg.add(row, Float64Array.from(g), 0);
      opt.step(lr);
    },
  };
}

const rowOf = (p: TableProblem, r: number): number[] => Array.from(p.table.data.subarray(r * p.table.dim, (r + 1) * p.table.dim));

describe('sparse embedding rows are updated lazily', () => {
  it('momentum: a row touched at steps 1 and 3 moves only then, with the velocity of step 1 decayed once', () => {
    const p = tableProblem(4, 2);
    const opt = createOptimizer(p.groups, opts({ name: 'momentum', mu: 0.9 }));
    p.step(opt, 0.1, [[1, [1, -2]]]);
    // v = [−0.1, 0.2]; row 1 starts at [2, 2]
    expectClose(rowOf(p, 1), [1.9, 2.2]);
    p.step(opt, 0.1, [[2, [1, 1]]]);
    expectClose(rowOf(p, 1), [1.9, 2.2]);
    // the velocity of row 1 is still the one of step 1
    expectClose(opt.exportState().tensors['table.word.v'].subarray(2, 4), [-0.1, 0.2]);
    p.step(opt, 0.1, [[1, [0.5, 1]]]);
    // v = 0.9·[−0.1, 0.2] − 0.1·[0.5, 1] = [−0.14, 0.08] (eager decay would give 0.81·v1 − 0.1·g)
    expectClose(rowOf(p, 1), [1.76, 2.28]);
    expect(rowOf(p, 0)).toEqual([1, 1]);
    expect(rowOf(p, 3)).toEqual([4, 4]);
    // row 2: touched once at step 2, v = [−0.1, −0.1]
    expectClose(rowOf(p, 2), [2.9, 2.9]);
  });

  for (const { label, options } of CONFIGS) {
    it(`${label}: untouched rows and their state do not change`, () => {
      const p = tableProblem(4, 2);
      const opt = createOptimizer(p.groups, options);
      p.step(opt, 0.1, [[1, [1, -2]]]);
      const row1 = rowOf(p, 1);
      const state1 = opt.exportState().tensors;
      p.step(opt, 0.1, [[2, [0.5, 0.25]]]);
      expect(rowOf(p, 1)).toEqual(row1);
      expect(rowOf(p, 0)).toEqual([1, 1]);
      expect(rowOf(p, 3)).toEqual([4, 4]);
      const state2 = opt.exportState().tensors;
      for (const key of Object.keys(state1)) {
        expect(Array.from(state2[key].subarray(2, 4))).toEqual(Array.from(state1[key].subarray(2, 4)));
        expect(Array.from(state2[key].subarray(0, 2))).toEqual([0, 0]);
        expect(Array.from(state2[key].subarray(6, 8))).toEqual([0, 0]);
      }
      p.step(opt, 0.1, [[1, [-1, 0.5]]]);
      if (options.name === 'adam') return; // its bias correction follows the global step: tested below
      // Lazy state: touching at steps 1 and 3 is the same as two consecutive steps on a fresh optimiser.
      const q = tableProblem(4, 2);
      const fresh = createOptimizer(q.groups, options);
      q.step(fresh, 0.1, [[1, [1, -2]]]);
      q.step(fresh, 0.1, [[1, [-1, 0.5]]]);
      expect(rowOf(p, 1)).toEqual(rowOf(q, 1));
    });
  }

  it('adam: a row first touched at global step t uses bias correction for t; a row touched at 1 and 3 decays once', () => {
    const table = createTable('word', 5, 2, 'float64', true);
    table.data.set([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const tg = new SparseRowGrad(table, 2);
    const opt = createOptimizer({ dense: [], tables: [tg] }, opts({ name: 'adam' }));
    const lr = 0.1;
    const step = (rows: [number, number[]][]): void => {
      tg.clear();
      for (const [row, g] of rows) tg.add(row, Float64Array.from(g), 0);
      opt.step(lr);
    };
    step([[1, [1, -2]]]);
    expect(table.data[2]).toBeCloseTo(textbookAdam(2, [1], lr)[0], 13);
    expect(table.data[3]).toBeCloseTo(textbookAdam(2, [-2], lr)[0], 13);
    const row1 = [table.data[2], table.data[3]];

    step([[3, [0.5, -4]]]);
    // zero moments at t = 2: m̂ = g/(1+β1), v̂ = g²/(1+β2) → Δ = lr·√(1+β2)/(1+β1)·sign(g) = 0.0744137…
    const lazyFirst = (lr * Math.sqrt(1 + 0.999)) / (1 + 0.9);
    expect(table.data[6]).toBeCloseTo(4 - lazyFirst, 6);
    expect(table.data[7]).toBeCloseTo(4 + lazyFirst, 6);
    expect(table.data[6]).toBeCloseTo(textbookAdam(4, [0.5], lr, [2])[0], 13);
    expect([table.data[2], table.data[3]]).toEqual(row1);

    step([[1, [-1, 0.5]]]);
    expect(table.data[2]).toBeCloseTo(textbookAdam(2, [1, -1], lr, [1, 3])[1], 13);
    expect(table.data[3]).toBeCloseTo(textbookAdam(2, [-2, 0.5], lr, [1, 3])[1], 13);

    step([[4, [2, 2]]]);
    expect(table.data[8]).toBeCloseTo(textbookAdam(5, [2], lr, [4])[0], 13);
  });

  it('reads the sparse gradient afresh each step, after SparseRowGrad has grown its buffers', () => {
    const p = tableProblem(6, 1, 1);
    const opt = createOptimizer(p.groups, opts({ name: 'sgd' }));
    p.step(opt, 1, [
      [0, [0.5]],
      [2, [0.25]],
      [5, [1]],
    ]);
    expect(Array.from(p.table.data)).toEqual([0.5, 2, 2.75, 4, 5, 5]);
  });

  it('leaves a frozen table alone even if its sparse gradient was filled', () => {
    for (const { options } of CONFIGS) {
      const p = tableProblem(3, 1, 4, false);
      const opt = createOptimizer(p.groups, options);
      p.step(opt, 1, [
        [0, [5]],
        [2, [5]],
      ]);
      expect(Array.from(p.table.data)).toEqual([1, 2, 3]);
      expect(opt.exportState().tensors).toEqual({});
    }
  });
});

describe('lrScale', () => {
  it('sgd: a segment with lrScale 0.5 moves half as far', () => {
    const full = segment('W', [1, -1]);
    const half = segment('U', [1, -1], 0.5);
    const opt = createOptimizer({ dense: [full, half], tables: [] }, opts({ name: 'sgd' }));
    full.grad.set([2, -4]);
    half.grad.set([2, -4]);
    opt.step(0.1);
    expectClose(full.values, [0.8, -0.6]);
    expectClose(half.values, [0.9, -0.8]);
  });

  for (const { label, options } of CONFIGS) {
    it(`${label}: with fixed gradients the displacement is proportional to lrScale`, () => {
      const full = segment('W', [1, -1]);
      const half = segment('U', [1, -1], 0.5);
      const opt = createOptimizer({ dense: [full, half], tables: [] }, options);
      for (const g of G) {
        full.grad.set(g);
        half.grad.set(g);
        opt.step(0.1);
        for (let i = 0; i < 2; i++) expect(half.values[i] - [1, -1][i]).toBeCloseTo(0.5 * (full.values[i] - [1, -1][i]), 13);
      }
    });
  }
});

/** Dense segments and a table, gradients a deterministic function of θ and the step: a small stand-in for training. */
function problem(dtype: DTypeName): { groups: ParameterGroups; dense: DenseSegment[]; tg: SparseRowGrad; fill(step: number): void } {
  const dense = [segment('W', [0.5, -0.25, 2], 1, dtype), segment('b', [0.1, -0.3], 0.5, dtype)];
  const table = createTable('word', 5, 2, dtype, true);
  for (let i = 0; i < table.data.length; i++) table.data[i] = Math.sin(i + 1);
  const tg = new SparseRowGrad(table, 2);
  const touched = [[1, 3], [3], [0, 1, 4], [4], [2, 3]];
  const src = allocate(dtype, 2);
  return {
    groups: { dense, tables: [tg] },
    dense,
    tg,
    fill(step) {
      dense.forEach((seg, d) => {
        for (let i = 0; i < seg.values.length; i++) seg.grad[i] = (d + i + 1) * (seg.values[i] - 1) + Math.cos(step + i);
      });
      tg.clear();
      for (const row of touched[step % touched.length]) {
        src[0] = table.data[row * 2] - 0.5 + 0.1 * step;
        src[1] = Math.cos(row + step);
        tg.add(row, src, 0);
      }
    },
  };
}

function snapshot(p: ReturnType<typeof problem>): number[] {
  return [...p.dense.flatMap((s) => Array.from(s.values)), ...Array.from(p.tg.table.data)];
}

describe('exportState / importState', () => {
  for (const { label, options } of CONFIGS) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${label} / ${dtype}: 2 steps, export, 2 more on a restored copy = 4 uninterrupted steps`, () => {
        const straight = problem(dtype);
        const optA = createOptimizer(straight.groups, options);
        const resumed = problem(dtype);
        const optB = createOptimizer(resumed.groups, options);
        for (let s = 0; s < 2; s++) {
          straight.fill(s);
          optA.step(0.05);
          resumed.fill(s);
          optB.step(0.05);
        }
        const saved = optB.exportState();
        expect(saved.steps).toBe(2);

        // A new process: same parameters, a fresh optimiser restored from the export.
        const copy = problem(dtype);
        copy.dense.forEach((seg, d) => seg.values.set(resumed.dense[d].values));
        copy.tg.table.data.set(resumed.tg.table.data);
        const optC = createOptimizer(copy.groups, options);
        optC.importState(saved);
        expect(optC.steps).toBe(2);

        // the export is a copy: stepping the original does not change it
        const before = JSON.stringify(Object.entries(saved.tensors).map(([k, v]) => [k, Array.from(v)]));
        resumed.fill(2);
        optB.step(0.05);
        expect(JSON.stringify(Object.entries(saved.tensors).map(([k, v]) => [k, Array.from(v)]))).toBe(before);

        for (let s = 2; s < 4; s++) {
          straight.fill(s);
          optA.step(0.05);
          copy.fill(s);
          optC.step(0.05);
        }
        expect(optC.steps).toBe(4);
        expect(snapshot(copy)).toEqual(snapshot(straight));
        const a = optA.exportState().tensors;
        const c = optC.exportState().tensors;
        expect(Object.keys(c).sort()).toEqual(Object.keys(a).sort());
        for (const key of Object.keys(a)) {
          expect(c[key]).toBeInstanceOf(dtype === 'float32' ? Float32Array : Float64Array);
          expect(Array.from(c[key])).toEqual(Array.from(a[key]));
        }
      });
    }
  }

  it('names the state tensors by group and state', () => {
    const p = problem('float64');
    expect(Object.keys(createOptimizer(p.groups, opts({ name: 'sgd' })).exportState().tensors)).toEqual([]);
    expect(Object.keys(createOptimizer(p.groups, opts({ name: 'momentum' })).exportState().tensors)).toEqual(['dense.W.v', 'dense.b.v', 'table.word.v']);
    expect(Object.keys(createOptimizer(p.groups, opts({ name: 'adam' })).exportState().tensors).sort()).toEqual(
      ['dense.W.m', 'dense.W.v', 'dense.b.m', 'dense.b.v', 'table.word.m', 'table.word.v'].sort(),
    );
  });

  it('viewState gives the live arrays (no copies), with the values exportState copies', () => {
    const p = problem('float32');
    const opt = createOptimizer(p.groups, opts({ name: 'adam' }));
    p.fill(0);
    opt.step(0.1);
    const copied = opt.exportState();
    const viewed = opt.viewState();
    expect(viewed.steps).toBe(copied.steps);
    expect(Object.keys(viewed.tensors).sort()).toEqual(Object.keys(copied.tensors).sort());
    for (const key of Object.keys(copied.tensors)) expect(Array.from(viewed.tensors[key])).toEqual(Array.from(copied.tensors[key]));
    p.fill(1);
    opt.step(0.1);
    // The views follow the optimiser; the copies do not.
    const after = opt.exportState();
    for (const key of Object.keys(after.tensors)) expect(Array.from(viewed.tensors[key])).toEqual(Array.from(after.tensors[key]));
    expect(Object.keys(after.tensors).some((key) => Array.from(after.tensors[key]).join() !== Array.from(copied.tensors[key]).join())).toBe(true);
  });

  it('rejects a state that does not fit, and leaves its own state untouched', () => {
    const p = problem('float64');
    const opt = createOptimizer(p.groups, opts({ name: 'adam' }));
    p.fill(0);
    opt.step(0.1);
    const good = opt.exportState();
    const { ['dense.W.m']: _dropped, ...missing } = good.tensors;
    expect(() => opt.importState({ steps: 5, tensors: missing })).toThrow(/dense\.W\.m.*missing/);
    expect(() => opt.importState({ steps: 5, tensors: { ...good.tensors, 'dense.X.m': new Float64Array(3) } })).toThrow(/unexpected/);
    expect(() => opt.importState({ steps: 5, tensors: { ...good.tensors, 'dense.b.v': new Float64Array(3) } })).toThrow(/3 values, expected 2/);
    expect(() => opt.importState({ steps: -1, tensors: good.tensors })).toThrow(/step count/);
    expect(opt.steps).toBe(1);
    expect(opt.exportState()).toEqual(good);
  });

  it('refuses two groups with the same name (their state could not be told apart)', () => {
    expect(() => createOptimizer({ dense: [segment('W', [1]), segment('W', [2])], tables: [] }, opts({ name: 'adam' }))).toThrow(/both named/);
  });

  it('refuses a segment whose gradient does not match its values', () => {
    const bad: DenseSegment = { name: 'W', values: new Float64Array(3), grad: new Float64Array(2), lrScale: 1 };
    expect(() => createOptimizer({ dense: [bad], tables: [] }, opts({ name: 'sgd' }))).toThrow(/3 values but 2 gradients/);
  });
});

describe('createOptimizer', () => {
  it('dispatches on the name', () => {
    for (const name of ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'] as const) {
      const opt = createOptimizer({ dense: [segment('W', [1])], tables: [] }, opts({ name }));
      expect(opt.name).toBe(name);
      expect(opt.steps).toBe(0);
    }
  });

  it('state arrays take the dtype of their parameters', () => {
    const p = problem('float32');
    const state = createOptimizer(p.groups, opts({ name: 'adam' })).exportState().tensors;
    for (const array of Object.values(state)) expect(array).toBeInstanceOf(Float32Array);
  });
});
