import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';
import { MarginPairs, pairKinkDistance, pairMarginLoss } from '../../src/objective/pairs.js';

function pairsOf(list: readonly (readonly [number, number, number])[], capacity = list.length): MarginPairs {
  const pairs = new MarginPairs(capacity);
  for (const [t, c, y] of list) pairs.add(t, c, y);
  return pairs;
}

// 4 rows × K = 3: rows 0, 1 true windows, rows 2, 3 corrupted windows.
const K = 3;
const S = Float64Array.of(
  0.1, 2.0, -0.3, // row 0
  0.4, -1.0, 0.7, // row 1
  0.9, 1.5, 0.2, // row 2
  -0.2, 0.6, -1.5, // row 3
);

describe('MarginPairs', () => {
  it('add stores (true row, corrupted row, label) in order; clear() resets the count', () => {
    const pairs = new MarginPairs(3);
    expect(pairs.count).toBe(0);
    expect(pairs.trueRow.length).toBe(3);
    expect(pairs.corruptRow.length).toBe(3);
    expect(pairs.label.length).toBe(3);
    pairs.add(0, 2, 1);
    pairs.add(1, 3, 2);
    expect(pairs.count).toBe(2);
    expect(Array.from(pairs.trueRow.subarray(0, 2))).toEqual([0, 1]);
    expect(Array.from(pairs.corruptRow.subarray(0, 2))).toEqual([2, 3]);
    expect(Array.from(pairs.label.subarray(0, 2))).toEqual([1, 2]);
    pairs.clear();
    expect(pairs.count).toBe(0);
    // after clear, nothing contributes
    const dS = new Float64Array(12).fill(3);
    expect(pairMarginLoss(S, K, pairs, 1, dS, 1)).toBe(0);
    expect(Array.from(dS)).toEqual(new Array(12).fill(3));
    expect(pairKinkDistance(S, K, pairs, 1)).toBe(Infinity);
    // and the next add writes slot 0 again
    pairs.add(1, 2, 0);
    expect(pairs.count).toBe(1);
    expect([pairs.trueRow[0], pairs.corruptRow[0], pairs.label[0]]).toEqual([1, 2, 0]);
  });
});

