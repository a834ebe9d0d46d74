import { describe, expect, it } from 'vitest';
import type { Transitions } from '../../src/decode/viterbi.js';
import type { DTypeName, FloatArray } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { allPaths, pathScoreByDefinition, randomArray } from '../decode/brute-force.js';
import { marginKinkDistance, SentenceWorkspace, sentenceLogLoss, sentenceMarginLoss } from '../../src/objective/sentence.js';



function hamming(y: number[], gold: Int32Array, goldOffset: number): number {
  return y.filter((v, t) => v !== gold[goldOffset + t]).length;
}


/** A sentence at row `offset` of a larger S; gold at a different offset of a larger array. */
function setup(rng: Rng, n: number, K: number, dtype: DTypeName = 'float64', spread = 2) {
  const offset = 2;
  const S = randomArray(rng, dtype, (offset + n + 1) * K, spread);
  const tr: Transitions = { start: randomArray(rng, dtype, K, spread), trans: randomArray(rng, dtype, K * K, spread) };
  const goldOffset = 1;
  const gold = new Int32Array(goldOffset + n + 2).fill(-1);
  for (let t = 0; t < n; t++) gold[goldOffset + t] = rng.int(K);
  return { offset, S, tr, gold, goldOffset };
}

/** log Σ_y exp pathScoreByDefinition(y), marginals, pairwise marginals, from enumeration. */
function bruteLogLoss(S: FloatArray, offset: number, n: number, K: number, tr: Transitions, gold: Int32Array, goldOffset: number) {
  const paths = [...allPaths(n, K)];
  const scores = paths.map((y) => pathScoreByDefinition(S, offset, K, tr, y));
  const m = Math.max(...scores);
  const Z = scores.reduce((acc, s) => acc + Math.exp(s - m), 0);
  const logZ = m + Math.log(Z);
  const unary = new Float64Array(n * K);
  const start = new Float64Array(K);
  const pair = new Float64Array(K * K);
  paths.forEach((y, p) => {
    const prob = Math.exp(scores[p] - logZ);
    for (let t = 0; t < n; t++) unary[t * K + y[t]] += prob;
    start[y[0]] += prob;
    for (let t = 1; t < n; t++) pair[y[t - 1] * K + y[t]] += prob;
  });
  const goldPath = Array.from(gold.subarray(goldOffset, goldOffset + n));
  for (let t = 0; t < n; t++) unary[t * K + goldPath[t]] -= 1;
  start[goldPath[0]] -= 1;
  for (let t = 1; t < n; t++) pair[goldPath[t - 1] * K + goldPath[t]] -= 1;
  return { loss: logZ - pathScoreByDefinition(S, offset, K, tr, goldPath), dS: unary, dStart: start, dTrans: pair };
}

function bruteMargin(S: FloatArray, offset: number, n: number, K: number, tr: Transitions, gold: Int32Array, goldOffset: number, margin: number) {
  let best = -Infinity;
  let second = -Infinity;
  for (const y of allPaths(n, K)) {
    const v = pathScoreByDefinition(S, offset, K, tr, y) + margin * hamming(y, gold, goldOffset);
    if (v > best) {
      second = best;
      best = v;
    } else if (v > second) second = v;
  }
  const goldPath = Array.from(gold.subarray(goldOffset, goldOffset + n));
  return { loss: best - pathScoreByDefinition(S, offset, K, tr, goldPath), gap: second === -Infinity ? Infinity : best - second };
}

type LossFn = (S: FloatArray, tr: Transitions, dS: FloatArray | null, dStart: FloatArray | null, dTrans: FloatArray | null, scale: number) => number;

/** Central differences of the loss in every entry of the sentence's S rows, start and trans. */
function numericGradient(loss: LossFn, S: Float64Array, tr: { start: Float64Array; trans: Float64Array }, offset: number, n: number, K: number, h = 1e-5) {
  const diff = (arr: Float64Array, k: number): number => {
    const orig = arr[k];
    arr[k] = orig + h;
    const up = loss(S, tr, null, null, null, 1);
    arr[k] = orig - h;
    const down = loss(S, tr, null, null, null, 1);
    arr[k] = orig;
    return (up - down) / (2 * h);
  };
  const dS = Float64Array.from({ length: n * K }, (_, k) => diff(S, offset * K + k));
  const dStart = Float64Array.from({ length: K }, (_, k) => diff(tr.start, k));
  const dTrans = Float64Array.from({ length: K * K }, (_, k) => diff(tr.trans, k));
  return { dS, dStart, dTrans };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`entry ${i}: ${actual[i]} vs ${expected[i]} (tol ${tol})`);
    }
  }
}

const SIZES: Array<{ n: number; K: number }> = [];
for (const n of [1, 2, 3, 5]) for (const K of [2, 3, 5]) SIZES.push({ n, K });

