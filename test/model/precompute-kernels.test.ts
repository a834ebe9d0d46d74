import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EncodedWindows } from '../../src/data/windows.js';
import { ACTIVATION_NAMES, getActivation, type ActivationName } from '../../src/math/activations.js';
import { setKernelBackend, setKernelThreads, waitForKernelThreads } from '../../src/math/gemm.js';
import { kernelFloats } from '../../src/math/kernels/wasm-gemm.js';
import { ACTIVATION_CODES } from '../../src/math/kernels/tagging.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import { xavierInit } from '../../src/model/params.js';
import { PrecomputedScorer } from '../../src/model/precompute.js';
import { predictLabelIds } from '../../src/model/predict.js';
import { fitPreprocessor } from '../../src/model/preprocess.js';
import { DirectMap, TupleMap, tokenMap } from '../../src/model/tuple-map.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';
import { kernels, maxAbs, maxAbsDiff, scoresOf, sentenceWindows, typeScriptScores } from './precompute-helpers.js';

/**
 * The tagging kernel (wat-tagging.ts) against the TypeScript path of PrecomputedScorer and
 * the exact functions: its activations over float32 inputs, whole models of odd shapes
 * with every activation, and the split of passes over threads (bitwise the one-thread
 * result).
 */

afterEach(() => setKernelBackend('wasm'));
afterAll(() => setKernelThreads(1));

/** f(x) for every x through tag_hidden with one position of one row per window: each window is one vector of 4. */
function kernelActivation(act: ActivationName, slope: number, xs: Float32Array): Float32Array {
  const k = kernels();
  const m = k.memory;
  const n = Math.ceil(xs.length / 4);
  const rows = kernelFloats(4 * n);
  rows.set(xs);
  const rowAtBlock = kernelFloats(n);
  const rowAt = new Int32Array(rowAtBlock.buffer, rowAtBlock.byteOffset, n);
  for (let i = 0; i < n; i++) rowAt[i] = m.pointer(rows) + 16 * i;
  // −0, which adds nothing to any x (+0 would turn −0 into +0).
  const bias = kernelFloats(4).fill(-0);
  const A = kernelFloats(4 * n);
  k.tag_hidden(n, m.pointer(rowAtBlock), 1, 4, m.pointer(bias), m.pointer(A), 4, ACTIVATION_CODES[act], 0, slope, 0, 0);
  return A.slice(0, xs.length);
}

/** Float32 inputs: every 2^stride-th bit pattern of the positive floats below `max`, both signs, and the special values. */
function float32Sweep(max: number, stride: number): Float32Array {
  const top = new Uint32Array(Float32Array.of(max).buffer)[0];
  const bits: number[] = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 1, 0x80000001];
  for (let b = 0; b < top; b += stride) bits.push(b, b | 0x80000000);
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** Whether a and b hold the same floats, −0 and NaN included (any NaN matches any NaN). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** |got − exact| in units of the float32 spacing at the exact value. */
function ulps(got: number, exact: number): number {
  if (Number.isNaN(exact)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(exact)) return got === exact ? 0 : Infinity;
  const r = Math.abs(Math.fround(exact));
  const spacing = r < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(r)) - 23);
  return Math.abs(got - exact) / spacing;
}

