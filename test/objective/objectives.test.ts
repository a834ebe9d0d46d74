import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';
import { createObjective, type Objective } from '../../src/objective/index.js';
import { maxMargin } from '../../src/objective/max-margin.js';
import { softmaxCrossEntropy } from '../../src/objective/softmax.js';

function run(obj: Objective, scores: number[], gold: number[], K: number, scale = 1): { loss: number; dS: number[] } {
  const B = gold.length;
  const dS = new Float64Array(B * K).fill(Number.NaN); // garbage: the objective must overwrite it
  const loss = obj.loss(Float64Array.from(scores), Int32Array.from(gold), B, K, dS, scale);
  return { loss, dS: Array.from(dS) };
}

function expectAllClose(actual: readonly number[], expected: readonly number[], digits = 10): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

/** Central differences of the summed loss with respect to each score. */
function numericGrad(obj: Objective, scores: number[], gold: number[], K: number): number[] {
  const h = 1e-6;
  const value = (s: number[]): number => obj.loss(Float64Array.from(s), Int32Array.from(gold), gold.length, K, null, 1);
  return scores.map((_, i) => {
    const plus = scores.slice();
    const minus = scores.slice();
    plus[i] += h;
    minus[i] -= h;
    return (value(plus) - value(minus)) / (2 * h);
  });
}

describe('max-margin', () => {
  const mm = maxMargin(1);

  it('hand example: K=3, Δ=1, s=[2, 1.5, −1], gold 0 → loss 0.5, dS = [−1, 1, 0]·scale', () => {
    // c=1: 1 + 1.5 − 2 = 0.5 > 0 (violator); c=2: 1 − 1 − 2 = −2 (fine)
    const a = run(mm, [2, 1.5, -1], [0], 3);
    expect(a.loss).toBe(0.5);
    expect(a.dS).toEqual([-1, 1, 0]);
    const b = run(mm, [2, 1.5, -1], [0], 3, 0.25);
    expect(b.loss).toBe(0.5); // the loss is never scaled
    expect(b.dS).toEqual([-0.25, 0.25, 0]);
  });

  it('zero loss when the gold label wins by more than Δ: dS all zero', () => {
    // 1 + 1 − 3 = −1, 1 + 0 − 3 = −2
    const a = run(mm, [3, 1, 0], [0], 3);
    expect(a.loss).toBe(0);
    expect(a.dS).toEqual([0, 0, 0]);
  });

  it('two violators: −2 on the gold score', () => {
    // s=[0, 0.5, 0.2], gold 0: (1 + 0.5 − 0) + (1 + 0.2 − 0) = 1.5 + 1.2 = 2.7
    const a = run(mm, [0, 0.5, 0.2], [0], 3);
    expect(a.loss).toBeCloseTo(2.7, 14);
    expect(a.dS).toEqual([-2, 1, 1]);
  });

  it('batch of two with a non-zero gold label: losses summed, dS per row', () => {
    // row 0: s=[1, 0, 0.5], gold 2: (1 + 1 − 0.5) + (1 + 0 − 0.5) = 1.5 + 0.5 = 2 → dS [1, 1, −2]
    // row 1: s=[2, 1.5, −1], gold 0: 0.5 → dS [−1, 1, 0]
    const a = run(mm, [1, 0, 0.5, 2, 1.5, -1], [2, 0], 3, 0.5);
    expect(a.loss).toBeCloseTo(2.5, 14);
    expect(a.dS).toEqual([0.5, 0.5, -1, -0.5, 0.5, 0]);
  });

  it('the margin Δ is a parameter', () => {
    // Δ = 2, s=[3, 1, 0], gold 0: (2 + 1 − 3) = 0 → exactly on the margin: no loss and,
    // by the "violating means > 0" convention, no gradient; (2 + 0 − 3) < 0 → loss 0
    const onMargin = run(maxMargin(2), [3, 1, 0], [0], 3);
    expect(onMargin.loss).toBe(0);
    expect(onMargin.dS).toEqual([0, 0, 0]);
    // Δ = 2.5: 0.5 + 0 → loss 0.5, one violator
    const a = run(maxMargin(2.5), [3, 1, 0], [0], 3);
    expect(a.loss).toBe(0.5);
    expect(a.dS).toEqual([-1, 1, 0]);
  });

  it('dS matches central differences away from kinks', () => {
    const rng = new Rng(8);
    const scores = Array.from({ length: 4 * 5 }, () => rng.range(-2, 2));
    const gold = [0, 3, 4, 1];
    expect(mm.kinkDistance(Float64Array.from(scores), Int32Array.from(gold), 4, 5)).toBeGreaterThan(1e-3);
    expectAllClose(run(mm, scores, gold, 5).dS, numericGrad(mm, scores, gold, 5), 6);
  });

  it('dS = null computes only the loss', () => {
    expect(mm.loss(Float64Array.of(2, 1.5, -1), Int32Array.of(0), 1, 3, null, 1)).toBe(0.5);
  });

  it('kinkDistance is the smallest |Δ + s_c − s_y| over c ≠ y and windows', () => {
    // row 0: |0.5|, |−2| → 0.5; row 1 (s=[0, 0.9, −3], gold 1): |1 + 0 − 0.9| = 0.1, |1 − 3 − 0.9| = 2.9
    const S = Float64Array.of(2, 1.5, -1, 0, 0.9, -3);
    expect(mm.kinkDistance(S.subarray(0, 3), Int32Array.of(0), 1, 3)).toBe(0.5);
    expect(mm.kinkDistance(S, Int32Array.of(0, 1), 2, 3)).toBeCloseTo(0.1, 14);
    // exactly at the kink
    expect(mm.kinkDistance(Float64Array.of(1, 0), Int32Array.of(0), 1, 2)).toBe(0);
  });
});