describe('sentenceLogLoss', () => {
  const ws = new SentenceWorkspace(2); // grows on demand

  it.each(SIZES)('equals brute force, its gradient the marginals and central differences (n=$n, K=$K)', ({ n, K }) => {
    const rng = new Rng(100 * n + K);
    for (let rep = 0; rep < 3; rep++) {
      const { offset, S, tr, gold, goldOffset } = setup(rng, n, K);
      const brute = bruteLogLoss(S, offset, n, K, tr, gold, goldOffset);
      const dS = new Float64Array(S.length);
      const dStart = new Float64Array(K);
      const dTrans = new Float64Array(K * K);
      const loss = sentenceLogLoss(S, offset, n, K, tr, gold, goldOffset, dS, dStart, dTrans, 1, ws);
      expect(loss).toBeCloseTo(brute.loss, 10);
      expect(loss).toBeGreaterThan(0);
      expectClose(dS.subarray(offset * K, (offset + n) * K), brute.dS, 1e-10);
      // Rows outside the sentence stay untouched.
      expect(dS.subarray(0, offset * K).every((v) => v === 0)).toBe(true);
      expect(dS.subarray((offset + n) * K).every((v) => v === 0)).toBe(true);
      expectClose(dStart, brute.dStart, 1e-10);
      expectClose(dTrans, brute.dTrans, 1e-10);

      const fn: LossFn = (S2, tr2, a, b, c, scale) => sentenceLogLoss(S2, offset, n, K, tr2, gold, goldOffset, a, b, c, scale, ws);
      const num = numericGradient(fn, S as Float64Array, tr as { start: Float64Array; trans: Float64Array }, offset, n, K);
      expectClose(dS.subarray(offset * K, (offset + n) * K), num.dS, 1e-7);
      expectClose(dStart, num.dStart, 1e-7);
      expectClose(dTrans, num.dTrans, 1e-7);
    }
  });

  it('works on float32 scores and gradients', () => {
    const rng = new Rng(5);
    const n = 5;
    const K = 3;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K, 'float32');
    const brute = bruteLogLoss(S, offset, n, K, tr, gold, goldOffset);
    const dS = new Float32Array(S.length);
    const dStart = new Float32Array(K);
    const dTrans = new Float32Array(K * K);
    const loss = sentenceLogLoss(S, offset, n, K, tr, gold, goldOffset, dS, dStart, dTrans, 1, ws);
    expect(loss).toBeCloseTo(brute.loss, 10);
    expectClose(dS.subarray(offset * K, (offset + n) * K), brute.dS, 1e-6);
    expectClose(dStart, brute.dStart, 1e-6);
    expectClose(dTrans, brute.dTrans, 1e-6);
  });

  it('does not overflow with scores around 1e3', () => {
    const rng = new Rng(6);
    const n = 5;
    const K = 3;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K, 'float64', 1000);
    const brute = bruteLogLoss(S, offset, n, K, tr, gold, goldOffset);
    const dS = new Float64Array(S.length);
    const dStart = new Float64Array(K);
    const dTrans = new Float64Array(K * K);
    const loss = sentenceLogLoss(S, offset, n, K, tr, gold, goldOffset, dS, dStart, dTrans, 1, ws);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(brute.loss, 6);
    expect(brute.loss).toBeGreaterThan(100); // the case is not trivially tame
    for (const g of [dS, dStart, dTrans]) expect(g.every(Number.isFinite)).toBe(true);
    expectClose(dS.subarray(offset * K, (offset + n) * K), brute.dS, 1e-9);
    expectClose(dTrans, brute.dTrans, 1e-9);
  });

  it('stays exact where rescaled sums would underflow (every term ~e^-800)', () => {
    // Each log-sum-exp here has its largest alpha and its largest transition on different
    // labels, so a single rescaling by the maxima leaves nothing but underflowed products.
    const K = 2;
    const S = Float64Array.from([0, 0, 0, -1600]);
    const tr: Transitions = { start: Float64Array.from([0, -800]), trans: Float64Array.from([-800, 0, 0, 0]) };
    const gold = Int32Array.from([0, 0]);
    const brute = bruteLogLoss(S, 0, 2, K, tr, gold, 0);
    const dS = new Float64Array(4);
    const dStart = new Float64Array(K);
    const dTrans = new Float64Array(K * K);
    const loss = sentenceLogLoss(S, 0, 2, K, tr, gold, 0, dS, dStart, dTrans, 1, ws);
    expect(loss).toBeCloseTo(Math.log(2), 10);
    expect(loss).toBeCloseTo(brute.loss, 10);
    expectClose(dS, brute.dS, 1e-12);
    expectClose(dStart, [-0.5, 0.5], 1e-12);
    expectClose(dTrans, brute.dTrans, 1e-12);
    expectClose(dTrans, [-0.5, 0, 0.5, 0], 1e-12);
  });

  it('applies scale and adds into pre-filled buffers', () => {
    const rng = new Rng(7);
    const n = 3;
    const K = 3;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K);
    const brute = bruteLogLoss(S, offset, n, K, tr, gold, goldOffset);
    const dS = new Float64Array(S.length).fill(0.5);
    const dStart = new Float64Array(K).fill(-1);
    const dTrans = new Float64Array(K * K).fill(2);
    const loss = sentenceLogLoss(S, offset, n, K, tr, gold, goldOffset, dS, dStart, dTrans, 0.25, ws);
    expect(loss).toBeCloseTo(brute.loss, 10); // unscaled
    expectClose(dS.subarray(offset * K, (offset + n) * K), Array.from(brute.dS, (v) => 0.5 + 0.25 * v), 1e-10);
    expect(dS[0]).toBe(0.5);
    expectClose(dStart, Array.from(brute.dStart, (v) => -1 + 0.25 * v), 1e-10);
    expectClose(dTrans, Array.from(brute.dTrans, (v) => 2 + 0.25 * v), 1e-10);
  });

  it('rejects an unknown gold label', () => {
    const S = new Float64Array(6);
    const tr: Transitions = { start: new Float64Array(3), trans: new Float64Array(9) };
    expect(() => sentenceLogLoss(S, 0, 2, 3, tr, Int32Array.from([0, -1]), 0, null, null, null, 1, ws)).toThrow(RangeError);
  });

  it('speed sanity: n = 40, K = 9 (not asserted)', () => {
    const rng = new Rng(8);
    const n = 40;
    const K = 9;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K, 'float32');
    const dS = new Float32Array(S.length);
    const dStart = new Float32Array(K);
    const dTrans = new Float32Array(K * K);
    const big = new SentenceWorkspace(K);
    const run = (): number => sentenceLogLoss(S, offset, n, K, tr, gold, goldOffset, dS, dStart, dTrans, 1, big);
    const runM = (): number => sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, 1, dS, dStart, dTrans, 1, big);
    for (let r = 0; r < 500; r++) run() + runM();
    const reps = 5000;
    let t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    const ll = ((performance.now() - t0) * 1000) / reps;
    t0 = performance.now();
    for (let r = 0; r < reps; r++) runM();
    const mm = ((performance.now() - t0) * 1000) / reps;
    console.log(`n=40 K=9 float32 with gradients: log-likelihood ${ll.toFixed(1)} µs, margin ${mm.toFixed(1)} µs per sentence`);
    expect(Number.isFinite(ll + mm)).toBe(true);
  });
});