describe('tag_hidden activations: within a few ulps of the exact function, special values as TypeScript gives them', () => {
  const xs = float32Sweep(30, 4093);

  it('tanh: within 1.2 ulp of Math.tanh; ±0, ±∞ and NaN as Math.tanh', () => {
    const got = kernelActivation('tanh', 0, xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, ulps(got[i], Math.tanh(xs[i])));
    expect(worst).toBeLessThan(1.2);
    expect(Object.is(got[0], 0) && Object.is(got[1], -0)).toBe(true);
    expect([got[2], got[3]]).toEqual([1, -1]);
    expect(Number.isNaN(got[4])).toBe(true);
  });

  it('sigmoid: within 2.5 ulp where it is above 1e-37, within 1e-37 below', () => {
    const got = kernelActivation('sigmoid', 0, xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const exact = 1 / (1 + Math.exp(-xs[i]));
      if (Number.isNaN(exact)) expect(Number.isNaN(got[i])).toBe(true);
      else if (exact > 1e-37) worst = Math.max(worst, ulps(got[i], exact));
      else expect(Math.abs(got[i] - exact)).toBeLessThan(1e-37);
    }
    expect(worst).toBeLessThan(2.5);
  });

  it('softsign within 1.5 ulp; hardtanh and relu exactly as TypeScript stores them; leaky-relu rounds its float32 slope once', () => {
    const softsign = kernelActivation('softsign', 0, xs);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, ulps(softsign[i], xs[i] / (1 + Math.abs(xs[i]))));
    expect(worst).toBeLessThan(1.5);
    for (const act of ['hardtanh', 'relu'] as const) {
      const expected = new Float32Array(xs.length);
      getActivation(act).forward(expected, xs, xs.length);
      expect(sameBits(kernelActivation(act, 0, xs), expected), act).toBe(true);
    }
    const slope = 0.1;
    const expected = xs.map((x) => (x > 0 ? x : Math.fround(slope) * x));
    expect(sameBits(kernelActivation('leaky-relu', slope, xs), expected)).toBe(true);
  });
});

const BASE: ModelSpec = {
  halfWidth: 2, vocabSize: 61, wordDim: 7, wordsTrainable: true, capsDim: 3,
  suffixRows: 9, suffixDim: 2, prefixRows: 0, prefixDim: 0,
  hidden: 17, labels: 7, activation: 'tanh', leakySlope: 0.05, dropout: 0,
};