describe('softmax cross-entropy', () => {
  const sm = softmaxCrossEntropy();

  it('hand example: s=[1, 2, 3], gold 0', () => {
    // logZ = 3 + log(e^−2 + e^−1 + 1) = 3 + log(0.1353352832 + 0.3678794412 + 1)
    //      = 3 + log(1.5032147244) = 3 + 0.4076059644 = 3.4076059644
    // loss = logZ − s_0 = 2.4076059644
    // p = [0.1353352832, 0.3678794412, 1] / 1.5032147244 = [0.0900305732, 0.2447284711, 0.6652409558]
    const a = run(sm, [1, 2, 3], [0], 3);
    expect(a.loss).toBeCloseTo(2.4076059644, 9);
    expectAllClose(a.dS, [0.0900305732 - 1, 0.2447284711, 0.6652409558], 9);
    const b = run(sm, [1, 2, 3], [2], 3, 0.5);
    // loss = 3.4076059644 − 3
    expect(b.loss).toBeCloseTo(0.4076059644, 9);
    expectAllClose(b.dS, [0.0450152866, 0.1223642356, 0.5 * (0.6652409558 - 1)], 9);
  });

  it('equal scores: loss log K, p = 1/K', () => {
    const a = run(sm, [0, 0, 0, 0], [2], 4);
    expect(a.loss).toBeCloseTo(Math.log(4), 14);
    expectAllClose(a.dS, [0.25, 0.25, -0.75, 0.25], 14);
  });

  it('is stable for huge scores and shift-invariant', () => {
    // s=[1000, 999, 998], gold 1: loss = 1000 + log(1 + e^−1 + e^−2) − 999 = 1.4076059644
    const big = run(sm, [1000, 999, 998], [1], 3);
    expect(big.loss).toBeCloseTo(1.4076059644, 9);
    const small = run(sm, [2, 1, 0], [1], 3);
    expect(big.loss).toBeCloseTo(small.loss, 12);
    expectAllClose(big.dS, small.dS, 12);
    for (const scores of [[-1000, -999, -998], [1e6, -1e6, 0], [700, 710, 720]]) {
      const r = run(sm, scores, [0], 3);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.dS.every(Number.isFinite)).toBe(true);
    }
    // a gold score far below the best: loss ≈ the gap
    expect(run(sm, [1e6, -1e6, 0], [2], 3).loss).toBeCloseTo(1e6, 6);
  });

  it('dS rows sum to zero and match central differences', () => {
    const rng = new Rng(21);
    const K = 6;
    const scores = Array.from({ length: 5 * K }, () => rng.range(-3, 3));
    const gold = [0, 5, 2, 2, 1];
    const { loss, dS } = run(sm, scores, gold, K);
    for (let n = 0; n < 5; n++) expect(dS.slice(n * K, (n + 1) * K).reduce((s, v) => s + v, 0)).toBeCloseTo(0, 14);
    expectAllClose(dS, numericGrad(sm, scores, gold, K), 7);
    // the summed loss equals the sum of per-window losses
    const perWindow = gold.reduce((s, y, n) => s + run(sm, scores.slice(n * K, (n + 1) * K), [y], K).loss, 0);
    expect(loss).toBeCloseTo(perWindow, 12);
  });

  it('works on Float32 scores', () => {
    const dS = new Float32Array(3);
    const loss = sm.loss(Float32Array.of(1, 2, 3), Int32Array.of(0), 1, 3, dS, 1);
    expect(loss).toBeCloseTo(2.4076059644, 6);
    expect(dS[0]).toBeCloseTo(0.0900305732 - 1, 6);
  });

  it('kinkDistance is Infinity (smooth)', () => {
    expect(sm.kinkDistance(Float64Array.of(1, 2), Int32Array.of(0), 1, 2)).toBe(Infinity);
  });
});

