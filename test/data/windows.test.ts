import { describe, expect, it } from 'vitest';
import { AFFIX_PAD_ID, AFFIX_UNK_ID, AffixVocabulary } from '../../src/data/affixes.js';
import { CAPS_PAD, capsClass } from '../../src/data/caps.js';
import { PAD_END_ID, PAD_START_ID, UNK_ID, Vocabulary, wordKey, type WordNormalisation } from '../../src/data/vocab.js';
import { encodeWindows, tablesPerPosition, type WindowFeatures } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';

const NORM: WordNormalisation = { lowercase: true, normalize_digits: true };
// Ids: <unk> 0, <s> 1, </s> 2, eu 3, rejects 4, german 5.
const vocab = Vocabulary.fromKeys(['eu', 'rejects', 'german']);
const ONE = { tokens: ['EU'] };
const THREE = { tokens: ['EU', 'rejects', 'German'] };
// Caps classes: EU upper 3, rejects lower 1, German initial 2.

const features = (halfWidth: number, caps: boolean): WindowFeatures => ({ halfWidth, caps, norm: NORM });

/** ids of token n as rows of [position][table]. */
function windowOf(ids: Int32Array, n: number, positions: number, tables: number): number[][] {
  return Array.from({ length: positions }, (_, j) => Array.from(ids.subarray((n * positions + j) * tables, (n * positions + j + 1) * tables)));
}

