import { describe, expect, it } from 'vitest';
import { iob2Constraints, type TransitionMask } from '../../src/decode/constraints.js';
import { pathScore, viterbi, ViterbiWorkspace, type Transitions } from '../../src/decode/viterbi.js';
import type { DTypeName } from '../../src/math/matrix.js';
import { Rng } from '../../src/math/random.js';
import { allPaths, pathScoreByDefinition, randomArray } from './brute-force.js';



function allowed(mask: TransitionMask, y: number[]): boolean {
  if (!mask.start[y[0]]) return false;
  for (let t = 1; t < y.length; t++) if (!mask.trans[y[t - 1] * mask.K + y[t]]) return false;
  return true;
}


const LABELS: Record<number, string[]> = {
  2: ['B-A', 'I-A'],
  3: ['O', 'B-A', 'I-A'],
  5: ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER'],
};

interface Case {
  n: number;
  K: number;
  dtype: DTypeName;
}

const cases: Case[] = [];
for (const dtype of ['float64', 'float32'] as const) {
  for (const n of [1, 2, 3, 5]) for (const K of [2, 3, 5]) cases.push({ n, K, dtype });
}

/** A sentence of n tokens at row `offset` of a larger S, with random transitions. */
function setup(rng: Rng, { n, K, dtype }: Case) {
  const offset = 3;
  const S = randomArray(rng, dtype, (offset + n + 2) * K);
  const tr: Transitions = { start: randomArray(rng, dtype, K), trans: randomArray(rng, dtype, K * K) };
  const gold = new Int32Array(offset + n + 1).fill(-7);
  for (let t = 0; t < n; t++) gold[offset + 1 + t] = rng.int(K);
  return { offset, S, tr, gold, goldOffset: offset + 1 };
}

function bruteBest(n: number, K: number, value: (y: number[]) => number, keep: (y: number[]) => boolean = () => true) {
  let best = -Infinity;
  let arg: number[] = [];
  for (const y of allPaths(n, K)) {
    if (!keep(y)) continue;
    const v = value(y);
    if (v > best) {
      best = v;
      arg = y;
    }
  }
  return { best, arg };
}