describe('createObjective', () => {
  it('dispatches on the loss name and passes the margin', () => {
    expect(createObjective({ loss: 'softmax', margin: 1 }).name).toBe('softmax');
    const mm = createObjective({ loss: 'max-margin', margin: 0.5 });
    expect(mm.name).toBe('max-margin');
    // Δ = 0.5, s=[1, 0.75], gold 0: 0.5 + 0.75 − 1 = 0.25
    expect(mm.loss(Float64Array.of(1, 0.75), Int32Array.of(0), 1, 2, null, 1)).toBe(0.25);
  });
});

describe('max-margin, max reduction (Crammer–Singer)', () => {
  const cs = maxMargin(1, 'max');

  it('hand example K=3: only the best wrong label counts (s=[0, 0.5, 0.2], gold 0)', () => {
    // best wrong label 1: J = max(0, 1 + 0.5 − 0) = 1.5 (the sum reduction would give 2.7)
    const a = run(cs, [0, 0.5, 0.2], [0], 3);
    expect(a.loss).toBe(1.5);
    expect(a.dS).toEqual([-1, 1, 0]);
    const b = run(cs, [0, 0.5, 0.2], [0], 3, 0.25);
    expect(b.loss).toBe(1.5); // never scaled
    expect(b.dS).toEqual([-0.25, 0.25, 0]);
    expect(run(maxMargin(1), [0, 0.5, 0.2], [0], 3).loss).toBeCloseTo(2.7, 14);
  });

  it('hand example K=4, batch of two with a non-zero gold label; second row does not violate', () => {
    // row 0: s=[0.25, 1, −0.5, 0.75], gold 2: best wrong 1 → 1 + 1 − (−0.5) = 2.5; dS [0, +, −, 0]
    // row 1: s=[2, 0.25, 0.5, 0.125], gold 0: best wrong 2 → 1 + 0.5 − 2 = −0.5 → 0
    const a = run(cs, [0.25, 1, -0.5, 0.75, 2, 0.25, 0.5, 0.125], [2, 0], 4, 0.5);
    expect(a.loss).toBe(2.5);
    expect(a.dS).toEqual([0, 0.5, -0.5, 0, 0, 0, 0, 0]);
    // gold at the last column, best wrong label first: s=[3, 1, 2, 2.5], gold 3 → 1 + 3 − 2.5 = 1.5
    const b = run(cs, [3, 1, 2, 2.5], [3], 4, 2);
    expect(b.loss).toBe(1.5);
    expect(b.dS).toEqual([2, 0, 0, -2]);
  });

  it('non-violating rows give loss 0 and dS all 0 (including exactly on the margin)', () => {
    // 1 + 1 − 3 = −1
    const a = run(cs, [3, 1, 0], [0], 3);
    expect(a.loss).toBe(0);
    expect(a.dS).toEqual([0, 0, 0]);
    // 1 + 1 − 2 = 0: on the margin counts as not violating
    const b = run(cs, [0, 1, 2, 0.5], [2], 4, 0.5);
    expect(b.loss).toBe(0);
    expect(b.dS).toEqual([0, 0, 0, 0]);
  });

  it('K=2 coincides with the sum reduction', () => {
    const scores = [0.3, 0.1, -0.4, 0.6, 2, -1];
    const gold = [1, 0, 0];
    const a = run(cs, scores, gold, 2, 0.5);
    const b = run(maxMargin(1), scores, gold, 2, 0.5);
    expect(a.loss).toBeCloseTo(b.loss, 14);
    expect(a.dS).toEqual(b.dS);
  });

  it('dS matches central differences of the summed loss away from kinks', () => {
    for (const [seed, K] of [[3, 3], [8, 4], [13, 6]] as const) {
      const rng = new Rng(seed);
      const B = 6;
      const scores = Array.from({ length: B * K }, () => rng.range(-2, 2));
      const gold = Array.from({ length: B }, () => rng.int(K));
      expect(cs.kinkDistance(Float64Array.from(scores), Int32Array.from(gold), B, K)).toBeGreaterThan(1e-4);
      const { loss, dS } = run(cs, scores, gold, K);
      expect(loss).toBeGreaterThan(0);
      expectAllClose(dS, numericGrad(cs, scores, gold, K), 6);
      // each row's gradient sums to zero (one +1 and one −1, or nothing)
      for (let n = 0; n < B; n++) expect(dS.slice(n * K, (n + 1) * K).reduce((s, v) => s + v, 0)).toBe(0);
    }
  });

  it('kinkDistance covers the hinge and the tie between the two best wrong labels', () => {
    // s=[2, 1.1, 0, −3], gold 0: hinge |1 + 1.1 − 2| = 0.1, tie gap 1.1 − 0 = 1.1 → 0.1
    expect(cs.kinkDistance(Float64Array.of(2, 1.1, 0, -3), Int32Array.of(0), 1, 4)).toBeCloseTo(0.1, 14);
    // s=[0, 1, 0.95, −2], gold 0: hinge |1 + 1 − 0| = 2, tie gap 1 − 0.95 = 0.05 → 0.05
    expect(cs.kinkDistance(Float64Array.of(0, 1, 0.95, -2), Int32Array.of(0), 1, 4)).toBeCloseTo(0.05, 14);
    // the sum reduction has no tie kink there: its hinges are |1 + 1| = 2, |1 + 0.95| = 1.95, |1 − 2| = 1 → 1
    expect(maxMargin(1).kinkDistance(Float64Array.of(0, 1, 0.95, -2), Int32Array.of(0), 1, 4)).toBeCloseTo(1, 14);
    // an exact tie between the two best wrong labels is a kink: distance 0
    expect(cs.kinkDistance(Float64Array.of(5, 1, 1, 0), Int32Array.of(0), 1, 4)).toBe(0);
    // the tie is between the best two wrong labels, never with the gold label (gold 1 here, wrong 0.5 vs −1)
    expect(cs.kinkDistance(Float64Array.of(0.5, 0.5, -1), Int32Array.of(1), 1, 3)).toBeCloseTo(1, 14);
    // K = 2: only the hinge
    expect(cs.kinkDistance(Float64Array.of(1, 0.25), Int32Array.of(0), 1, 2)).toBeCloseTo(0.25, 14);
    // minimum over rows
    const S = Float64Array.of(2, 1.1, 0, -3, 0, 1, 0.95, -2);
    expect(cs.kinkDistance(S, Int32Array.of(0, 0), 2, 4)).toBeCloseTo(0.05, 14);
  });

  it('at a tie of the two best wrong labels the one-sided derivatives differ (a real kink)', () => {
    // s=[0, 1, 1], gold 0 violates; raising s_1 raises J at rate 1, lowering it leaves J = 1 + s_2 − s_0
    const h = 1e-6;
    const value = (s: number[]): number => cs.loss(Float64Array.from(s), Int32Array.of(0), 1, 3, null, 1);
    const right = (value([0, 1 + h, 1]) - value([0, 1, 1])) / h;
    const left = (value([0, 1, 1]) - value([0, 1 - h, 1])) / h;
    expect(right).toBeCloseTo(1, 6);
    expect(left).toBeCloseTo(0, 6);
  });
});