describe('pairMarginLoss', () => {
  it('hand example: one violating pair, one not; dS gets ±scale added at the right cells', () => {
    // pair (0, 2, label 1): 1 + S[2,1] − S[0,1] = 1 + 1.5 − 2.0 = 0.5 > 0 → violates
    // pair (1, 3, label 2): 1 + S[3,2] − S[1,2] = 1 − 1.5 − 0.7 = −1.2 → fine
    const pairs = pairsOf([[0, 2, 1], [1, 3, 2]]);
    const dS = new Float64Array(12).fill(7); // pre-existing gradient: the pairs add into it
    const loss = pairMarginLoss(S, K, pairs, 1, dS, 0.25);
    expect(loss).toBeCloseTo(0.5, 14);
    const expected = new Array(12).fill(7);
    expected[2 * K + 1] = 7.25; // corrupted row 2, label 1
    expected[0 * K + 1] = 6.75; // true row 0, label 1
    expect(Array.from(dS)).toEqual(expected);
    // dS = null: the loss alone
    expect(pairMarginLoss(S, K, pairs, 1, null, 0.25)).toBeCloseTo(0.5, 14);
    // the loss is never scaled
    expect(pairMarginLoss(S, K, pairs, 1, new Float64Array(12), 10)).toBeCloseTo(0.5, 14);
  });

  it('the margin is a parameter: Δ = 2.5 makes the second pair violate too', () => {
    // pair 1: 2.5 + 1.5 − 2 = 2; pair 2: 2.5 − 1.5 − 0.7 = 0.3
    const pairs = pairsOf([[0, 2, 1], [1, 3, 2]]);
    const dS = new Float64Array(12);
    expect(pairMarginLoss(S, K, pairs, 2.5, dS, 1)).toBeCloseTo(2.3, 14);
    const expected = new Array(12).fill(0);
    expected[7] = 1;
    expected[1] = -1;
    expected[11] = 1;
    expected[5] = -1;
    expect(Array.from(dS)).toEqual(expected);
    // exactly on the margin (Δ = 0.5 for pair 1: 0.5 + 1.5 − 2 = 0) is not a violation
    const onMargin = new Float64Array(12);
    expect(pairMarginLoss(S, K, pairsOf([[0, 2, 1]]), 0.5, onMargin, 1)).toBe(0);
    expect(Array.from(onMargin)).toEqual(new Array(12).fill(0));
  });

  it('two corruptions of the same true window accumulate on its score', () => {
    // (0, 2, 1): 0.5 as above; (0, 3, 1): 1 + 0.6 − 2 = −0.4 → fine; (0, 2, 0): 1 + 0.9 − 0.1 = 1.8
    const pairs = pairsOf([[0, 2, 1], [0, 3, 1], [0, 2, 0], [0, 2, 0]]);
    const dS = new Float64Array(12);
    expect(pairMarginLoss(S, K, pairs, 1, dS, 0.5)).toBeCloseTo(0.5 + 1.8 + 1.8, 14);
    const expected = new Array(12).fill(0);
    expected[1] = -0.5;
    expected[7] = 0.5;
    expected[0] = -1;
    expected[6] = 1;
    expect(Array.from(dS)).toEqual(expected);
  });

  it('works on Float32 scores and gradients', () => {
    const dS = new Float32Array(12);
    expect(pairMarginLoss(Float32Array.from(S), K, pairsOf([[0, 2, 1]]), 1, dS, 0.5)).toBeCloseTo(0.5, 6);
    expect(dS[7]).toBe(0.5);
    expect(dS[1]).toBe(-0.5);
  });

  it('dS matches central differences of the loss away from kinks', () => {
    const rng = new Rng(17);
    const rows = 8;
    const KK = 4;
    const scores = Float64Array.from({ length: rows * KK }, () => rng.range(-1.5, 1.5));
    const pairs = new MarginPairs(12);
    for (let i = 0; i < 12; i++) pairs.add(rng.int(3), 3 + rng.int(5), rng.int(KK));
    const margin = 0.75;
    expect(pairKinkDistance(scores, KK, pairs, margin)).toBeGreaterThan(1e-4);
    const base = Float64Array.from({ length: rows * KK }, () => rng.range(-1, 1));
    const dS = base.slice();
    const scale = 0.3;
    const loss = pairMarginLoss(scores, KK, pairs, margin, dS, scale);
    expect(loss).toBeGreaterThan(0);
    const h = 1e-6;
    for (let i = 0; i < scores.length; i++) {
      const plus = scores.slice();
      const minus = scores.slice();
      plus[i] += h;
      minus[i] -= h;
      const numeric = (pairMarginLoss(plus, KK, pairs, margin, null, 1) - pairMarginLoss(minus, KK, pairs, margin, null, 1)) / (2 * h);
      expect(dS[i] - base[i]).toBeCloseTo(scale * numeric, 6);
    }
  });
});

describe('pairKinkDistance', () => {
  it('is the smallest |Δ + s_y(corrupted) − s_y(true)| over the pairs', () => {
    const pairs = pairsOf([[0, 2, 1], [1, 3, 2]]);
    // |0.5| and |−1.2|
    expect(pairKinkDistance(S, K, pairs, 1)).toBeCloseTo(0.5, 14);
    // Δ = 1.9: |1.4|, |−0.3| → 0.3
    expect(pairKinkDistance(S, K, pairs, 1.9)).toBeCloseTo(0.3, 14);
    // exactly on the kink
    expect(pairKinkDistance(S, K, pairsOf([[0, 2, 1]]), 0.5)).toBeCloseTo(0, 14);
    expect(pairKinkDistance(S, K, new MarginPairs(4), 1)).toBe(Infinity);
  });
});