function randomModel(spec: ModelSpec, seed: number, scale = 1): WindowScorer {
  const model = createScorer(spec);
  const rng = new Rng(seed);
  xavierInit(model.params, rng);
  for (const t of model.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.normal();
  for (const v of [model.params.b, model.params.c]) for (let i = 0; i < v.length; i++) v[i] = 0.5 * rng.normal();
  return model;
}

describe('PrecomputedScorer on the kernels against its TypeScript path', () => {
  it('gives the same scores to float32 rounding and the same tags, for every activation and odd H and K', () => {
    const shapes: Partial<ModelSpec>[] = [
      {},
      { hidden: 1, labels: 1, halfWidth: 0 },
      { hidden: 6, labels: 2, halfWidth: 1, capsDim: 0, suffixRows: 0, suffixDim: 0 },
      { hidden: 33, labels: 9, halfWidth: 3 },
      // Nine positions: the kernel's generic sum (one to eight have their own).
      { hidden: 10, labels: 3, halfWidth: 4, vocabSize: 200 },
    ];
    shapes.forEach((shape, s) => {
      for (const activation of ACTIVATION_NAMES as readonly ActivationName[]) {
        const model = randomModel({ ...BASE, ...shape, activation }, 40 + s, s === 3 ? 2 : 1);
        const windows = sentenceWindows(model, 700, 50 + s);
        const onKernels = new PrecomputedScorer(model, { minWindows: 0 });
        const got = scoresOf(onKernels, windows, 300);
        expect(onKernels.onKernels).toBe(true);
        const expected = typeScriptScores(model, windows, 300);
        const label = `shape ${s} ${activation}`;
        expect(maxAbsDiff(got, expected), label).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
        expect(Array.from(predictLabelIds(onKernels, windows, 300)), label).toEqual(Array.from(predictLabelIds(model, windows, 300)));
      }
    });
  });

  it('scores rows from the pool, the slots and the per-window products alike, with preprocessing folded in', () => {
    const model = randomModel({ ...BASE, halfWidth: 3, vocabSize: 3000, hidden: 13, labels: 5 }, 7);
    const rng = new Rng(8);
    // Random windows (not consecutive tokens): a pass needs more rows than it has slots.
    const count = 600;
    const T = model.tables.length;
    const ids = new Int32Array(count * model.positions * T);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.int(model.tables[i % T].rows);
    const windows: EncodedWindows = { ids, count, positions: model.positions, tables: T, sentenceStarts: Int32Array.of(0, count) };
    const X = model.gatherInputs(ids, count);
    model.setPreprocessor(fitPreprocessor('whiten', model.D, () => [{ X: Float64Array.from(X), B: count }], 0.01));
    const expected = typeScriptScores(model, windows, 300);
    const scorer = new PrecomputedScorer(model, { minWindows: 0, budgetBytes: 100 * new PrecomputedScorer(model).rowBytes });
    const got = scoresOf(scorer, windows, 300);
    expect(scorer.pooledRows).toBe(100);
    expect(scorer.stats.windowProducts).toBeGreaterThan(0);
    expect(maxAbsDiff(got, expected)).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
  });

  it('rebuilds its tables when the kernels are switched off or on', () => {
    const model = randomModel(BASE, 9);
    const windows = sentenceWindows(model, 100, 10);
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    const a = scoresOf(scorer, windows, 64);
    expect(scorer.onKernels).toBe(true);
    setKernelBackend('plain');
    const b = scoresOf(scorer, windows, 64);
    expect(scorer.onKernels).toBe(false);
    setKernelBackend('wasm');
    expect(Array.from(scoresOf(scorer, windows, 64))).toEqual(Array.from(a));
    expect(maxAbsDiff(a, b)).toBeLessThan(2e-6 * (1 + maxAbs(a)));
  });

  it('splits passes over threads with bitwise the one-thread scores', () => {
    const model = randomModel({ ...BASE, hidden: 50, labels: 9 }, 11);
    const windows = sentenceWindows(model, 3000, 12);
    setKernelThreads(1);
    const one = scoresOf(new PrecomputedScorer(model, { minWindows: 0 }), windows, 256);
    setKernelThreads(2);
    expect(waitForKernelThreads(20_000)).toBe(true);
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    const two = scoresOf(scorer, windows, 256);
    // The policy times a split pass first, then a whole one, then picks.
    expect(scorer.threadedPasses).toBeGreaterThan(0);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    setKernelThreads(1);
  });
});

describe('DirectMap: the TokenMap over every possible tuple', () => {
  it('finds what was added and forgets it on clear(), as TupleMap does', () => {
    const rows = [5, 3, 4];
    const direct = new DirectMap(rows, 60);
    const hashed = new TupleMap(3, 60);
    const rng = new Rng(3);
    const ids = new Int32Array(3);
    for (let i = 0; i < 200; i++) {
      for (let t = 0; t < 3; t++) ids[t] = rng.int(rows[t]);
      expect(direct.get(ids, 0)).toBe(hashed.get(ids, 0));
      if (direct.get(ids, 0) < 0 && direct.size < 60) {
        direct.add(ids, 0, i);
        hashed.add(ids, 0, i);
      }
    }
    expect(direct.size).toBe(hashed.size);
    direct.clear();
    expect(direct.size).toBe(0);
    for (let a = 0; a < 5; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) expect(direct.get(Int32Array.of(a, b, c), 0)).toBe(-1);
    expect(() => {
      for (let i = 0; i < 61; i++) direct.add(Int32Array.of(i % 5, (i / 5) % 3 | 0, (i / 15) % 4 | 0), 0, i);
    }).toThrow(/full/);
  });

  it('is what tokenMap picks for few possible tuples, TupleMap past DIRECT_LIMIT', () => {
    expect(tokenMap([20_000], 10)).toBeInstanceOf(DirectMap);
    expect(tokenMap([400_000, 5, 10], 10)).toBeInstanceOf(TupleMap);
  });
});