describe('createObjective with a reduction', () => {
  it("reduction 'max' gives Crammer–Singer, the default and 'sum' give Weston–Watkins", () => {
    const S = Float64Array.of(0, 0.5, 0.2);
    const gold = Int32Array.of(0);
    const max = createObjective({ loss: 'max-margin', margin: 1, reduction: 'max' });
    expect(max.name).toBe('max-margin');
    expect(max.loss(S, gold, 1, 3, null, 1)).toBe(1.5);
    expect(createObjective({ loss: 'max-margin', margin: 1, reduction: 'sum' }).loss(S, gold, 1, 3, null, 1)).toBeCloseTo(2.7, 14);
    expect(createObjective({ loss: 'max-margin', margin: 1 }).loss(S, gold, 1, 3, null, 1)).toBeCloseTo(2.7, 14);
    // the margin reaches the max reduction: Δ = 0.25 → 0.25 + 0.5 − 0 = 0.75
    expect(createObjective({ loss: 'max-margin', margin: 0.25, reduction: 'max' }).loss(S, gold, 1, 3, null, 1)).toBe(0.75);
    const dS = new Float64Array(3);
    max.loss(S, gold, 1, 3, dS, 1);
    expect(Array.from(dS)).toEqual([-1, 1, 0]);
  });
});

