import { describe, expect, it } from 'vitest';
import {
  convertTags,
  detectScheme,
  isValidTag,
  spansFromTags,
  tagPrefix,
  tagsFromSpans,
  tagType,
  type Span,
  type TagScheme,
} from '../../src/data/tags.js';
import { Rng } from '../../src/math/random.js';

const SCHEMES: TagScheme[] = ['iob1', 'iob2', 'iobes'];
const TYPES = ['PER', 'LOC', 'ORG', 'MISC'];

const span = (start: number, end: number, type: string): Span => ({ start, end, type });

/** Random non-overlapping spans over `length` tokens, often adjacent and of the same type (the IOB1 B- case). */
function randomSpans(rng: Rng, length: number): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < length) {
    if (rng.uniform() < 0.35) {
      i++; // an O token
      continue;
    }
    const len = 1 + rng.int(Math.min(4, length - i));
    spans.push(span(i, i + len, TYPES[rng.int(rng.uniform() < 0.5 ? 1 : TYPES.length)]));
    i += len;
  }
  return spans;
}

/** Arbitrary (often ill-formed) tag sequences in the given prefix alphabet. */
function randomTags(rng: Rng, length: number, prefixes: readonly string[]): string[] {
  return Array.from({ length }, () => {
    const prefix = prefixes[rng.int(prefixes.length)];
    return prefix === 'O' ? 'O' : `${prefix}-${TYPES[rng.int(2)]}`;
  });
}

describe('tag basics', () => {
  it('validates tags', () => {
    for (const tag of ['O', 'B-PER', 'I-LOC', 'E-ORG', 'S-MISC', 'B-A-B']) expect(isValidTag(tag)).toBe(true);
    for (const tag of ['', 'o', 'B', 'B-', 'X-PER', 'B_PER', 'B-P ER', 'OO']) expect(isValidTag(tag)).toBe(false);
  });

  it('splits prefix and type (type may contain hyphens, like conlleval)', () => {
    expect(tagPrefix('O')).toBe('O');
    expect(tagType('O')).toBe('');
    expect(tagPrefix('S-LOC')).toBe('S');
    expect(tagType('B-A-B')).toBe('A-B');
    expect(tagPrefix('E-X')).toBe('E');
  });
});

describe('spansFromTags, IOB (conlleval chunk rules)', () => {
  it('reads IOB1: B-X after a same-type chunk, I-X after O, type switches', () => {
    // tokens: 0 I-PER, 1 I-PER, 2 B-PER (new PER right after PER), 3 O, 4 I-LOC (I after O starts), 5 I-PER (type switch starts)
    const tags = ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC', 'I-PER', 'O'];
    expect(spansFromTags(tags, 'iob1')).toEqual([span(0, 2, 'PER'), span(2, 3, 'PER'), span(4, 5, 'LOC'), span(5, 6, 'PER')]);
  });

  it('reads ill-formed IOB2 leniently: I-X after O starts a chunk, B-X always starts one', () => {
    expect(spansFromTags(['O', 'I-ORG', 'I-ORG', 'B-ORG', 'B-ORG', 'I-ORG'], 'iob2')).toEqual([
      span(1, 3, 'ORG'),
      span(3, 4, 'ORG'),
      span(4, 6, 'ORG'),
    ]);
    // I-LOC after B-PER: the type change ends PER and starts LOC.
    expect(spansFromTags(['B-PER', 'I-LOC', 'I-LOC'], 'iob2')).toEqual([span(0, 1, 'PER'), span(1, 3, 'LOC')]);
  });

  it('ends a chunk at the end of the sentence', () => {
    expect(spansFromTags(['O', 'B-PER', 'I-PER'], 'iob2')).toEqual([span(1, 3, 'PER')]);
    expect(spansFromTags(['I-PER'], 'iob1')).toEqual([span(0, 1, 'PER')]);
    expect(spansFromTags([], 'iob1')).toEqual([]);
  });

  it('reads iob1 and iob2 tags the same way (conlleval does not know the scheme)', () => {
    const rng = new Rng(11);
    for (let k = 0; k < 300; k++) {
      const tags = randomTags(rng, rng.int(10), ['O', 'B', 'I']);
      expect(spansFromTags(tags, 'iob1')).toEqual(spansFromTags(tags, 'iob2'));
    }
  });
});

describe('spansFromTags, IOBES', () => {
  it('reads well-formed IOBES', () => {
    expect(spansFromTags(['B-PER', 'I-PER', 'E-PER', 'S-LOC', 'O', 'S-LOC', 'S-LOC'], 'iobes')).toEqual([
      span(0, 3, 'PER'),
      span(3, 4, 'LOC'),
      span(5, 6, 'LOC'),
      span(6, 7, 'LOC'),
    ]);
  });

  it('is lenient on ill-formed IOBES', () => {
    // 0 I-ORG after O starts ORG; 1 E-ORG continues and closes [0,2); 2 E-ORG with nothing open is a 1-token chunk;
    // 3 B-MISC opens, 4 B-MISC closes [3,4) and opens; 5 S-PER closes [4,5) and is [5,6); 6 I-PER starts,
    // 7 I-LOC (type change) closes [6,7) and starts LOC, left open until the sentence ends.
    const tags = ['I-ORG', 'E-ORG', 'E-ORG', 'B-MISC', 'B-MISC', 'S-PER', 'I-PER', 'I-LOC'];
    expect(spansFromTags(tags, 'iobes')).toEqual([
      span(0, 2, 'ORG'),
      span(2, 3, 'ORG'),
      span(3, 4, 'MISC'),
      span(4, 5, 'MISC'),
      span(5, 6, 'PER'),
      span(6, 7, 'PER'),
      span(7, 8, 'LOC'),
    ]);
  });
});

