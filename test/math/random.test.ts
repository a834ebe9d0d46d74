import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/math/random.js';

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('Rng', () => {
  it('the same seed gives the same sequence', () => {
    expect(draws(new Rng(42), 1000)).toEqual(draws(new Rng(42), 1000));
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 100; i++) {
      expect(a.uniform()).toBe(b.uniform());
      expect(a.int(13)).toBe(b.int(13));
      expect(a.normal()).toBe(b.normal());
    }
  });

  it('different seeds give different sequences', () => {
    const seqs = [0, 1, 2, 3, 1000, 0xffffffff].map((seed) => draws(new Rng(seed), 50).join(','));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Not merely shifted copies of one another either.
    const a = draws(new Rng(1), 200);
    const b = new Set(draws(new Rng(2), 200));
    expect(a.filter((v) => b.has(v)).length).toBeLessThan(3);
  });

  it('nextUint32 gives unsigned 32-bit integers', () => {
    const rng = new Rng(11);
    let ok = true;
    for (let i = 0; i < 10000; i++) {
      const v = rng.nextUint32();
      ok &&= Number.isInteger(v) && v >= 0 && v < 2 ** 32;
    }
    expect(ok).toBe(true);
  });

  it('uniform() lies in [0, 1) with mean ≈ 1/2 and variance ≈ 1/12', () => {
    const rng = new Rng(123);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      sum += u;
      sumSq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const mean = sum / n;
    // standard error of the mean: √(1/12 / 1e5) ≈ 0.0009
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('range(lo, hi) lies in [lo, hi)', () => {
    const rng = new Rng(5);
    let ok = true;
    for (let i = 0; i < 10000; i++) {
      const v = rng.range(-0.3, 0.7);
      ok &&= v >= -0.3 && v < 0.7;
    }
    expect(ok).toBe(true);
  });

  it('int(n) stays in [0, n) and is roughly uniform (chi-square bound)', () => {
    const rng = new Rng(2024);
    for (const n of [1, 2, 7, 10, 1000, 2 ** 31 + 11]) {
      let ok = true;
      for (let i = 0; i < 2000; i++) {
        const v = rng.int(n);
        ok &&= Number.isInteger(v) && v >= 0 && v < n;
      }
      expect(ok, `int(${n})`).toBe(true);
    }
    const bins = 10;
    const draws = 100_000;
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < draws; i++) counts[rng.int(bins)]++;
    const expected = draws / bins;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: P(χ² > 27.9) = 0.001.
    expect(chi2).toBeLessThan(27.9);
  });

  it('int(n) has no modulo bias for n that does not divide 2³²', () => {
    // n = 3·2³⁰: a plain nextUint32() % n would map [3·2³⁰, 2³²) onto [0, 2³⁰),
    // making P(v < 2³⁰) = 1/2 instead of 1/3.
    const rng = new Rng(6);
    const n = 3 * 2 ** 30;
    const draws = 30_000;
    let low = 0;
    for (let i = 0; i < draws; i++) if (rng.int(n) < 2 ** 30) low++;
    expect(Math.abs(low / draws - 1 / 3)).toBeLessThan(0.015); // s.e. ≈ 0.0027
  });

  it('int(n) rejects n ≤ 0', () => {
    const rng = new Rng(1);
    expect(() => rng.int(0)).toThrow(RangeError);
    expect(() => rng.int(-3)).toThrow(RangeError);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1 over 100k draws', () => {
    const rng = new Rng(99);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let within1 = 0;
    let finite = true;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      finite &&= Number.isFinite(z);
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) < 1) within1++;
    }
    expect(finite).toBe(true);
    const mean = sum / n;
    // standard errors: mean 1/√n ≈ 0.0032, variance √(2/n) ≈ 0.0045
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(sumSq / n - mean * mean - 1)).toBeLessThan(0.02);
    // P(|Z| < 1) = 0.6827
    expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
  });

  it('shuffle is a permutation, seeded, and actually moves things', () => {
    const a = new Rng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    const b = new Rng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const fixedPoints = Array.from(a).filter((v, i) => v === i).length;
    expect(fixedPoints).toBeLessThan(10);

    const arr = [5, 5, 1, 2, 9];
    const out = new Rng(8).shuffle(arr);
    expect(out).toBe(arr);
    expect([...arr].sort()).toEqual([1, 2, 5, 5, 9]);
    expect(new Rng(1).shuffle([] as number[])).toEqual([]);
    expect(new Rng(1).shuffle([4])).toEqual([4]);
  });

  it('shuffle of 3 items hits all 6 orders about equally often', () => {
    const rng = new Rng(77);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const key = rng.shuffle([0, 1, 2]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - n / 6)).toBeLessThan(500); // σ ≈ 91
  });

  it('getState/setState resumes the sequence exactly', () => {
    const rng = new Rng(31337);
    draws(rng, 17);
    rng.uniform();
    const state = rng.getState();
    expect(state).toHaveLength(4);
    for (const w of state) expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
    const expected = [...draws(rng, 100), rng.uniform(), rng.int(1000), rng.normal(), rng.normal()];

    const other = new Rng(1);
    draws(other, 3);
    other.setState(state);
    const resumed = [...draws(other, 100), other.uniform(), other.int(1000), other.normal(), other.normal()];
    expect(resumed).toEqual(expected);

    // The returned state is a copy: mutating it does not touch the generator.
    const s2 = rng.getState();
    const next = new Rng(0);
    next.setState(s2);
    s2[0] = 0;
    expect(next.nextUint32()).toBe(rng.nextUint32());
  });

  it('setState rejects a state of the wrong length', () => {
    expect(() => new Rng(1).setState([1, 2, 3])).toThrow(RangeError);
  });
});

