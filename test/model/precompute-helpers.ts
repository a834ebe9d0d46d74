import { expect } from 'vitest';
import type { EncodedWindows } from '../../src/data/windows.js';
import { setKernelBackend } from '../../src/math/gemm.js';
import { taggingKernels, type TaggingKernels } from '../../src/math/kernels/tagging.js';
import { Rng } from '../../src/math/random.js';
import { PrecomputedScorer } from '../../src/model/precompute.js';
import { scoreInBatches, type Scorer } from '../../src/model/predict.js';
import type { WindowScorer } from '../../src/model/window-scorer.js';

/** What the pre-computation tables' tests share: a corpus of windows, the scores of a pass, the TypeScript path's scores. */

/** Sentences of Zipf-like tokens drawn from the first `spread` of each table's rows, laid out as encodeWindows lays them out. */
export function sentenceWindows(model: WindowScorer, tokens: number, seed: number, spread = 1): EncodedWindows {
  const rng = new Rng(seed);
  const T = model.tables.length;
  const w = model.positions;
  const k = (w - 1) / 2;
  const ids = new Int32Array(tokens * w * T);
  const starts = [0];
  let n = 0;
  while (n < tokens) {
    const len = Math.min(tokens - n, 1 + rng.int(20));
    const sentence = Array.from({ length: len }, () => model.tables.map((t) => {
      const top = Math.max(4, Math.floor(spread * t.rows));
      return Math.min(top - 1, t.rows - 1, 3 + Math.floor(Math.exp(rng.uniform() * Math.log(top))));
    }));
    for (let i = 0; i < len; i++, n++) {
      for (let j = 0; j < w; j++) {
        const p = i - k + j;
        for (let t = 0; t < T; t++) ids[(n * w + j) * T + t] = p < 0 ? (t === 0 ? 1 : 0) : p >= len ? (t === 0 ? 2 : 0) : sentence[p][t];
      }
    }
    starts.push(n);
  }
  return { ids, count: tokens, positions: w, tables: T, sentenceStarts: Int32Array.from(starts) };
}

export function scoresOf(scorer: Scorer, windows: EncodedWindows, batch: number): Float32Array {
  const K = scorer.K;
  const out = new Float32Array(windows.count * K);
  scoreInBatches(scorer, windows, batch, (S, start, B) => {
    for (let i = 0; i < B * K; i++) out[start * K + i] = S[i];
  });
  return out;
}

export function typeScriptScores(model: WindowScorer, windows: EncodedWindows, batch: number): Float32Array {
  setKernelBackend('plain');
  try {
    const scorer = new PrecomputedScorer(model, { minWindows: 0 });
    const S = scoresOf(scorer, windows, batch);
    expect(scorer.onKernels).toBe(false);
    return S;
  } finally {
    setKernelBackend('wasm');
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** The tagging kernels, which these tests need loaded. */
export function kernels(): TaggingKernels {
  const k = taggingKernels();
  if (!k) throw new Error('the WebAssembly kernels did not load');
  return k;
}