describe('sentenceMarginLoss', () => {
  const ws = new SentenceWorkspace(2);

  it.each(SIZES)('equals brute force, its gradient central differences away from kinks (n=$n, K=$K)', ({ n, K }) => {
    const rng = new Rng(300 * n + K);
    let checked = 0;
    for (let rep = 0; rep < 6; rep++) {
      const { offset, S, tr, gold, goldOffset } = setup(rng, n, K);
      const margin = rng.range(0.2, 1.5);
      const brute = bruteMargin(S, offset, n, K, tr, gold, goldOffset, margin);
      const kink = marginKinkDistance(S, offset, n, K, tr, gold, goldOffset, margin);
      if (brute.gap === Infinity) expect(kink).toBe(Infinity);
      else expect(kink).toBeCloseTo(brute.gap, 10);

      const dS = new Float64Array(S.length);
      const dStart = new Float64Array(K);
      const dTrans = new Float64Array(K * K);
      const loss = sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, margin, dS, dStart, dTrans, 1, ws);
      expect(loss).toBeCloseTo(brute.loss, 10);
      expect(loss).toBeGreaterThanOrEqual(0);
      expect(ws.lastPath.length).toBe(n);
      expect(dS.subarray(0, offset * K).every((v) => v === 0)).toBe(true);
      expect(dS.subarray((offset + n) * K).every((v) => v === 0)).toBe(true);
      if (kink <= 1e-3) continue;
      checked++;
      const fn: LossFn = (S2, tr2, a, b, c, scale) =>
        sentenceMarginLoss(S2, offset, n, K, tr2, gold, goldOffset, margin, a, b, c, scale, ws);
      const num = numericGradient(fn, S as Float64Array, tr as { start: Float64Array; trans: Float64Array }, offset, n, K);
      expectClose(dS.subarray(offset * K, (offset + n) * K), num.dS, 1e-6);
      expectClose(dStart, num.dStart, 1e-6);
      expectClose(dTrans, num.dTrans, 1e-6);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('the chosen path is the loss-augmented best, and the gradient is its indicators minus gold', () => {
    const rng = new Rng(21);
    const n = 4;
    const K = 3;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K);
    const margin = 1;
    const dS = new Float64Array(S.length);
    const dStart = new Float64Array(K);
    const dTrans = new Float64Array(K * K);
    const loss = sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, margin, dS, dStart, dTrans, 0.5, ws);
    const y = Array.from(ws.lastPath);
    const g = Array.from(gold.subarray(goldOffset, goldOffset + n));
    expect(loss).toBeCloseTo(pathScoreByDefinition(S, offset, K, tr, y) + margin * hamming(y, gold, goldOffset) - pathScoreByDefinition(S, offset, K, tr, g), 10);
    const eS = new Float64Array(S.length);
    const eStart = new Float64Array(K);
    const eTrans = new Float64Array(K * K);
    for (const [path, sign] of [[y, 0.5], [g, -0.5]] as const) {
      for (let t = 0; t < n; t++) eS[(offset + t) * K + path[t]] += sign;
      eStart[path[0]] += sign;
      for (let t = 1; t < n; t++) eTrans[path[t - 1] * K + path[t]] += sign;
    }
    expectClose(dS, eS, 0);
    expectClose(dStart, eStart, 0);
    expectClose(dTrans, eTrans, 0);
  });

  it('is 0 with no gradient when gold wins by more than the margin everywhere', () => {
    const rng = new Rng(22);
    const n = 5;
    const K = 4;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K, 'float64', 0.1);
    for (let t = 0; t < n; t++) S[(offset + t) * K + gold[goldOffset + t]] += 5;
    const margin = 1;
    const dS = new Float64Array(S.length).fill(0.5);
    const dStart = new Float64Array(K).fill(0.5);
    const dTrans = new Float64Array(K * K).fill(0.5);
    const loss = sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, margin, dS, dStart, dTrans, 1, ws);
    expect(loss).toBe(0);
    expect(Array.from(ws.lastPath)).toEqual(Array.from(gold.subarray(goldOffset, goldOffset + n)));
    for (const d of [dS, dStart, dTrans]) expect(d.every((v) => v === 0.5)).toBe(true);
    expect(bruteMargin(S, offset, n, K, tr, gold, goldOffset, margin).loss).toBe(0);
  });

  it('applies scale, adds into pre-filled buffers, and works in float32', () => {
    const rng = new Rng(23);
    const n = 3;
    const K = 3;
    const { offset, S, tr, gold, goldOffset } = setup(rng, n, K, 'float32');
    const margin = 2; // large enough that some wrong path wins
    const a = { dS: new Float32Array(S.length), dStart: new Float32Array(K), dTrans: new Float32Array(K * K) };
    const b = { dS: new Float32Array(S.length).fill(1), dStart: new Float32Array(K).fill(1), dTrans: new Float32Array(K * K).fill(1) };
    const la = sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, margin, a.dS, a.dStart, a.dTrans, 1, ws);
    const lb = sentenceMarginLoss(S, offset, n, K, tr, gold, goldOffset, margin, b.dS, b.dStart, b.dTrans, 0.25, ws);
    expect(la).toBeGreaterThan(0);
    expect(lb).toBe(la);
    expect(la).toBeCloseTo(bruteMargin(S, offset, n, K, tr, gold, goldOffset, margin).loss, 10);
    expectClose(b.dS, Array.from(a.dS, (v) => 1 + 0.25 * v), 1e-7);
    expectClose(b.dStart, Array.from(a.dStart, (v) => 1 + 0.25 * v), 1e-7);
    expectClose(b.dTrans, Array.from(a.dTrans, (v) => 1 + 0.25 * v), 1e-7);
  });

  it('marginKinkDistance is 0 at a tie and matches brute force on longer sentences', () => {
    const K = 3;
    const n = 2;
    const S = new Float64Array(n * K);
    const tr: Transitions = { start: new Float64Array(K), trans: new Float64Array(K * K) };
    const gold = Int32Array.from([0, 0]);
    // All-zero scores: every wrong path of the same Hamming distance ties.
    expect(marginKinkDistance(S, 0, n, K, tr, gold, 0, 1)).toBe(0);
    expect(marginKinkDistance(S, 0, 1, 1, { start: new Float64Array(1), trans: new Float64Array(1) }, gold, 0, 1)).toBe(Infinity);
    const rng = new Rng(24);
    const big = setup(rng, 8, 4);
    const brute = bruteMargin(big.S, big.offset, 8, 4, big.tr, big.gold, big.goldOffset, 0.7);
    expect(marginKinkDistance(big.S, big.offset, 8, 4, big.tr, big.gold, big.goldOffset, 0.7)).toBeCloseTo(brute.gap, 10);
  });
});
