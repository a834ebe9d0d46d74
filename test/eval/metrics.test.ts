import { describe, expect, it } from 'vitest';
import { EntityScorer, scoreEntities } from '../../src/eval/metrics.js';

// All expected numbers below were worked out by hand (arithmetic in the comments), independently
// of the code; the two multi-sentence examples were also fed to conlleval.pl, which agreed.

describe('scoreEntities, IOB2', () => {
  // Sentence 1 (partial-boundary miss):
  //   gold B-PER I-PER O B-LOC O      -> PER[0,2) LOC[3,4)
  //   pred B-PER I-PER O B-LOC I-LOC  -> PER[0,2) LOC[3,5)   (LOC too long: wrong)
  // Sentence 2 (ill-formed prediction: I-ORG after O starts a chunk one token late):
  //   gold B-ORG I-ORG I-ORG O B-PER  -> ORG[0,3) PER[4,5)
  //   pred O     I-ORG I-ORG O B-PER  -> ORG[1,3) PER[4,5)
  // gold 4, predicted 4, correct 2 (both PER) => P = 2/4 = 0.5, R = 2/4 = 0.5, F1 = 0.5
  // tokens 10, equal tags 4 + 4 = 8 => accuracy 0.8
  // PER: 2/2, 2/2 -> 1, 1, 1, support 2; LOC: 0/1, 0/1 -> 0, support 1; ORG: 0/1, 0/1 -> 0, support 1
  const gold = [
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'O'],
    ['B-ORG', 'I-ORG', 'I-ORG', 'O', 'B-PER'],
  ];
  const predicted = [
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC'],
    ['O', 'I-ORG', 'I-ORG', 'O', 'B-PER'],
  ];

  it('matches the hand-worked counts and scores', () => {
    const s = scoreEntities(gold, predicted, 'iob2');
    expect(s.gold_entities).toBe(4);
    expect(s.predicted_entities).toBe(4);
    expect(s.correct_entities).toBe(2);
    expect(s.precision).toBeCloseTo(0.5, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.f1).toBeCloseTo(0.5, 12);
    expect(s.accuracy).toBeCloseTo(0.8, 12);
    expect(s.tokens).toBe(10);
    expect(s.sentences).toBe(2);
    expect(Object.keys(s.per_type)).toEqual(['LOC', 'ORG', 'PER']);
    expect(s.per_type.PER).toEqual({ precision: 1, recall: 1, f1: 1, support: 2 });
    expect(s.per_type.LOC).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(s.per_type.ORG).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('EntityScorer added sentence by sentence gives the same result', () => {
    const scorer = new EntityScorer('iob2');
    scorer.add(gold[0], predicted[0]);
    scorer.add(gold[1], predicted[1]);
    expect(scorer.result()).toEqual(scoreEntities(gold, predicted, 'iob2'));
  });
});

describe('scoreEntities, IOB1', () => {
  // Sentence 1:
  //   gold I-PER I-PER B-PER O I-LOC  -> PER[0,2) PER[2,3) LOC[4,5)   (B-PER: new PER right after a PER)
  //   pred I-PER I-PER I-PER O I-LOC  -> PER[0,3) LOC[4,5)            (the two PERs merged: wrong)
  // Sentence 2 (starts with I-LOC right after sentence 1's I-LOC: the sentence boundary must end that chunk):
  //   gold I-LOC I-ORG I-ORG O        -> LOC[0,1) ORG[1,3)            (type switch I-LOC I-ORG)
  //   pred I-LOC I-LOC I-ORG O        -> LOC[0,2) ORG[2,3)
  // gold 5, predicted 4, correct 1 (LOC[4,5) of sentence 1)
  // P = 1/4 = 0.25, R = 1/5 = 0.2, F1 = 2 * 0.25 * 0.2 / 0.45 = 0.1 / 0.45 = 2/9
  // tokens 9, equal tags 4 + 3 = 7 => accuracy 7/9
  // PER: 0/1, 0/2 -> 0, support 2; LOC: 1/2, 1/2 -> 0.5, 0.5, 0.5, support 2; ORG: 0/1, 0/1 -> 0, support 1
  const gold = [
    ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC'],
    ['I-LOC', 'I-ORG', 'I-ORG', 'O'],
  ];
  const predicted = [
    ['I-PER', 'I-PER', 'I-PER', 'O', 'I-LOC'],
    ['I-LOC', 'I-LOC', 'I-ORG', 'O'],
  ];

  it('matches the hand-worked counts and scores', () => {
    const s = scoreEntities(gold, predicted, 'iob1');
    expect([s.gold_entities, s.predicted_entities, s.correct_entities]).toEqual([5, 4, 1]);
    expect(s.precision).toBeCloseTo(0.25, 12);
    expect(s.recall).toBeCloseTo(0.2, 12);
    expect(s.f1).toBeCloseTo(2 / 9, 12);
    expect(s.accuracy).toBeCloseTo(7 / 9, 12);
    expect(s.per_type.PER).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(s.per_type.LOC.precision).toBeCloseTo(0.5, 12);
    expect(s.per_type.LOC.recall).toBeCloseTo(0.5, 12);
    expect(s.per_type.LOC.f1).toBeCloseTo(0.5, 12);
    expect(s.per_type.LOC.support).toBe(2);
    expect(s.per_type.ORG).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('a type switch I-PER I-LOC is two chunks', () => {
    // gold I-PER I-LOC -> PER[0,1) LOC[1,2); pred I-PER I-PER -> PER[0,2): nothing correct.
    // P = 0/1, R = 0/2, F1 = 0
    const s = scoreEntities([['I-PER', 'I-LOC']], [['I-PER', 'I-PER']], 'iob1');
    expect([s.gold_entities, s.predicted_entities, s.correct_entities]).toEqual([2, 1, 0]);
    expect([s.precision, s.recall, s.f1]).toEqual([0, 0, 0]);
    expect(s.accuracy).toBeCloseTo(0.5, 12); // 1 of 2 tags equal
  });
});

describe('scoreEntities edge cases', () => {
  it('empty predictions: precision 0 (no predictions), recall 0', () => {
    // gold PER[0,2) (sentence 1), LOC[1,2) (sentence 2); predicted nothing.
    // accuracy: only sentence 2's first token (O = O) matches => 1/4
    const s = scoreEntities([['B-PER', 'I-PER'], ['O', 'B-LOC']], [['O', 'O'], ['O', 'O']], 'iob2');
    expect([s.gold_entities, s.predicted_entities, s.correct_entities]).toEqual([2, 0, 0]);
    expect([s.precision, s.recall, s.f1]).toEqual([0, 0, 0]);
    expect(s.accuracy).toBeCloseTo(0.25, 12);
    expect(s.per_type).toEqual({
      LOC: { precision: 0, recall: 0, f1: 0, support: 1 },
      PER: { precision: 0, recall: 0, f1: 0, support: 1 },
    });
  });

  it('predictions with no gold entities: recall 0, type listed with support 0', () => {
    // predicted MISC[1,2), no gold chunks: P = 0/1, R = 0 (no gold), F1 = 0; accuracy 2/3
    const s = scoreEntities([['O', 'O', 'O']], [['O', 'B-MISC', 'O']], 'iob2');
    expect([s.precision, s.recall, s.f1]).toEqual([0, 0, 0]);
    expect(s.accuracy).toBeCloseTo(2 / 3, 12);
    expect(s.per_type).toEqual({ MISC: { precision: 0, recall: 0, f1: 0, support: 0 } });
  });

  it('perfect predictions score 1', () => {
    const tags = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-ORG']];
    const s = scoreEntities(tags, tags, 'iob2');
    expect([s.precision, s.recall, s.f1, s.accuracy]).toEqual([1, 1, 1, 1]);
    expect(s.correct_entities).toBe(3);
  });

  it('no sentences at all gives zeros, not NaN', () => {
    const s = scoreEntities([], [], 'iob2');
    expect(s).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
      accuracy: 0,
      tokens: 0,
      sentences: 0,
      gold_entities: 0,
      predicted_entities: 0,
      correct_entities: 0,
      per_type: {},
    });
  });

  it('scores IOBES chunks', () => {
    // gold B-PER E-PER S-LOC -> PER[0,2) LOC[2,3); pred S-PER S-PER S-LOC -> PER[0,1) PER[1,2) LOC[2,3)
    // correct 1 (LOC): P = 1/3, R = 1/2, F1 = 2 * (1/3) * (1/2) / (5/6) = (1/3) / (5/6) = 0.4
    const s = scoreEntities([['B-PER', 'E-PER', 'S-LOC']], [['S-PER', 'S-PER', 'S-LOC']], 'iobes');
    expect(s.precision).toBeCloseTo(1 / 3, 12);
    expect(s.recall).toBeCloseTo(0.5, 12);
    expect(s.f1).toBeCloseTo(0.4, 12);
  });

  it('throws on mismatched lengths (a programming error)', () => {
    expect(() => scoreEntities([['O']], [['O', 'O']], 'iob2')).toThrow(/1 gold tags but 2 predicted/);
    expect(() => scoreEntities([['O']], [], 'iob2')).toThrow(/sentences/);
    expect(() => new EntityScorer('iob1').add(['O', 'O'], ['O'])).toThrow(Error);
  });
});
