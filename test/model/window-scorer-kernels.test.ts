import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getActivation } from '../../src/math/activations.js';
import { kernelInfo, setKernelBackend, setKernelSplitting, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { Rng } from '../../src/math/random.js';
import { createTable } from '../../src/model/embedding.js';
import { xavierInit } from '../../src/model/params.js';
import { fitPreprocessor, noPreprocessing, type PreprocessMode } from '../../src/model/preprocess.js';
import { WindowScorer } from '../../src/model/window-scorer.js';
import { pass } from './scorer-pass.js';

/**
 * The window scorer's forward and backward passes on the WebAssembly kernels against the
 * plain TypeScript kernels (close), and on two threads against one (bitwise), at the
 * model's real sizes: 5 positions of words (d = 50) and caps (d = 5), D = 275, H = 300,
 * K = 9, tanh, dropout.
 */

const VOCAB = 400;

function scorer(rng: Rng, mode: PreprocessMode): WindowScorer {
  const words = createTable('word', VOCAB, 50, 'float32', true);
  const caps = createTable('caps', 4, 5, 'float32', true);
  for (const t of [words, caps]) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.range(-1, 1);
  const model = new WindowScorer({ positions: 5, tables: [words, caps], hidden: 300, labels: 9, activation: getActivation('tanh', 0), dropout: 0.5, dtype: 'float32' });
  xavierInit(model.params, rng);
  for (let i = 0; i < model.params.b.length; i++) model.params.b[i] = rng.range(-0.1, 0.1);
  if (mode !== 'none') {
    const ids = windows(256, rng);
    const X = Float32Array.from(model.gatherInputs(ids, 256));
    model.setPreprocessor(fitPreprocessor(mode, model.D, () => [{ X, B: 256 }], 1e-3));
  } else {
    model.setPreprocessor(noPreprocessing(model.D));
  }
  return model;
}

function windows(B: number, rng: Rng): Int32Array {
  const ids = new Int32Array(B * 5 * 2);
  for (let i = 0; i < ids.length; i += 2) {
    ids[i] = rng.int(VOCAB);
    ids[i + 1] = rng.int(4);
  }
  return ids;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function bitwise(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

// Split every large product, not only those the timing policy finds worth it.
beforeAll(() => setKernelSplitting('always'));

afterAll(() => {
  setKernelBackend('wasm');
  setKernelThreads(1);
  setKernelSplitting('adaptive');
});

describe('window scorer on the fast kernels', () => {
  for (const mode of ['none', 'whiten'] as const) {
    for (const B of [1, 32, 67]) {
      it(`preprocessing ${mode}, B = ${B}: scores and every gradient agree with the plain kernels to 1e-5 of their magnitude; two threads give bitwise one thread's`, () => {
        const rng = new Rng(31 + B);
        const model = scorer(rng, mode);
        const ids = windows(B, rng);
        const mask = Float32Array.from({ length: B * 300 }, () => (rng.uniform() < 0.5 ? 2 : 0));
        const dS = Float32Array.from({ length: B * 9 }, () => rng.range(-1, 1));

        setKernelBackend('plain');
        const plain = pass(model, ids, B, mask, dS);
        setKernelBackend('wasm');
        expect(kernelInfo().backend).toBe('wasm');
        setKernelThreads(1);
        const one = pass(model, ids, B, mask, dS);

        expect(maxAbsDiff(one.S, plain.S)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(plain.S)));
        expect(maxAbsDiff(one.grads, plain.grads)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(plain.grads)));
        for (let t = 0; t < plain.tables.length; t++) {
          expect(Array.from(one.rows[t])).toEqual(Array.from(plain.rows[t]));
          expect(maxAbsDiff(one.tables[t], plain.tables[t])).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(plain.tables[t])));
        }

        setKernelThreads(2);
        expect(waitForKernelThreads(20_000)).toBe(true);
        const splits = kernelInfo().splits;
        const two = pass(model, ids, B, mask, dS);
        if (B > 1) expect(kernelInfo().splits).toBeGreaterThan(splits);
        expect(bitwise(two.S, one.S)).toBe(true);
        expect(bitwise(two.grads, one.grads)).toBe(true);
        for (let t = 0; t < one.tables.length; t++) expect(bitwise(two.tables[t], one.tables[t])).toBe(true);
        setKernelThreads(1);
      });
    }
  }
});
