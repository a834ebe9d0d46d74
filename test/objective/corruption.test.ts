import { describe, expect, it } from 'vitest';
import { Vocabulary } from '../../src/data/vocab.js';
import { encodeWindows, type EncodedWindows } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';
import { centreWordCounts, centreWordOffset, UnigramSampler } from '../../src/objective/corruption.js';

function frequencies(draw: () => number, n: number, size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (let i = 0; i < n; i++) counts[draw()]++;
  return counts.map((c) => c / n);
}

describe('UnigramSampler', () => {
  const COUNTS = [0, 1, 2, 7, 0, 10];
  const TOTAL = 20;

  it('200,000 seeded draws follow count/total within 0.005; zero-count ids never appear', () => {
    for (const seed of [1, 2024]) {
      const sampler = new UnigramSampler(COUNTS);
      const rng = new Rng(seed);
      const n = 200_000;
      const seen = new Array<number>(COUNTS.length).fill(0);
      let outOfRange = 0;
      for (let i = 0; i < n; i++) {
        const w = sampler.sample(rng);
        if (Number.isInteger(w) && w >= 0 && w < COUNTS.length) seen[w]++;
        else outOfRange++;
      }
      expect(outOfRange).toBe(0);
      expect(seen[0]).toBe(0);
      expect(seen[4]).toBe(0);
      COUNTS.forEach((c, i) => expect(Math.abs(seen[i] / n - c / TOTAL)).toBeLessThan(0.005));
    }
  });

  it('accepts a Float64Array of counts and non-integer weights', () => {
    const sampler = new UnigramSampler(Float64Array.of(0.5, 0, 1.5));
    const rng = new Rng(5);
    const f = frequencies(() => sampler.sample(rng), 100_000, 3);
    expect(f[1]).toBe(0);
    expect(Math.abs(f[0] - 0.25)).toBeLessThan(0.005);
    expect(Math.abs(f[2] - 0.75)).toBeLessThan(0.005);
  });

  it('uniform counts give a uniform distribution', () => {
    const sampler = new UnigramSampler([3, 3, 3, 3, 3, 3, 3, 3]);
    const rng = new Rng(9);
    const f = frequencies(() => sampler.sample(rng), 160_000, 8);
    for (const p of f) expect(Math.abs(p - 0.125)).toBeLessThan(0.005);
  });

  it('a single word with mass is always drawn (also by sampleOther, which has nothing else)', () => {
    const sampler = new UnigramSampler([0, 0, 5, 0]);
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) expect(sampler.sample(rng)).toBe(2);
    for (let i = 0; i < 100; i++) expect(sampler.sampleOther(rng, 2)).toBe(2);
    expect(new UnigramSampler([4]).sample(rng)).toBe(0);
  });

  it('counts summing to zero throw', () => {
    expect(() => new UnigramSampler([0, 0, 0])).toThrow(RangeError);
    expect(() => new UnigramSampler([])).toThrow(RangeError);
    expect(() => new UnigramSampler(new Float64Array(10))).toThrow(/sum to zero/);
  });

  it('sampleOther never returns `avoid` for a low-mass word, and follows the renormalised distribution', () => {
    const sampler = new UnigramSampler(COUNTS);
    const rng = new Rng(11);
    const n = 200_000;
    // avoid 3 (mass 7/20): the others renormalised over 13 → [0, 1/13, 2/13, 0, 0, 10/13]
    const f = frequencies(() => sampler.sampleOther(rng, 3), n, COUNTS.length);
    expect(f[3]).toBe(0);
    expect(f[0]).toBe(0);
    expect(f[4]).toBe(0);
    const expected = [0, 1 / 13, 2 / 13, 0, 0, 10 / 13];
    expected.forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.005));
    // avoiding a word without mass leaves the distribution as it is
    const g = frequencies(() => sampler.sampleOther(rng, 0), n, COUNTS.length);
    COUNTS.forEach((c, i) => expect(Math.abs(g[i] - c / TOTAL)).toBeLessThan(0.005));
  });

  it('sampleOther avoiding a dominant word (mass 0.5) follows [0, 0.1, 0.2, 0.7, 0, 0] roughly', () => {
    const sampler = new UnigramSampler(COUNTS);
    const rng = new Rng(12);
    const f = frequencies(() => sampler.sampleOther(rng, 5), 100_000, COUNTS.length);
    [0, 0.1, 0.2, 0.7, 0, 0].forEach((p, i) => expect(Math.abs(f[i] - p)).toBeLessThan(0.005));
  });

  it('sampleOther never returns `avoid` when another word has mass, even a dominant `avoid`', () => {
    // Rejection alone would return `avoid` with probability p(avoid)^17 (0.84 here): the exact fallback must take over.
    const sampler = new UnigramSampler([1, 99]);
    const rng = new Rng(1);
    for (let i = 0; i < 10_000; i++) expect(sampler.sampleOther(rng, 1)).toBe(0);
  });

  it('sampleOther with a dominant `avoid` still follows the renormalised distribution of the rest', () => {
    const sampler = new UnigramSampler([1, 3, 0, 996]);
    const rng = new Rng(2);
    const seen = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) seen[sampler.sampleOther(rng, 3)]++;
    expect(seen[2]).toBe(0);
    expect(seen[3]).toBe(0);
    expect(Math.abs(seen[0] / 20_000 - 0.25)).toBeLessThan(0.015);
  });

  it('sampleOther returns `avoid` when it is the only word with mass', () => {
    expect(new UnigramSampler([0, 5, 0]).sampleOther(new Rng(3), 1)).toBe(1);
  });
});

