import { describe, expect, it } from 'vitest';
import { LabelSet } from '../../src/data/labels.js';
import type { EncodedWindows } from '../../src/data/windows.js';
import { createDecoder, decodeLabelIds } from '../../src/decode/decoder.js';
import { ACTIVATION_NAMES, type ActivationName } from '../../src/math/activations.js';
import { Rng } from '../../src/math/random.js';
import { createScorer, type ModelSpec } from '../../src/model/create.js';
import { xavierInit } from '../../src/model/params.js';
import { PrecomputedScorer, foldPreprocessing } from '../../src/model/precompute.js';
import { predictLabelIds, predictScores, scoreInBatches, type Scorer } from '../../src/model/predict.js';
import { fitPreprocessor, type PreprocessMode } from '../../src/model/preprocess.js';
import { TransitionParams } from '../../src/model/transitions.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';

/** Four feature tables of odd sizes: words, caps, suffix, prefix. */
const SPEC: ModelSpec = {
  halfWidth: 1, vocabSize: 37, wordDim: 5, wordsTrainable: true, capsDim: 3,
  suffixRows: 11, suffixDim: 2, prefixRows: 7, prefixDim: 1,
  hidden: 13, labels: 5, activation: 'tanh', leakySlope: 0.1, dropout: 0.3,
};
const MODES: PreprocessMode[] = ['none', 'center', 'standardize', 'whiten'];

function randomModel(spec: ModelSpec, seed: number, dtype: 'float32' | 'float64' = 'float32'): WindowScorer {
  const model = createScorer(spec, dtype);
  const rng = new Rng(seed);
  xavierInit(model.params, rng);
  for (const t of model.tables) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  for (const v of [model.params.b, model.params.c]) for (let i = 0; i < v.length; i++) v[i] = 0.5 * rng.normal();
  return model;
}

/** count windows of random rows of every table (not consecutive tokens: many distinct rows per batch). */
function randomWindows(model: WindowScorer, count: number, seed: number): EncodedWindows {
  const rng = new Rng(seed);
  const T = model.tables.length;
  const ids = new Int32Array(count * model.positions * T);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.int(model.tables[i % T].rows);
  return { ids, count, positions: model.positions, tables: T, sentenceStarts: Int32Array.of(0, count) };
}

/** Windows over sentences of tokens, as encodeWindows lays them out (padding rows 1 and 2 of the word table, 0 of the others). */
function sentenceWindows(model: WindowScorer, lengths: number[], seed: number): EncodedWindows {
  const rng = new Rng(seed);
  const T = model.tables.length;
  const w = model.positions;
  const k = (w - 1) / 2;
  const count = lengths.reduce((a, b) => a + b, 0);
  const ids = new Int32Array(count * w * T);
  const starts = new Int32Array(lengths.length + 1);
  let n = 0;
  lengths.forEach((len, s) => {
    starts[s] = n;
    // Zipf-like rows: a few frequent ones, many rare.
    const tokens = Array.from({ length: len }, () => model.tables.map((t) => Math.min(t.rows - 1, 3 + Math.floor(Math.exp(rng.uniform() * Math.log(t.rows))))));
    for (let i = 0; i < len; i++, n++) {
      for (let j = 0; j < w; j++) {
        const p = i - k + j;
        for (let t = 0; t < T; t++) ids[(n * w + j) * T + t] = p < 0 ? (t === 0 ? 1 : 0) : p >= len ? (t === 0 ? 2 : 0) : tokens[p][t];
      }
    }
  });
  starts[lengths.length] = n;
  return { ids, count, positions: w, tables: T, sentenceStarts: starts };
}

function fitOn(model: WindowScorer, windows: EncodedWindows, mode: PreprocessMode): void {
  const stride = windows.positions * windows.tables;
  const p = fitPreprocessor(mode, model.D, () => [{ X: Float64Array.from(model.gatherInputs(windows.ids.subarray(0, windows.count * stride), windows.count)), B: windows.count }], 0.01);
  model.setPreprocessor(p);
}

function scoresOf(scorer: Scorer, windows: EncodedWindows, batch: number): Float64Array {
  const K = scorer.K;
  const out = new Float64Array(windows.count * K);
  scoreInBatches(scorer, windows, batch, (S, start, B) => {
    for (let i = 0; i < B * K; i++) out[start * K + i] = S[i];
  });
  return out;
}

