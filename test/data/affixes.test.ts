import { describe, expect, it } from 'vitest';
import { AFFIX_PAD, AFFIX_PAD_ID, AFFIX_UNK, AFFIX_UNK_ID, AffixVocabulary, affixOf } from '../../src/data/affixes.js';

describe('affixOf', () => {
  it('takes the last (suffix) or first (prefix) characters, lowercased', () => {
    expect(affixOf('Johnson', 'suffix', 3)).toBe('son');
    expect(affixOf('Johnson', 'prefix', 3)).toBe('joh');
    expect(affixOf('McDonald', 'prefix', 2)).toBe('mc');
    expect(affixOf('NEWTON', 'suffix', 4)).toBe('wton');
    expect(affixOf('1996', 'suffix', 2)).toBe('96');
    expect(affixOf('U.S.', 'prefix', 1)).toBe('u');
  });

  it('gives the whole token, lowercased, when it is not longer than the length', () => {
    expect(affixOf('EU', 'suffix', 3)).toBe('eu');
    expect(affixOf('EU', 'prefix', 3)).toBe('eu');
    expect(affixOf('Bob', 'suffix', 3)).toBe('bob');
    expect(affixOf('.', 'prefix', 2)).toBe('.');
    expect(affixOf('a', 'suffix', 1)).toBe('a');
  });

  it('counts code points, so accents and astral characters stay whole', () => {
    expect(affixOf('Müller', 'suffix', 3)).toBe('ler');
    expect(affixOf('Ölfeld', 'prefix', 2)).toBe('öl');
    expect(affixOf('São', 'suffix', 2)).toBe('ão');
    expect(affixOf('Δελφοί', 'suffix', 3)).toBe('φοί');
    expect(affixOf('Δελφοί', 'prefix', 2)).toBe('δε');
    expect(affixOf('東京都', 'suffix', 1)).toBe('都');
    // U+1F600 is two UTF-16 units: '😀ab' has 4 units but 3 characters.
    expect(affixOf('😀ab', 'prefix', 1)).toBe('😀');
    expect(affixOf('😀ab', 'suffix', 3)).toBe('😀ab');
    expect(affixOf('x😀😀', 'suffix', 2)).toBe('😀😀');
    // 𠀀 (U+20000, astral) at the cut is never split into a lone surrogate.
    expect(affixOf('ab𠀀', 'suffix', 1)).toBe('𠀀');
  });

  it('lowercases after cutting: İ keeps its combining dot', () => {
    // 'İ'.toLowerCase() is 'i' + U+0307: two characters from one.
    expect(affixOf('İzmir', 'prefix', 1)).toBe('i\u0307');
    expect(affixOf('İzmir', 'suffix', 5)).toBe('i\u0307zmir');
  });
});

describe('AffixVocabulary', () => {
  const TOKENS = ['Paris', 'Boris', 'Iris', 'Bonn', 'Cologne', 'born', 'EU', 'eu', 'x'];

  it('keeps the affixes seen min_count times, most frequent first, after the unknown and padding rows', () => {
    // Suffixes of length 3: ris ×3, onn, gne, orn, eu ×2, x.
    const vocab = AffixVocabulary.build(TOKENS, 'suffix', 3, 2);
    expect(vocab.affixes).toEqual([AFFIX_UNK, AFFIX_PAD, 'ris', 'eu']);
    expect(vocab.size).toBe(4);
    expect([vocab.side, vocab.length]).toEqual(['suffix', 3]);
    expect(vocab.id('Tigris')).toBe(2);
    expect(vocab.id('EU')).toBe(3);
    expect(vocab.id('Bonn')).toBe(AFFIX_UNK_ID);
    expect(vocab.id('Mars')).toBe(AFFIX_UNK_ID);
  });

  it('with min_count 1 keeps every affix; ties keep first appearance', () => {
    const vocab = AffixVocabulary.build(TOKENS, 'prefix', 2, 1);
    // Prefixes of length 2: pa, bo ×3, ir, co, eu ×2, x.
    expect(vocab.affixes).toEqual([AFFIX_UNK, AFFIX_PAD, 'bo', 'eu', 'pa', 'ir', 'co', 'x']);
    expect(vocab.id('Bordeaux')).toBe(2);
    expect(vocab.id('x')).toBe(7);
  });

  it('gives a higher min_count fewer rows, and an empty corpus only the reserved ones', () => {
    expect(AffixVocabulary.build(TOKENS, 'suffix', 3, 3).affixes).toEqual([AFFIX_UNK, AFFIX_PAD, 'ris']);
    expect(AffixVocabulary.build([], 'suffix', 3, 1).affixes).toEqual([AFFIX_UNK, AFFIX_PAD]);
  });

  it('never gives a token the padding row: affixes are lowercased, the reserved names are not', () => {
    const vocab = AffixVocabulary.build(['<PAD>', '<pad>', '<UNK>', '<unk>'], 'prefix', 5, 1);
    expect(vocab.affixes).toEqual([AFFIX_UNK, AFFIX_PAD, '<pad>', '<unk>']);
    expect(vocab.id('<PAD>')).toBe(2);
    expect(vocab.id('<UNK>')).toBe(3);
    expect(AFFIX_PAD_ID).toBe(1);
  });

  it('round-trips through its text, line i = row i', () => {
    const vocab = AffixVocabulary.build(['Müller', 'Keller', '東京都', '😀ab'], 'suffix', 3, 1);
    const text = vocab.toText();
    expect(text).toBe(`${AFFIX_UNK}\n${AFFIX_PAD}\nler\n東京都\n😀ab\n`);
    const back = AffixVocabulary.fromText(text, 'suffix', 3, 'suffix.txt');
    expect(back.affixes).toEqual(vocab.affixes);
    expect(back.id('Heller')).toBe(2);
  });

  it('rejects a text without the reserved rows, naming the line', () => {
    expect(() => AffixVocabulary.fromText('<UNK>\nler\n', 'suffix', 3, 'suffix.txt')).toThrow('suffix.txt:2: expected the reserved affix <PAD>');
  });

  it('rejects a length below 1', () => {
    expect(() => AffixVocabulary.build(TOKENS, 'suffix', 0, 1)).toThrow(RangeError);
  });
});