describe('centreWordCounts and centreWordOffset', () => {
  // Hand-built windows: w = 3 positions, T = 2 tables (word, caps); ids[(n·w + j)·T + t].
  const windows: EncodedWindows = {
    // prettier-ignore
    ids: Int32Array.of(
      1, 4, /**/ 5, 0, /**/ 6, 1, // window 0: centre word 5
      5, 0, /**/ 6, 3, /**/ 2, 4, // window 1: centre word 6 (caps id 3 must not be counted)
      1, 4, /**/ 6, 1, /**/ 7, 2, // window 2: centre word 6
      6, 1, /**/ 7, 2, /**/ 2, 4, // window 3: centre word 7
    ),
    count: 4,
    positions: 3,
    tables: 2,
    sentenceStarts: Int32Array.of(0, 4),
  };

  it('centreWordOffset is the word column of the centre position', () => {
    expect(centreWordOffset(windows)).toBe(2);
    expect(centreWordOffset({ positions: 5, tables: 2 })).toBe(4);
    expect(centreWordOffset({ positions: 3, tables: 1 })).toBe(1);
    expect(centreWordOffset({ positions: 1, tables: 2 })).toBe(0);
    expect(centreWordOffset({ positions: 7, tables: 1 })).toBe(3);
    for (let n = 0; n < windows.count; n++) {
      expect(windows.ids[n * 3 * 2 + centreWordOffset(windows)]).toBe([5, 6, 6, 7][n]);
    }
  });

  it('counts the centre words only (not the caps column, not the other positions)', () => {
    const counts = centreWordCounts(windows, 9);
    expect(counts).toBeInstanceOf(Float64Array);
    expect(Array.from(counts)).toEqual([0, 0, 0, 0, 0, 1, 2, 1, 0]);
  });

  it('on encoded sentences equals the token counts of the split', () => {
    const sentences = [{ tokens: ['the', 'cat', 'saw', 'the', 'dog'] }, { tokens: ['a', 'dog'] }, { tokens: ['The'] }];
    const vocab = Vocabulary.fromKeys(['the', 'dog', 'cat', 'saw']); // 'a' and 'The' are unknown (row 0)
    for (const caps of [false, true]) {
      const encoded = encodeWindows(sentences, vocab, { halfWidth: 2, caps, norm: { lowercase: false, normalize_digits: false } });
      expect(encoded.tables).toBe(caps ? 2 : 1);
      const counts = centreWordCounts(encoded, vocab.size);
      // rows: 0 <unk> (a, The), 1 <s>, 2 </s>, 3 the, 4 dog, 5 cat, 6 saw
      expect(Array.from(counts)).toEqual([2, 0, 0, 2, 2, 1, 1]);
      expect(counts.reduce((s, c) => s + c, 0)).toBe(encoded.count);
    }
  });
});