describe('encodeWindows', () => {
  it('has one table per position without caps and two with them', () => {
    expect(tablesPerPosition(features(2, false))).toBe(1);
    expect(tablesPerPosition(features(2, true))).toBe(2);
  });

  it('half-width 0: one position, the word itself', () => {
    const out = encodeWindows([ONE, THREE], vocab, features(0, false));
    expect(out.count).toBe(4);
    expect(out.positions).toBe(1);
    expect(out.tables).toBe(1);
    expect(Array.from(out.ids)).toEqual([3, 3, 4, 5]);
    expect(Array.from(out.sentenceStarts)).toEqual([0, 1, 4]);
  });

  it('half-width 0 with caps: word and caps ids interleaved', () => {
    const out = encodeWindows([ONE, THREE], vocab, features(0, true));
    expect(Array.from(out.ids)).toEqual([3, 3, 3, 3, 4, 1, 5, 2]);
  });

  it('half-width 1 with caps: <s>/</s> word ids and caps pad 0 past the sentence edges', () => {
    const out = encodeWindows([ONE, THREE], vocab, features(1, true));
    expect(out.positions).toBe(3);
    expect(out.tables).toBe(2);
    expect(out.ids).toHaveLength(4 * 3 * 2);
    // Sentence of length 1: both neighbours are padding.
    expect(windowOf(out.ids, 0, 3, 2)).toEqual([[PAD_START_ID, CAPS_PAD], [3, 3], [PAD_END_ID, CAPS_PAD]]);
    // Sentence of length 3: padding never comes from the neighbouring sentence.
    expect(windowOf(out.ids, 1, 3, 2)).toEqual([[PAD_START_ID, CAPS_PAD], [3, 3], [4, 1]]);
    expect(windowOf(out.ids, 2, 3, 2)).toEqual([[3, 3], [4, 1], [5, 2]]);
    expect(windowOf(out.ids, 3, 3, 2)).toEqual([[4, 1], [5, 2], [PAD_END_ID, CAPS_PAD]]);
    expect(Array.from(out.sentenceStarts)).toEqual([0, 1, 4]);
  });

  it('half-width 2 without caps: two pads on a side where the sentence is short', () => {
    const out = encodeWindows([ONE, THREE], vocab, features(2, false));
    expect(out.positions).toBe(5);
    expect(Array.from(out.ids)).toEqual([
      1, 1, 3, 2, 2, // EU (alone)
      1, 1, 3, 4, 5, // EU
      1, 3, 4, 5, 2, // rejects
      3, 4, 5, 2, 2, // German
    ]);
  });

  it('half-width 2 with caps, sentence order reversed', () => {
    const out = encodeWindows([THREE, ONE], vocab, features(2, true));
    expect(windowOf(out.ids, 0, 5, 2)).toEqual([[1, 0], [1, 0], [3, 3], [4, 1], [5, 2]]);
    expect(windowOf(out.ids, 1, 5, 2)).toEqual([[1, 0], [3, 3], [4, 1], [5, 2], [2, 0]]);
    expect(windowOf(out.ids, 2, 5, 2)).toEqual([[3, 3], [4, 1], [5, 2], [2, 0], [2, 0]]);
    expect(windowOf(out.ids, 3, 5, 2)).toEqual([[1, 0], [1, 0], [3, 3], [2, 0], [2, 0]]);
    expect(Array.from(out.sentenceStarts)).toEqual([0, 3, 4]);
  });

  it('looks words up by their key and gives unknown words <unk>', () => {
    const numbers = Vocabulary.fromKeys(['0000']);
    const out = encodeWindows([{ tokens: ['1996', '2024', 'Paris'] }], numbers, features(0, true));
    expect(Array.from(out.ids)).toEqual([3, 5, 3, 5, UNK_ID, 2]);
    const cased = encodeWindows([{ tokens: ['1996'] }], numbers, { halfWidth: 0, caps: false, norm: { lowercase: true, normalize_digits: false } });
    expect(Array.from(cased.ids)).toEqual([UNK_ID]);
  });

  it('with suffix and prefix: 4 tables per position (word, caps, suffix, prefix), affix padding row 1', () => {
    // Suffixes (length 2): eu, ts, an; prefixes (length 1): e, r, g.
    const suffix = AffixVocabulary.build(['EU', 'rejects', 'German', 'eu'], 'suffix', 2, 1); // rows: eu 2, ts 3, an 4
    const prefix = AffixVocabulary.build(['German', 'rejects'], 'prefix', 1, 1); // rows: g 2, r 3
    const four: WindowFeatures = { ...features(1, true), suffix, prefix };
    expect(tablesPerPosition(four)).toBe(4);
    const out = encodeWindows([ONE, THREE], vocab, four);
    expect(out.tables).toBe(4);
    expect(out.ids).toHaveLength(4 * 3 * 4);
    // [word, caps, suffix, prefix] per position; EU's prefix e was never seen: unknown row 0.
    expect(windowOf(out.ids, 0, 3, 4)).toEqual([[PAD_START_ID, CAPS_PAD, AFFIX_PAD_ID, AFFIX_PAD_ID], [3, 3, 2, AFFIX_UNK_ID], [PAD_END_ID, CAPS_PAD, AFFIX_PAD_ID, AFFIX_PAD_ID]]);
    expect(windowOf(out.ids, 2, 3, 4)).toEqual([[3, 3, 2, 0], [4, 1, 3, 3], [5, 2, 4, 2]]);
    expect(windowOf(out.ids, 3, 3, 4)).toEqual([[4, 1, 3, 3], [5, 2, 4, 2], [PAD_END_ID, CAPS_PAD, AFFIX_PAD_ID, AFFIX_PAD_ID]]);
    // Without caps the affix columns move up: [word, suffix, prefix].
    const noCaps = encodeWindows([THREE], vocab, { ...features(0, false), suffix, prefix });
    expect(noCaps.tables).toBe(3);
    expect(Array.from(noCaps.ids)).toEqual([3, 2, 0, 4, 3, 3, 5, 4, 2]);
    // A prefix alone: [word, caps, prefix].
    const prefixOnly = encodeWindows([THREE], vocab, { ...features(0, true), prefix });
    expect(Array.from(prefixOnly.ids)).toEqual([3, 3, 0, 4, 1, 3, 5, 2, 2]);
  });

  it('handles no sentences', () => {
    const out = encodeWindows([], vocab, features(2, true));
    expect(out.count).toBe(0);
    expect(out.ids).toHaveLength(0);
    expect(Array.from(out.sentenceStarts)).toEqual([0]);
  });

  it('matches ids[(n·w + j)·T + t] computed naively on random sentences', () => {
    const rng = new Rng(7);
    const words = ['EU', 'Rejects', 'GERMAN', 'call', 'to', 'boycott', 'British', 'lamb', '1996', 'iPhone', '.'];
    const big = Vocabulary.fromKeys(words.slice(0, 8).map((w) => wordKey(w, NORM)));
    const sentences = Array.from({ length: 20 }, () => ({
      tokens: Array.from({ length: 1 + rng.int(7) }, () => words[rng.int(words.length)]),
    }));
    const suffix = AffixVocabulary.build(words, 'suffix', 3, 1);
    const prefix = AffixVocabulary.build(words.slice(0, 6), 'prefix', 2, 1);
    for (const k of [0, 1, 2, 3]) {
      for (const caps of [false, true]) {
        const out = encodeWindows(sentences, big, features(k, caps));
        const all = encodeWindows(sentences, big, { ...features(k, caps), suffix, prefix });
        const w = 2 * k + 1;
        const T = caps ? 2 : 1;
        const T4 = T + 2;
        let n = 0;
        sentences.forEach((sentence, s) => {
          expect(out.sentenceStarts[s]).toBe(n);
          const len = sentence.tokens.length;
          for (let i = 0; i < len; i++, n++) {
            for (let j = 0; j < w; j++) {
              const p = i - k + j;
              const word = p < 0 ? PAD_START_ID : p >= len ? PAD_END_ID : big.id(wordKey(sentence.tokens[p], NORM));
              expect(out.ids[(n * w + j) * T]).toBe(word);
              if (caps) expect(out.ids[(n * w + j) * T + 1]).toBe(p < 0 || p >= len ? CAPS_PAD : capsClass(sentence.tokens[p]));
              // With both affixes the word and caps columns are unchanged and the affixes follow them.
              const inside = p >= 0 && p < len;
              for (let t = 0; t < T; t++) expect(all.ids[(n * w + j) * T4 + t]).toBe(out.ids[(n * w + j) * T + t]);
              expect(all.ids[(n * w + j) * T4 + T]).toBe(inside ? suffix.id(sentence.tokens[p]) : AFFIX_PAD_ID);
              expect(all.ids[(n * w + j) * T4 + T + 1]).toBe(inside ? prefix.id(sentence.tokens[p]) : AFFIX_PAD_ID);
            }
          }
        });
        expect(out.count).toBe(n);
        expect(out.sentenceStarts[sentences.length]).toBe(n);
        expect(out.ids).toHaveLength(n * w * T);
      }
    }
  });
});