describe('tagsFromSpans', () => {
  const spans = [span(0, 2, 'PER'), span(2, 3, 'PER'), span(4, 5, 'LOC'), span(5, 7, 'ORG')];

  it('writes each scheme', () => {
    expect(tagsFromSpans(spans, 8, 'iob1')).toEqual(['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC', 'I-ORG', 'I-ORG', 'O']);
    expect(tagsFromSpans(spans, 8, 'iob2')).toEqual(['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC', 'B-ORG', 'I-ORG', 'O']);
    expect(tagsFromSpans(spans, 8, 'iobes')).toEqual(['B-PER', 'E-PER', 'S-PER', 'O', 'S-LOC', 'B-ORG', 'E-ORG', 'O']);
  });

  it('accepts spans in any order', () => {
    expect(tagsFromSpans([...spans].reverse(), 8, 'iob2')).toEqual(tagsFromSpans(spans, 8, 'iob2'));
  });

  it('rejects overlapping or out-of-range spans (a caller bug)', () => {
    expect(() => tagsFromSpans([span(0, 2, 'PER'), span(1, 3, 'LOC')], 4, 'iob2')).toThrow(/overlapping/);
    expect(() => tagsFromSpans([span(2, 5, 'PER')], 4, 'iob2')).toThrow();
    expect(() => tagsFromSpans([span(2, 2, 'PER')], 4, 'iob2')).toThrow();
  });
});

describe('round trips', () => {
  it('spansFromTags(tagsFromSpans(spans)) === spans for random spans, every scheme', () => {
    const rng = new Rng(20240601);
    for (let k = 0; k < 2000; k++) {
      const length = rng.int(15);
      const spans = randomSpans(rng, length);
      for (const scheme of SCHEMES) {
        expect(spansFromTags(tagsFromSpans(spans, length, scheme), scheme)).toEqual(spans);
      }
    }
  });

  it('convertTags iob1 -> iob2 -> iobes -> iob1 preserves chunks and well-formed tags', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 1000; k++) {
      const length = rng.int(15);
      const spans = randomSpans(rng, length);
      const iob1 = tagsFromSpans(spans, length, 'iob1');
      const iob2 = convertTags(iob1, 'iob1', 'iob2');
      const iobes = convertTags(iob2, 'iob2', 'iobes');
      expect(iob2).toEqual(tagsFromSpans(spans, length, 'iob2'));
      expect(iobes).toEqual(tagsFromSpans(spans, length, 'iobes'));
      expect(convertTags(iobes, 'iobes', 'iob1')).toEqual(iob1);
      expect(convertTags(iobes, 'iobes', 'iob2')).toEqual(iob2);
      expect(convertTags(iob2, 'iob2', 'iob1')).toEqual(iob1);
    }
  });

  it('convertTags keeps the chunks of ill-formed input as read in the source scheme', () => {
    const rng = new Rng(99);
    for (let k = 0; k < 1000; k++) {
      const from = SCHEMES[rng.int(3)];
      const to = SCHEMES[rng.int(3)];
      const tags = randomTags(rng, rng.int(12), from === 'iobes' ? ['O', 'B', 'I', 'E', 'S'] : ['O', 'B', 'I']);
      expect(spansFromTags(convertTags(tags, from, to), to)).toEqual(spansFromTags(tags, from));
    }
  });
});

describe('detectScheme', () => {
  it('detects IOBES from any E- or S- tag', () => {
    expect(detectScheme([['O', 'S-PER']])).toBe('iobes');
    expect(detectScheme([['B-PER', 'E-PER'], ['I-LOC']])).toBe('iobes');
  });

  it('detects IOB1 from an I- tag that starts a chunk', () => {
    expect(detectScheme([['I-PER', 'I-PER']])).toBe('iob1'); // sentence start
    expect(detectScheme([['B-PER', 'I-PER'], ['O', 'I-LOC']])).toBe('iob1'); // after O
    expect(detectScheme([['B-PER', 'I-LOC']])).toBe('iob1'); // after another type
  });

  it('otherwise says IOB2', () => {
    expect(detectScheme([['B-PER', 'I-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC']])).toBe('iob2');
    expect(detectScheme([['O', 'O']])).toBe('iob2');
    expect(detectScheme([])).toBe('iob2');
  });

  it('accepts any iterable, e.g. a generator', () => {
    function* sentences(): Generator<string[]> {
      yield ['B-PER'];
      yield ['I-ORG'];
    }
    expect(detectScheme(sentences())).toBe('iob1');
  });
});