describe('viterbi', () => {
  const ws = new ViterbiWorkspace(2, 1); // deliberately too small: must grow on demand

  it.each(cases)('finds the brute-force best path (n=$n, K=$K, $dtype)', (c) => {
    const rng = new Rng(1000 * c.n + 10 * c.K + (c.dtype === 'float32' ? 1 : 0));
    for (let rep = 0; rep < 5; rep++) {
      const { offset, S, tr } = setup(rng, c);
      const out = new Int32Array(c.n + 4).fill(-9);
      const got = viterbi(S, offset, c.n, c.K, tr, null, out, 2, ws);
      const { best, arg } = bruteBest(c.n, c.K, (y) => pathScoreByDefinition(S, offset, c.K, tr, y));
      expect(Array.from(out.subarray(2, 2 + c.n))).toEqual(arg);
      // Nothing outside the sentence's slice of `out` is touched.
      expect([out[0], out[1], out[c.n + 2], out[c.n + 3]]).toEqual([-9, -9, -9, -9]);
      expect(got).toBeCloseTo(best, 10);
      expect(got).toBe(pathScore(S, offset, c.n, c.K, tr, out, 2));
    }
  });

  it.each(cases)('without transitions, decodes each token on its own (n=$n, K=$K, $dtype)', (c) => {
    const rng = new Rng(77 + c.n * c.K);
    const { offset, S } = setup(rng, c);
    const out = new Int32Array(c.n);
    const got = viterbi(S, offset, c.n, c.K, null, null, out, 0, ws);
    const { best, arg } = bruteBest(c.n, c.K, (y) => pathScoreByDefinition(S, offset, c.K, null, y));
    expect(Array.from(out)).toEqual(arg);
    expect(got).toBeCloseTo(best, 10);
    expect(got).toBe(pathScore(S, offset, c.n, c.K, null, out, 0));
  });

  it.each(cases)('with an IOB2 mask, finds the best allowed path (n=$n, K=$K, $dtype)', (c) => {
    const rng = new Rng(5000 + 1000 * c.n + 10 * c.K);
    const mask = iob2Constraints(LABELS[c.K]);
    for (let rep = 0; rep < 5; rep++) {
      const { offset, S, tr } = setup(rng, c);
      // Make the forbidden moves attractive, so that the mask has something to prevent.
      for (let j = 0; j < c.K; j++) if (!mask.start[j]) tr.start[j] += 3;
      for (let k = 0; k < c.K * c.K; k++) if (!mask.trans[k]) tr.trans[k] += 3;
      const out = new Int32Array(c.n + 1);
      const got = viterbi(S, offset, c.n, c.K, tr, mask, out, 1, ws);
      const { best, arg } = bruteBest(c.n, c.K, (y) => pathScoreByDefinition(S, offset, c.K, tr, y), (y) => allowed(mask, y));
      const path = Array.from(out.subarray(1));
      expect(path).toEqual(arg);
      expect(allowed(mask, path)).toBe(true);
      expect(got).toBeCloseTo(best, 10);
    }
  });

  it.each(cases)('loss-augmented, maximises score + margin·Hamming (n=$n, K=$K, $dtype)', (c) => {
    const rng = new Rng(9000 + 1000 * c.n + 10 * c.K);
    for (let rep = 0; rep < 5; rep++) {
      const { offset, S, tr, gold, goldOffset } = setup(rng, c);
      const margin = rng.range(0.5, 2);
      const hamming = (y: number[]): number => y.filter((v, t) => v !== gold[goldOffset + t]).length;
      const out = new Int32Array(c.n);
      const got = viterbi(S, offset, c.n, c.K, tr, null, out, 0, ws, { gold, goldOffset, margin });
      const { best, arg } = bruteBest(c.n, c.K, (y) => pathScoreByDefinition(S, offset, c.K, tr, y) + margin * hamming(y));
      expect(Array.from(out)).toEqual(arg);
      expect(got).toBeCloseTo(best, 10);
      expect(got).toBeCloseTo(pathScore(S, offset, c.n, c.K, tr, out, 0) + margin * hamming(Array.from(out)), 10);
    }
  });

  it('breaks ties towards the lower label id', () => {
    const K = 4;
    const n = 3;
    const S = new Float64Array(n * K);
    const tr: Transitions = { start: new Float64Array(K), trans: new Float64Array(K * K) };
    const out = new Int32Array(n).fill(-1);
    expect(viterbi(S, 0, n, K, tr, null, out, 0, ws)).toBe(0);
    expect(Array.from(out)).toEqual([0, 0, 0]);
    // Labels 2 and 3 tie at every token: 2 wins.
    for (let t = 0; t < n; t++) S[t * K + 2] = S[t * K + 3] = 1;
    viterbi(S, 0, n, K, tr, null, out, 0, ws);
    expect(Array.from(out)).toEqual([2, 2, 2]);
  });

  it('decodes an empty sentence to nothing', () => {
    const out = new Int32Array(1).fill(5);
    expect(viterbi(new Float64Array(3), 0, 0, 3, null, null, out, 0, ws)).toBe(0);
    expect(out[0]).toBe(5);
    expect(pathScore(new Float64Array(3), 0, 0, 3, null, out, 0)).toBe(0);
  });

  it('pathScore follows the definition', () => {
    const rng = new Rng(3);
    const c: Case = { n: 5, K: 3, dtype: 'float64' };
    const { offset, S, tr } = setup(rng, c);
    for (const y of allPaths(c.n, c.K)) {
      expect(pathScore(S, offset, c.n, c.K, tr, Int32Array.from(y), 0)).toBeCloseTo(pathScoreByDefinition(S, offset, c.K, tr, y), 12);
    }
  });

  it('speed sanity: n = 40, K = 9 (not asserted)', () => {
    const rng = new Rng(11);
    const n = 40;
    const K = 9;
    const S = randomArray(rng, 'float32', n * K);
    const tr: Transitions = { start: randomArray(rng, 'float32', K), trans: randomArray(rng, 'float32', K * K) };
    const mask = iob2Constraints(['O', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    const out = new Int32Array(n);
    const big = new ViterbiWorkspace(K, n);
    const reps = 20000;
    for (let r = 0; r < 1000; r++) viterbi(S, 0, n, K, tr, mask, out, 0, big);
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) viterbi(S, 0, n, K, tr, mask, out, 0, big);
    const us = ((performance.now() - t0) * 1000) / reps;
    console.log(`viterbi n=40 K=9 masked: ${us.toFixed(2)} µs per sentence`);
    expect(Number.isFinite(us)).toBe(true);
  });
});