describe('Rng.fillBernoulli', () => {
  /**
   * The definition, written out with ordinary generators: stream s is the generator seeded
   * with the s-th of the next four words (a seed is spread by splitmix32 in both), and entry
   * i keeps when stream i mod 4's next uniform() < keep.
   */
  function reference(main: Rng, n: number, keep: number, hit: number, miss: number): Float32Array {
    const streams = [0, 1, 2, 3].map(() => new Rng(main.nextUint32()));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = streams[i % 4].uniform() < keep ? hit : miss;
    return out;
  }

  it('draws entry i from stream i mod 4, seeded from four words of the generator, which advances by exactly four words', () => {
    for (const keep of [0.5, 0.8, 0.1, 1 / 3, 0.999999, 1, 0]) {
      for (const n of [0, 1, 3, 4, 5, 5003]) {
        const a = new Rng(42);
        const b = new Rng(42);
        a.uniform(); // start mid-stream, after an ordinary draw
        b.uniform();
        const want = reference(a, n, keep, keep > 0 ? 1 / keep : 0, 0);
        const got = new Float32Array(n);
        b.fillBernoulli(got, n, keep, keep > 0 ? 1 / keep : 0, 0);
        expect(got).toEqual(want);
        expect(b.getState()).toEqual(a.getState());
        expect(b.nextUint32()).toBe(a.nextUint32());
      }
    }
  });

  it('decides at the exact threshold as uniform() < keep does', () => {
    // keep = u/2³² for stream 0's first word u: uniform() < keep is false, and so must be the fast test.
    const u = new Rng(new Rng(7).nextUint32()).nextUint32();
    const out = [9];
    new Rng(7).fillBernoulli(out, 1, u / 4294967296, 1, 0);
    expect(out[0]).toBe(0);
    new Rng(7).fillBernoulli(out, 1, (u + 1) / 4294967296, 1, 0);
    expect(out[0]).toBe(1);
  });

  it('keeps about keep·n entries', () => {
    const n = 100_000;
    for (const keep of [0.5, 0.7, 0.05]) {
      const out = new Float32Array(n);
      new Rng(3).fillBernoulli(out, n, keep, 1, 0);
      const kept = out.reduce((s, v) => s + v, 0);
      expect(Math.abs(kept - keep * n)).toBeLessThan(5 * Math.sqrt(n * keep * (1 - keep)));
    }
  });
});