/** The same model in float64: the reference both float32 paths are measured against. */
function float64Twin(model: WindowScorer, spec: ModelSpec): WindowScorer {
  const twin = createScorer(spec, 'float64');
  twin.params.data.set(model.params.data);
  model.tables.forEach((t, i) => twin.tables[i].data.set(t.data));
  const p = model.inputPreprocessor;
  if (p) twin.setPreprocessor(p);
  return twin;
}

/** Distinct tokens (tuples of table rows) over every position of every window. */
function distinctTokens(windows: EncodedWindows): number {
  const tokens = new Set<string>();
  const T = windows.tables;
  for (let i = 0; i < windows.count * windows.positions; i++) tokens.add(windows.ids.subarray(i * T, (i + 1) * T).join(','));
  return tokens.size;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe('PrecomputedScorer: the first layer from tables of W_j·e', () => {
  it('gives the plain forward pass scores for every preprocessing mode and activation, to float32 rounding', () => {
    let worstRatio = 0;
    for (const mode of MODES) {
      for (const activation of ACTIVATION_NAMES as readonly ActivationName[]) {
        const spec = { ...SPEC, activation };
        const model = randomModel(spec, 11);
        const windows = sentenceWindows(model, [1, 4, 9, 2, 17, 6, 30, 3, 12], 3);
        fitOn(model, windows, mode);
        const reference = scoresOf(float64Twin(model, spec), windows, 64);
        const plain = scoresOf(model, windows, 64);
        const tables = scoresOf(new PrecomputedScorer(model, { minWindows: 0 }), windows, 64);
        const plainError = maxAbsDiff(plain, reference);
        const tableError = maxAbsDiff(tables, reference);
        const scale = maxAbs(reference);
        // Both paths are float32 computations of the same function: a few ulps of the largest scores.
        expect(tableError, `${mode} ${activation}`).toBeLessThan(1e-6 * (1 + scale));
        expect(maxAbsDiff(tables, plain), `${mode} ${activation}`).toBeLessThan(2e-6 * (1 + scale));
        worstRatio = Math.max(worstRatio, tableError / Math.max(plainError, 1e-7 * (1 + scale)));
      }
    }
    // Not a looser approximation than the plain path itself.
    expect(worstRatio).toBeLessThan(3);
  });

  it('handles windows of 1 to 11 positions, a single table and odd sizes', () => {
    const shapes: ModelSpec[] = [
      { ...SPEC, halfWidth: 0, capsDim: 0, suffixRows: 0, suffixDim: 0, prefixRows: 0, prefixDim: 0, hidden: 1, labels: 1 },
      { ...SPEC, halfWidth: 3, wordDim: 1, capsDim: 0, hidden: 31, labels: 9, activation: 'relu' },
      { ...SPEC, halfWidth: 2, vocabSize: 4, prefixRows: 0, prefixDim: 0, hidden: 6, labels: 2, activation: 'hardtanh' },
      // Nine and eleven positions: the generic sum (one, three, five and seven have their own loops).
      { ...SPEC, halfWidth: 4, hidden: 9, activation: 'sigmoid' },
      { ...SPEC, halfWidth: 5, capsDim: 0, hidden: 5, activation: 'softsign' },
    ];
    shapes.forEach((spec, s) => {
      const model = randomModel(spec, 20 + s);
      const windows = sentenceWindows(model, [5, 1, 8], 4 + s);
      for (const mode of MODES) {
        fitOn(model, windows, mode);
        const plain = scoresOf(model, windows, 3);
        const tables = scoresOf(new PrecomputedScorer(model, { minWindows: 0 }), windows, 3);
        expect(maxAbsDiff(tables, plain), `shape ${s} ${mode}`).toBeLessThan(1e-5 * (1 + maxAbs(plain)));
      }
    });
  });

  it('gives the same scores whether a row sits in the pool, in a pass slot, or is computed per window', () => {
    // Seven positions over 5,000 words: a pass of 128 random windows needs more distinct rows than it has slots.
    const spec = { ...SPEC, halfWidth: 3, vocabSize: 5000, hidden: 10 };
    const model = randomModel(spec, 5);
    const windows = randomWindows(model, 700, 6);
    fitOn(model, windows, 'whiten');
    const full = new PrecomputedScorer(model, { minWindows: 0 });
    const expected = scoresOf(full, windows, 700);
    // The default budget holds every token here: each one the input has is in the pool, computed once.
    const used = distinctTokens(windows);
    expect(full.pooledRows).toBe(used);
    expect(full.stats).toEqual({ rowFills: used, windowProducts: 0 });
    scoresOf(full, windows, 700);
    expect(full.stats.rowFills).toBe(used);
    const rowBytes = full.rowBytes;
    for (const poolRows of [0, 1, 30, 500]) {
      const scorer = new PrecomputedScorer(model, { minWindows: 0, budgetBytes: poolRows * rowBytes });
      const got = scoresOf(scorer, windows, 300);
      expect(scorer.poolRows).toBe(poolRows);
      expect(scorer.pooledRows).toBe(poolRows);
      // Rows past the pool were computed into slots, and past the slots per window.
      expect(scorer.stats.rowFills).toBeGreaterThan(poolRows);
      expect(scorer.stats.windowProducts).toBeGreaterThan(0);
      expect(maxAbsDiff(got, expected), `pool of ${poolRows} rows`).toBeLessThan(2e-6 * (1 + maxAbs(expected)));
      // A second pass over the same input: the pool is kept, slots are not, and nothing changes.
      expect(maxAbsDiff(scoresOf(scorer, windows, 300), got)).toBe(0);
    }
  });
});

describe('PrecomputedScorer: when the tables are built, and what they hold', () => {
  it('builds nothing for a few tokens: the plain path scores them, until minWindows windows were seen', () => {
    const model = randomModel(SPEC, 8);
    const small = sentenceWindows(model, [3, 4], 9);
    const scorer = new PrecomputedScorer(model, { minWindows: 20 });
    const plain = predictLabelIds(model, small, 16);
    expect(Array.from(predictLabelIds(scorer, small, 16))).toEqual(Array.from(plain));
    expect(scorer.built).toBe(false);
    expect(scorer.bytes).toBe(0);
    expect(scorer.pooledRows).toBe(0);
    predictLabelIds(scorer, small, 16); // 14 windows seen
    expect(scorer.built).toBe(false);
    predictLabelIds(scorer, small, 16); // 21: worth building now
    expect(scorer.built).toBe(true);
    expect(scorer.bytes).toBeGreaterThan(0);
    expect(scorer.pooledRows).toBe(distinctTokens(small));
    // Once built, even one token goes through the tables.
    expect(scorer.useTablesFor(1)).toBe(true);
  });

  it('holds at most the budget, or every possible token of a small model; uses only what the input needs', () => {
    const tiny = randomModel({ ...SPEC, vocabSize: 4, suffixRows: 3, prefixRows: 2 }, 1); // 4·6·3·2 = 144 possible tokens
    const windows = randomWindows(tiny, 50, 2);
    const roomy = new PrecomputedScorer(tiny, { minWindows: 0 });
    // w positions of H = 13 floats, padded to 16.
    const rowBytes = roomy.rowBytes;
    expect(rowBytes).toBe(tiny.positions * 16 * 4);
    predictLabelIds(roomy, windows, 50);
    expect(roomy.poolRows).toBe(144);
    // The pool (no slots: every token fits) and the stacked weights (W_eff once) at least.
    expect(roomy.bytes).toBeGreaterThanOrEqual((144 * rowBytes) + tiny.D * tiny.H * 4);
    expect(roomy.bytes).toBeLessThan((144 * rowBytes) + tiny.D * tiny.H * 4 + 16_384);
    // usedBytes counts only the filled part of the pool.
    expect(roomy.pooledRows).toBe(distinctTokens(windows));
    expect(roomy.usedBytes).toBe(roomy.bytes - (144 - roomy.pooledRows) * rowBytes);
    const model = randomModel(SPEC, 3);
    // The pool is allocated as it fills: 512 rows at first, doubling, whatever the budget.
    const growing = new PrecomputedScorer(model, { minWindows: 0 });
    const rowBytesModel = growing.rowBytes;
    predictLabelIds(growing, randomWindows(model, 10, 5), 10);
    expect(growing.poolRows).toBe(37 * 6 * 11 * 7);
    const small = growing.bytes;
    // 512 pool rows, the slot rows and stacked weights, and the maps (sized for the whole pool: 17,094 keys).
    expect(small).toBeLessThan(600 * rowBytesModel + model.D * model.H * 4 + 2_000_000);
    expect(small).toBeLessThan(growing.poolRows * rowBytesModel);
    const many = randomWindows(model, 400, 6); // about 1,200 distinct tokens
    const before = scoresOf(new PrecomputedScorer(model, { minWindows: 0, budgetBytes: 0 }), many, 100);
    expect(maxAbsDiff(scoresOf(growing, many, 100), before)).toBeLessThan(2e-6 * (1 + maxAbs(before)));
    expect(growing.pooledRows).toBe(distinctTokens({ ...many, ids: Int32Array.from([...randomWindows(model, 10, 5).ids, ...many.ids]), count: 410 }));
    expect(growing.bytes - small).toBe((2048 - 512) * rowBytesModel);
    const tight = new PrecomputedScorer(model, { minWindows: 0, budgetBytes: 40 * rowBytesModel + 3 });
    predictLabelIds(tight, randomWindows(model, 50, 4), 50);
    expect(tight.poolRows).toBe(40);
    expect(tight.pooledRows).toBe(40);
  });

  it('is a snapshot of W, b and the embeddings: invalidate() rebuilds it; U and c are read live', () => {
    const model = randomModel(SPEC, 12);
    const windows = sentenceWindows(model, [7, 5], 13);
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    scoresOf(scorer, windows, 8);
    model.params.W[3] += 0.5;
    model.tables[0].data[1 * SPEC.wordDim] += 1; // the <s> row, in every sentence
    const plain = scoresOf(model, windows, 8);
    expect(maxAbsDiff(scoresOf(scorer, windows, 8), plain)).toBeGreaterThan(1e-3);
    scorer.invalidate();
    expect(scorer.built).toBe(false);
    expect(maxAbsDiff(scoresOf(scorer, windows, 8), plain)).toBeLessThan(1e-5);
    model.params.c[2] += 1;
    model.params.U[0] -= 0.25;
    expect(maxAbsDiff(scoresOf(scorer, windows, 8), scoresOf(model, windows, 8))).toBeLessThan(1e-5);
  });

  it('feeds Viterbi decoding and the single-score detector the same scores as the plain path', () => {
    const labels = LabelSet.fromTypes(['LOC', 'PER']); // O, B-LOC, I-LOC, B-PER, I-PER: K = 5
    const model = randomModel({ ...SPEC, labels: labels.size }, 14);
    const windows = sentenceWindows(model, [6, 11, 1, 9, 14, 3], 15);
    fitOn(model, windows, 'standardize');
    const transitions = new TransitionParams(labels.size, 'float32');
    const rng = new Rng(16);
    for (const v of [transitions.start, transitions.trans]) for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    for (const mode of ['greedy', 'constrained', 'learned'] as const) {
      const decoder = createDecoder(mode, labels.labels, transitions);
      expect(Array.from(decodeLabelIds(scorer, windows, 16, decoder)), mode).toEqual(Array.from(decodeLabelIds(model, windows, 16, decoder)));
    }
    const detector = randomModel({ ...SPEC, labels: 1 }, 17);
    const a = predictScores(detector, windows, 10);
    const b = predictScores(new PrecomputedScorer(detector, { minWindows: 0 }), windows, 10);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5 * (1 + maxAbs(a)));
  });

  it('folds the preprocessing into W and b in float64: W_eff·x + b_eff = W·A(x − μ) + b', () => {
    const model = randomModel(SPEC, 18, 'float64');
    const windows = randomWindows(model, 40, 19);
    for (const mode of MODES) {
      fitOn(model, windows, mode);
      const { W, bias } = foldPreprocessing(model);
      const X = model.gatherInputs(windows.ids, windows.count);
      model.forward(windows.ids, windows.count, false);
      const Z = model.preActivations(windows.count);
      const { D, H } = model;
      for (let n = 0; n < windows.count; n++) {
        for (let h = 0; h < H; h++) {
          let z = bias[h];
          for (let i = 0; i < D; i++) z += W[h * D + i] * X[n * D + i];
          expect(Math.abs(z - Z[n * H + h]), mode).toBeLessThan(1e-9 * (1 + Math.abs(Z[n * H + h])));
        }
      }
    }
  });

  it('rejects rows outside a table, leaving the tables intact, and float64 models', () => {
    const model = randomModel(SPEC, 21);
    const windows = sentenceWindows(model, [5], 22);
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    const before = scoresOf(scorer, windows, 8);
    // The last window's last position: word, caps, suffix, prefix columns.
    const bad = Int32Array.from(windows.ids);
    bad[bad.length - 4] = SPEC.vocabSize;
    expect(() => scorer.forward(bad, windows.count)).toThrow(/row 37 of table 0 is out of range/);
    bad[bad.length - 4] = 0;
    bad[bad.length - 1] = -1;
    expect(() => scorer.forward(bad, windows.count)).toThrow(/row -1 of table 3 is out of range/);
    expect(() => scorer.forward(windows.ids, windows.count + 1)).toThrow(/windows need/);
    expect(maxAbsDiff(scoresOf(scorer, windows, 8), before)).toBe(0);
    expect(() => new PrecomputedScorer(randomModel(SPEC, 1, 'float64'))).toThrow(/float32/);
  });
});
