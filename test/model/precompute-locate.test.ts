import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EncodedWindows } from '../../src/data/windows.js';
import { ACTIVATION_NAMES, type ActivationName } from '../../src/math/activations.js';
import { setKernelBackend, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { kernelInt32s } from '../../src/math/kernels/wasm-gemm.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import { xavierInit } from '../../src/model/params.js';
import { PrecomputedScorer } from '../../src/model/precompute.js';
import { predictLabelIds } from '../../src/model/predict.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { kernels, maxAbs, maxAbsDiff, scoresOf, sentenceWindows, typeScriptScores } from './precompute-helpers.js';

/**
 * The row look-ups on the kernels (tag_locate, and tag_windows' chunks that look up their
 * own rows) against the TypeScript path: the index itself, then whole models of odd shapes
 * with every activation on one and two threads, over inputs that mix tokens the pool has
 * and tokens it meets for the first time, and bad ids.
 */

afterEach(() => setKernelBackend('wasm'));
afterAll(() => setKernelThreads(1));

describe('tag_locate', () => {
  it('gives each token the row at its mixed-radix index, counts the tokens without one, and rejects bad ids', () => {
    const k = kernels();
    const m = k.memory;
    const rng = new Rng(5);
    for (const radices of [[7], [1], [13, 3], [5, 1, 9], [3, 2, 2, 5]]) {
      const T = radices.length;
      const tuples = radices.reduce((a, b) => a * b, 1);
      const index = kernelInt32s(tuples);
      // About a third of the tuples without a row (0).
      for (let i = 0; i < tuples; i++) index[i] = rng.uniform() < 0.33 ? 0 : 4096 + 16 * rng.int(100_000);
      const rad = kernelInt32s(T);
      rad.set(radices);
      for (const count of [0, 1, 3, 17, 64]) {
        const ids = kernelInt32s(Math.max(1, count * T));
        for (let i = 0; i < count * T; i++) ids[i] = rng.int(radices[i % T]);
        const rowAt = kernelInt32s(Math.max(1, count));
        let missing = 0;
        const expected: number[] = [];
        for (let p = 0; p < count; p++) {
          let x = 0;
          for (let t = 0; t < T; t++) x = x * radices[t] + ids[p * T + t];
          expected.push(index[x]);
          if (index[x] === 0) missing++;
        }
        const label = `radices ${radices.join('×')}, ${count} tokens`;
        expect(k.tag_locate(count, m.pointer(ids), T, m.pointer(rad), m.pointer(index), m.pointer(rowAt)), label).toBe(missing);
        expect(Array.from(rowAt.subarray(0, count)), label).toEqual(expected);
        if (count > 0) {
          for (const bad of [radices[T - 1], -1, 1 << 30]) {
            const at = (count - 1) * T + T - 1;
            const keep = ids[at];
            ids[at] = bad;
            expect(k.tag_locate(count, m.pointer(ids), T, m.pointer(rad), m.pointer(index), m.pointer(rowAt)), `${label}, id ${bad}`).toBe(-1);
            ids[at] = keep;
          }
        }
      }
    }
  });
});

const BASE: ModelSpec = {
  halfWidth: 2, vocabSize: 61, wordDim: 7, wordsTrainable: true, capsDim: 3,
  suffixRows: 9, suffixDim: 2, prefixRows: 0, prefixDim: 0,
  hidden: 17, labels: 7, activation: 'tanh', leakySlope: 0.05, dropout: 0,
};

function randomModel(spec: ModelSpec, seed: number): WindowScorer {
  const model = createScorer(spec);
  const rng = new Rng(seed);
  xavierInit(model.params, rng);
  for (const t of model.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  for (const v of [model.params.b, model.params.c]) for (let i = 0; i < v.length; i++) v[i] = 0.5 * rng.normal();
  return model;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Windows a..b of an input, as an input of their own. */
function slice(windows: EncodedWindows, a: number, b: number): EncodedWindows {
  const stride = windows.positions * windows.tables;
  return { ...windows, ids: windows.ids.slice(a * stride, b * stride), count: b - a, sentenceStarts: Int32Array.of(0, b - a) };
}

describe('PrecomputedScorer with chunks that look up their own rows', () => {
  const shapes: Partial<ModelSpec>[] = [
    {},
    // Words only, as the bench's model.
    { hidden: 31, labels: 9, capsDim: 0, suffixRows: 0, suffixDim: 0, vocabSize: 500 },
    { hidden: 1, labels: 1, halfWidth: 0 },
    { hidden: 6, labels: 2, halfWidth: 1, capsDim: 0, suffixRows: 0, suffixDim: 0 },
    { hidden: 33, labels: 5, halfWidth: 3, vocabSize: 300 },
    { hidden: 10, labels: 3, halfWidth: 4, vocabSize: 200 },
  ];

  for (const threads of [1, 2]) {
    it(`scores as the TypeScript path and tags as the plain forward, cold and warm, every activation, odd shapes, ${threads} thread(s)`, () => {
      setKernelThreads(threads);
      if (threads > 1) expect(waitForKernelThreads(20_000)).toBe(true);
      shapes.forEach((shape, s) => {
        for (const activation of ACTIVATION_NAMES as readonly ActivationName[]) {
          const model = randomModel({ ...BASE, ...shape, activation }, 70 + s);
          const windows = sentenceWindows(model, 1100, 80 + s);
          const label = `shape ${s} ${activation}`;
          const expected = typeScriptScores(model, windows, 256);
          const scorer = new PrecomputedScorer(model, { minWindows: 0 });
          // The first half of the input from the most frequent rows only, so that the
          // second has passes mixing rows in the pool with rows met for the first time.
          const first = scoresOf(scorer, sentenceWindows(model, 400, 90 + s, 0.3), 256);
          expect(first.length).toBe(400 * model.K);
          expect(scorer.locatesOnKernels, label).toBe(true);
          const cold = scoresOf(scorer, windows, 256);
          const warm = scoresOf(scorer, windows, 256);
          expect(maxAbsDiff(cold, expected), label).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
          expect(sameBits(warm, cold), label).toBe(true);
          // Odd batch sizes: chunks that are not whole units, and passes of one window.
          expect(sameBits(scoresOf(scorer, windows, 97), cold), label).toBe(true);
          expect(sameBits(scoresOf(scorer, slice(windows, 3, 4), 1), cold.slice(3 * model.K, 4 * model.K)), label).toBe(true);
          if (threads > 1) expect(scorer.threadedPasses, label).toBeGreaterThan(0);
          expect(Array.from(predictLabelIds(scorer, windows, 256)), label).toEqual(Array.from(predictLabelIds(model, windows, 256)));
        }
      });
      setKernelThreads(1);
    });
  }

  it('gives bitwise the same scores on one and two threads, the rows met in any order', () => {
    const model = randomModel({ ...BASE, hidden: 50, labels: 9, vocabSize: 400 }, 11);
    const windows = sentenceWindows(model, 3000, 12);
    setKernelThreads(1);
    const one = new PrecomputedScorer(model, { minWindows: 0 });
    const a = scoresOf(one, windows, 256);
    setKernelThreads(2);
    expect(waitForKernelThreads(20_000)).toBe(true);
    const two = new PrecomputedScorer(model, { minWindows: 0 });
    // A different order of first sight: the second half first.
    scoresOf(two, slice(windows, 1500, 3000), 256);
    const b = scoresOf(two, windows, 256);
    const c = scoresOf(two, windows, 256);
    expect(two.threadedPasses).toBeGreaterThan(0);
    expect(sameBits(b, a)).toBe(true);
    expect(sameBits(c, a)).toBe(true);
    setKernelThreads(1);
  });

  it('falls back to the slots and per-window products when the pool is full, with the same scores', () => {
    const model = randomModel({ ...BASE, halfWidth: 3, vocabSize: 3000, hidden: 13, labels: 5 }, 7);
    const windows = sentenceWindows(model, 1500, 8);
    const expected = typeScriptScores(model, windows, 300);
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      if (threads > 1) expect(waitForKernelThreads(20_000)).toBe(true);
      const scorer = new PrecomputedScorer(model, { minWindows: 0, budgetBytes: 60 * new PrecomputedScorer(model).rowBytes });
      const cold = scoresOf(scorer, windows, 300);
      expect(scorer.locatesOnKernels).toBe(true);
      expect(scorer.pooledRows).toBe(60);
      expect(maxAbsDiff(cold, expected)).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
      expect(sameBits(scoresOf(scorer, windows, 300), cold)).toBe(true);
    }
    setKernelThreads(1);
  });

  it('reports a bad id as checkRows does, on a warm scorer, and keeps scoring after it', () => {
    const model = randomModel(BASE, 21);
    const windows = sentenceWindows(model, 600, 22);
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      if (threads > 1) expect(waitForKernelThreads(20_000)).toBe(true);
      const scorer = new PrecomputedScorer(model, { minWindows: 0 });
      const good = scoresOf(scorer, windows, 256);
      expect(scorer.locatesOnKernels).toBe(true);
      const T = model.tables.length;
      for (const [at, bad] of [[0, model.tables[0].rows], [T * 7 + 1, -3], [windows.ids.length - 1, 1 << 20]]) {
        const ids = windows.ids.slice();
        ids[at] = bad;
        expect(() => scoresOf(scorer, { ...windows, ids }, 256)).toThrow(/out of range/);
      }
      expect(sameBits(scoresOf(scorer, windows, 256), good)).toBe(true);
    }
    setKernelThreads(1);
  });

  it('keeps the TypeScript look-up for models with too many possible tuples for an index', () => {
    const model = randomModel({ ...BASE, vocabSize: 30_000, capsDim: 3, suffixRows: 200, suffixDim: 2 }, 31);
    const windows = sentenceWindows(model, 600, 32);
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    const got = scoresOf(scorer, windows, 256);
    expect(scorer.onKernels).toBe(true);
    expect(scorer.locatesOnKernels).toBe(false);
    const expected = typeScriptScores(model, windows, 256);
    expect(maxAbsDiff(got, expected)).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
  });
});
