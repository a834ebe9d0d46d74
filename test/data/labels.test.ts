import { describe, expect, it } from 'vitest';
import { entityTypes, LabelSet, labelIds, tagsOfLabels } from '../../src/data/labels.js';

describe('LabelSet', () => {
  it('puts O first, then B-/I- per type in sorted order, without duplicates', () => {
    const labels = LabelSet.fromTypes(['PER', 'LOC', 'PER', 'MISC']);
    expect(labels.labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC', 'B-PER', 'I-PER']);
    expect(labels.size).toBe(7);
    expect(labels.types()).toEqual(['LOC', 'MISC', 'PER']);
  });

  it('gives ids by position and −1 for tags it does not know', () => {
    const labels = LabelSet.fromTypes(['LOC', 'PER']);
    expect(labels.id('O')).toBe(0);
    expect(labels.id('B-LOC')).toBe(1);
    expect(labels.id('I-PER')).toBe(4);
    expect(labels.id('B-ORG')).toBe(-1);
    expect(labels.id('E-LOC')).toBe(-1);
    expect(labels.id('S-PER')).toBe(-1);
  });

  it('keeps the order of a label list given directly (as a checkpoint stores it)', () => {
    const labels = new LabelSet(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']);
    expect(labels.id('B-LOC')).toBe(3);
    expect(labels.types()).toEqual(['PER', 'LOC']);
  });

  it('has only O for no types', () => {
    expect(LabelSet.fromTypes([]).labels).toEqual(['O']);
  });
});

describe('entityTypes', () => {
  it('finds the chunk types of an IOB1 corpus', () => {
    const sentences = [{ tags: ['I-PER', 'I-PER', 'O', 'I-LOC'] }, { tags: ['O', 'O'] }, { tags: ['I-MISC', 'B-MISC'] }];
    expect([...entityTypes(sentences, 'iob1')].sort()).toEqual(['LOC', 'MISC', 'PER']);
  });

  it('finds the chunk types of an IOBES corpus', () => {
    expect([...entityTypes([{ tags: ['S-ORG', 'B-LOC', 'E-LOC'] }], 'iobes')].sort()).toEqual(['LOC', 'ORG']);
  });

  it('is empty for an all-O corpus', () => {
    expect(entityTypes([{ tags: ['O', 'O'] }], 'iob2').size).toBe(0);
  });
});

describe('labelIds and tagsOfLabels', () => {
  const labels = LabelSet.fromTypes(['LOC', 'MISC', 'PER']);
  // O 0, B-LOC 1, I-LOC 2, B-MISC 3, I-MISC 4, B-PER 5, I-PER 6

  it('converts IOB1 tags to IOB2 label ids', () => {
    // IOB1: I- opens a chunk; B- only starts a chunk right after one of the same type.
    const tags = ['I-PER', 'I-PER', 'O', 'I-LOC', 'B-LOC', 'I-MISC', 'I-LOC'];
    const ids = labelIds(tags, 'iob1', labels);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(Array.from(ids)).toEqual([5, 6, 0, 1, 1, 3, 1]);
    expect(tagsOfLabels(ids, labels)).toEqual(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'B-MISC', 'B-LOC']);
  });

  it('reads IOB2 tags as they are', () => {
    const tags = ['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'I-LOC'];
    expect(Array.from(labelIds(tags, 'iob2', labels))).toEqual([5, 6, 0, 1, 1, 2]);
  });

  it('converts IOBES tags to IOB2 label ids', () => {
    const tags = ['S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'O', 'S-MISC', 'S-MISC'];
    const ids = labelIds(tags, 'iobes', labels);
    expect(Array.from(ids)).toEqual([5, 1, 2, 2, 0, 3, 3]);
    expect(tagsOfLabels(ids, labels)).toEqual(['B-PER', 'B-LOC', 'I-LOC', 'I-LOC', 'O', 'B-MISC', 'B-MISC']);
  });

  it('gives −1 to every token of a chunk whose type the label set does not know', () => {
    expect(Array.from(labelIds(['I-ORG', 'I-ORG', 'O', 'I-PER'], 'iob1', labels))).toEqual([-1, -1, 0, 5]);
    expect(Array.from(labelIds(['S-ORG', 'B-ORG', 'E-ORG'], 'iobes', labels))).toEqual([-1, -1, -1]);
  });

  it('maps an empty sentence to no ids', () => {
    expect(labelIds([], 'iob1', labels)).toHaveLength(0);
    expect(tagsOfLabels(new Int32Array(0), labels)).toEqual([]);
  });

  it('reads predicted ids from a plain array too', () => {
    expect(tagsOfLabels([0, 6, 2], labels)).toEqual(['O', 'I-PER', 'I-LOC']);
  });
});
