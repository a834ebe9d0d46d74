import { describe, expect, it } from 'vitest';
import { compareTags, TokenConfusion } from '../../src/eval/confusion.js';
import { scoreEntities } from '../../src/eval/metrics.js';

describe('TokenConfusion', () => {
  // Counted by hand, (gold -> predicted):
  //   sentence 1: B-PER->B-PER, I-PER->I-PER, O->O, B-LOC->B-LOC, O->I-LOC
  //   sentence 2: B-ORG->O, I-ORG->I-ORG, I-ORG->I-ORG, O->O, B-PER->B-LOC
  // labels: O, then LOC (B, I), ORG (B, I), PER (B, I)
  //           O  B-LOC I-LOC B-ORG I-ORG B-PER I-PER
  //   O       2    0     1     0     0     0     0
  //   B-LOC   0    1     0     0     0     0     0
  //   I-LOC   0    0     0     0     0     0     0
  //   B-ORG   1    0     0     0     0     0     0
  //   I-ORG   0    0     0     0     2     0     0
  //   B-PER   0    1     0     0     0     1     0
  //   I-PER   0    0     0     0     0     0     1
  const gold = [
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'O'],
    ['B-ORG', 'I-ORG', 'I-ORG', 'O', 'B-PER'],
  ];
  const predicted = [
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC'],
    ['O', 'I-ORG', 'I-ORG', 'O', 'B-LOC'],
  ];

  it('counts gold rows × predicted columns, labels O first then by type and prefix', () => {
    const confusion = new TokenConfusion();
    gold.forEach((g, i) => confusion.add(g, predicted[i]));
    const { labels, matrix } = confusion.result();
    expect(labels).toEqual(['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG', 'B-PER', 'I-PER']);
    expect(matrix).toEqual([
      [2, 0, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 2, 0, 0],
      [0, 1, 0, 0, 0, 1, 0],
      [0, 0, 0, 0, 0, 0, 1],
    ]);
    const total = matrix.flat().reduce((a, b) => a + b, 0);
    const diagonal = matrix.reduce((sum, row, i) => sum + row[i], 0);
    expect(total).toBe(10);
    expect(diagonal / total).toBeCloseTo(scoreEntities(gold, predicted, 'iob2').accuracy, 12);
  });

  it('is empty before any sentence', () => {
    expect(new TokenConfusion().result()).toEqual({ labels: [], matrix: [] });
  });

  it('rejects sentences of different lengths', () => {
    expect(() => new TokenConfusion().add(['O'], ['O', 'O'])).toThrow(/1 gold tags but 2 predicted/);
  });

  it('orders IOBES prefixes B, I, E, S within a type', () => {
    expect(['S-PER', 'E-LOC', 'O', 'I-PER', 'B-PER', 'E-PER', 'S-LOC'].sort(compareTags)).toEqual(['O', 'E-LOC', 'S-LOC', 'B-PER', 'I-PER', 'E-PER', 'S-PER']);
  });
});