describe('class weights (objective.o_weight)', () => {
  const S = Float64Array.of(2, 1.5, -1, /* gold O */ 0.2, 0.9, 0.4 /* gold 1 */);
  const gold = Int32Array.of(0, 1);
  const weights = Float64Array.of(0.25, 1, 1);

  it.each([
    ['max-margin sum', { loss: 'max-margin', margin: 1, reduction: 'sum' }],
    ['max-margin max', { loss: 'max-margin', margin: 1, reduction: 'max' }],
    ['softmax', { loss: 'softmax', margin: 1 }],
  ] as const)('%s: an O window counts o_weight times, loss and gradient; other windows unchanged', (_name, options) => {
    const plain = createObjective(options);
    const weighted = createObjective({ ...options, classWeight: weights });
    const row = (obj: Objective, n: number): { loss: number; dS: number[] } => {
      const dS = new Float64Array(3);
      const loss = obj.loss(S.subarray(n * 3, n * 3 + 3), gold.subarray(n, n + 1), 1, 3, dS, 0.5);
      return { loss, dS: Array.from(dS) };
    };
    const oPlain = row(plain, 0);
    const oWeighted = row(weighted, 0);
    expect(oPlain.loss).toBeGreaterThan(0);
    expect(oWeighted.loss).toBeCloseTo(0.25 * oPlain.loss, 14);
    oWeighted.dS.forEach((g, i) => expect(g).toBeCloseTo(0.25 * oPlain.dS[i], 14));
    expect(row(weighted, 1)).toEqual(row(plain, 1));
  });
});
