import { afterEach, describe, expect, it } from 'vitest';
import { columnSumsInKernels, elementwiseKernels, fillZero, multiplyInKernels, tanhBackwardInKernels } from '../../src/math/kernels/elementwise.js';
import { kernelFloats, kernelInt32s } from '../../src/math/kernels/wasm-gemm.js';
import { setKernelBackend } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';
import { createTable, SparseRowGrad } from '../../src/model/embedding.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { getActivation } from '../../src/math/activations.js';
import { Regularizer } from '../../src/objective/regularization.js';
import { createOptimizer, type OptimizerOptions, type ParameterGroups } from '../../src/optim/index.js';

/**
 * The element-wise kernels of a training step (wat-elementwise.ts) against the TypeScript
 * loops they replace: bit for bit, on sizes with every remainder mod 4. The TypeScript
 * side runs on heap arrays (or with the kernels switched off), the kernels on arrays in
 * their memory.
 */

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 50, 301];
const BASE: OptimizerOptions = { name: 'adam', mu: 0.9, nesterov: false, decay: 0.9, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

afterEach(() => setKernelBackend('wasm'));

function filled(n: number, rng: Rng, scale: number, inKernels: boolean): Float32Array {
  const a = inKernels ? kernelFloats(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.range(-scale, scale);
  return a;
}

/** One dense segment of n values and a 13×5 table, in kernel memory or on the heap, the same numbers either way. */
function problem(n: number, inKernels: boolean): { groups: ParameterGroups; theta: Float32Array; table: Float32Array; rows: SparseRowGrad } {
  const rng = new Rng(n + 17);
  const theta = filled(n, rng, 1, inKernels);
  const grad = filled(n, rng, 0, inKernels);
  const words = createTable('word', 13, 5, 'float32', true);
  const table = inKernels ? (words.data as Float32Array) : new Float32Array(words.data.length);
  for (let i = 0; i < table.length; i++) table[i] = rng.range(-1, 1);
  const tableRef = { ...words, data: table };
  const rows = new SparseRowGrad(tableRef, 2);
  if (!inKernels) rows.grad = new Float32Array(rows.grad.length);
  return { groups: { dense: [{ name: 'theta', values: theta, grad, lrScale: 0.5 }], tables: [rows] }, theta, table, rows };
}

function runSteps(name: 'adam' | 'adagrad', n: number, inKernels: boolean): { theta: Float32Array; table: Float32Array; state: Record<string, Float32Array> } {
  const p = problem(n, inKernels);
  const optimizer = createOptimizer(p.groups, { ...BASE, name });
  const rng = new Rng(99);
  const source = new Float32Array(5);
  for (let step = 0; step < 7; step++) {
    const grad = p.groups.dense[0].grad;
    for (let i = 0; i < n; i++) grad[i] = rng.range(-2, 2) * (i % 9 === 8 ? 0 : 1);
    p.rows.clear();
    for (let r = 0; r < 3; r++) {
      for (let e = 0; e < 5; e++) source[e] = rng.range(-1, 1);
      p.rows.add(rng.int(13), source, 0);
    }
    optimizer.step(0.01 * (step + 1));
  }
  const state: Record<string, Float32Array> = {};
  for (const [key, array] of Object.entries(optimizer.exportState().tensors)) state[key] = array as Float32Array;
  return { theta: Float32Array.from(p.theta), table: Float32Array.from(p.table), state };
}

describe('element-wise kernels', () => {
  it('load with the other kernels', () => {
    expect(elementwiseKernels()).not.toBeNull();
  });

  for (const name of ['adam', 'adagrad'] as const) {
    it(`${name}: float32 update in kernel memory gives the TypeScript loop's bits (dense and sparse rows, every n mod 4)`, () => {
      for (const n of SIZES) {
        const heap = runSteps(name, n, false);
        const wasm = runSteps(name, n, true);
        expect(wasm.theta).toEqual(heap.theta);
        expect(wasm.table).toEqual(heap.table);
        expect(Object.keys(wasm.state).sort()).toEqual(Object.keys(heap.state).sort());
        for (const key of Object.keys(heap.state)) expect(wasm.state[key]).toEqual(heap.state[key]);
        // Not a no-op: the parameters moved.
        if (n > 0) expect(wasm.theta).not.toEqual(problem(n, false).theta);
      }
    });
  }

  it('adam in float32 stays within float32 rounding of the float64 update', () => {
    const run = (dtype: 'float32' | 'float64'): number[] => {
      const values = dtype === 'float32' ? kernelFloats(6) : new Float64Array(6);
      const grad = dtype === 'float32' ? kernelFloats(6) : new Float64Array(6);
      values.set([1, -2, 0.5, 3, -0.25, 0]);
      const opt = createOptimizer({ dense: [{ name: 'w', values, grad, lrScale: 1 }], tables: [] }, BASE);
      for (let t = 0; t < 20; t++) {
        grad.set([Math.sin(t), Math.cos(t), 0.1 * t, -1, 2, 1e-3]);
        opt.step(0.05);
      }
      return Array.from(values);
    };
    const single = run('float32');
    const double = run('float64');
    single.forEach((v, i) => expect(Math.abs(v - double[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(double[i]))));
  });

  it('L2 penalty and gradient: the kernel and the TypeScript loop give the same bits', () => {
    for (const kernels of [true, false]) {
      const results: { penalty: number; gW: Float32Array; gU: Float32Array }[] = [];
      for (const backend of ['wasm', 'plain'] as const) {
        setKernelBackend(backend);
        const words = createTable('word', 10, 5, 'float32', true);
        const model = new WindowScorer({ positions: 3, tables: [words], hidden: 13, labels: 7, activation: getActivation('tanh'), dropout: 0, dtype: 'float32' });
        model.params.data.forEach((_, i, a) => (a[i] = Math.sin(i * 0.37) * 0.3));
        model.grads.data.forEach((_, i, a) => (a[i] = Math.cos(i * 0.11) * 1e-3));
        const penalty = new Regularizer({ l2: 3e-4, l1: 0, l2_embeddings: kernels, l1_embeddings: false }).apply(model, true);
        results.push({ penalty, gW: Float32Array.from(model.grads.W), gU: Float32Array.from(model.grads.U) });
      }
      expect(results[0].penalty).toBe(results[1].penalty);
      expect(results[0].gW).toEqual(results[1].gW);
      expect(results[0].gU).toEqual(results[1].gU);
    }
  });

  it('Bernoulli masks: the kernel draws what Rng.fillBernoulli draws on the heap, and leaves the generator in the same state', () => {
    for (const keep of [0.5, 0.3, 0.999, 1, 0]) {
      for (const n of [...SIZES, 9600]) {
        const heapRng = new Rng(1234);
        const kernelRng = new Rng(1234);
        const heap = new Float32Array(n);
        const inKernels = kernelFloats(n + 3).fill(7);
        heapRng.fillBernoulli(heap, n, keep, keep > 0 ? 1 / keep : 0, -1);
        kernelRng.fillBernoulli(inKernels.subarray(0, n), n, keep, keep > 0 ? 1 / keep : 0, -1);
        expect(inKernels.subarray(0, n)).toEqual(heap);
        // Nothing written past n.
        expect(Array.from(inKernels.subarray(n))).toEqual([7, 7, 7]);
        expect(kernelRng.getState()).toEqual(heapRng.getState());
      }
    }
  });

  it('mul, tanh backward and column sums: the kernels give the TypeScript loops\' bits, in place too', () => {
    const rng = new Rng(7);
    for (const n of SIZES) {
      const a = filled(n, rng, 1, true);
      const b = filled(n, rng, 3, true);
      const out = kernelFloats(n);
      expect(multiplyInKernels(out, a, b, n)).toBe(true);
      for (let i = 0; i < n; i++) expect(out[i]).toBe(Math.fround(a[i] * b[i]));
      const copy = Float32Array.from(a);
      multiplyInKernels(a, a, b, n);
      for (let i = 0; i < n; i++) expect(a[i]).toBe(Math.fround(copy[i] * b[i]));

      const grad = filled(n, rng, 2, true);
      const before = Float32Array.from(grad);
      const act = filled(n, rng, 1, true);
      expect(tanhBackwardInKernels(grad, act, n)).toBe(true);
      for (let i = 0; i < n; i++) expect(grad[i]).toBe(Math.fround(before[i] * (1 - act[i] * act[i])));
    }
    for (const [rows, cols] of [[1, 1], [3, 5], [32, 300], [7, 9], [0, 4]]) {
      const m = filled(rows * cols, rng, 1, true);
      const sums = filled(cols, rng, 1, true);
      const want = Float32Array.from(sums);
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) want[j] += m[r * cols + j];
      expect(columnSumsInKernels(sums, m, rows, cols)).toBe(true);
      expect(sums).toEqual(want);
    }
    // fillZero: every length, in kernel memory or not, and nothing past the end.
    for (const n of SIZES) {
      const block = kernelFloats(n + 3).fill(5);
      const view = block.subarray(0, n);
      fillZero(view);
      expect(Array.from(block)).toEqual([...Array.from({ length: n }, () => 0), 5, 5, 5]);
      const heap = new Float32Array(n).fill(5);
      fillZero(heap);
      expect(heap.every((v) => v === 0)).toBe(true);
    }
    // Arrays outside the kernels' memory are left to the caller.
    expect(multiplyInKernels(new Float32Array(2), kernelFloats(2), kernelFloats(2), 2)).toBe(false);
  });

  it('gather: the kernel builds the same input rows as the TypeScript loop, for several tables of odd widths', () => {
    const rng = new Rng(11);
    const words = createTable('word', 20, 7, 'float32', true);
    const caps = createTable('caps', 6, 5, 'float32', true);
    for (const t of [words, caps]) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-1, 1);
    const model = new WindowScorer({ positions: 3, tables: [words, caps], hidden: 4, labels: 3, activation: getActivation('tanh'), dropout: 0, dtype: 'float32' });
    const B = 9;
    const heapIds = new Int32Array(B * 3 * 2);
    for (let i = 0; i < heapIds.length; i++) heapIds[i] = i % 2 === 0 ? rng.int(20) : rng.int(6);
    const kernelIds = kernelInt32s(heapIds.length);
    kernelIds.set(heapIds);
    const viaLoop = Float32Array.from(model.gatherInputs(heapIds, B));
    const viaKernel = Float32Array.from(model.gatherInputs(kernelIds, B));
    expect(viaKernel).toEqual(viaLoop);
    // Row 0, position 0: word row then caps row.
    const w0 = heapIds[0];
    const c0 = heapIds[1];
    expect(Array.from(viaKernel.subarray(0, 7))).toEqual(Array.from(words.data.subarray(w0 * 7, w0 * 7 + 7)));
    expect(Array.from(viaKernel.subarray(7, 12))).toEqual(Array.from(caps.data.subarray(c0 * 5, c0 * 5 + 5)));
  });

  it('scatter: the kernel fills the sparse row gradients as SparseRowGrad.add does (slots in order, repeated rows added)', () => {
    const run = (inKernels: boolean): { rows: number[][]; grads: number[][] } => {
      const words = createTable('word', 6, 7, 'float32', true);
      const caps = createTable('caps', 3, 5, 'float32', true);
      for (const t of [words, caps]) for (let i = 0; i < t.data.length; i++) t.data[i] = Math.sin(i + t.dim);
      const model = new WindowScorer({ positions: 3, tables: [words, caps], hidden: 4, labels: 3, activation: getActivation('tanh'), dropout: 0, dtype: 'float32' });
      model.params.data.forEach((_, i, a) => (a[i] = Math.cos(i) * 0.5));
      const B = 11;
      const source = new Rng(3);
      const heapIds = new Int32Array(B * 3 * 2);
      // Few rows, so that most repeat.
      for (let i = 0; i < heapIds.length; i++) heapIds[i] = i % 2 === 0 ? source.int(6) : source.int(3);
      const ids = inKernels ? kernelInt32s(heapIds.length) : heapIds;
      ids.set(heapIds);
      model.zeroGrad();
      model.forward(ids, B, false);
      const dS = new Float32Array(B * 3).map((_, i) => Math.sin(i * 1.7));
      // Twice: the second pass adds into rows the first one placed.
      model.backward(dS, ids, B);
      model.backward(dS, ids, B);
      return {
        rows: model.tableGrads.map((tg) => Array.from(tg.rowIds.subarray(0, tg.count))),
        grads: model.tableGrads.map((tg) => Array.from(tg.grad.subarray(0, tg.count * tg.table.dim))),
      };
    };
    const viaLoop = run(false);
    const viaKernel = run(true);
    expect(viaKernel.rows).toEqual(viaLoop.rows);
    expect(viaKernel.grads).toEqual(viaLoop.grads);
    expect(viaKernel.rows[0].length).toBeGreaterThan(1);
  });
});
