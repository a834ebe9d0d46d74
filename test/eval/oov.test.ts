import { describe, expect, it } from 'vitest';
import { EntityScorer } from '../../src/eval/metrics.js';
import { knownWordPredicate, OovScorer } from '../../src/eval/oov.js';
import { Vocabulary } from '../../src/data/vocab.js';
import type { TagScheme } from '../../src/data/tags.js';

const norm = { lowercase: true, normalize_digits: true };

describe('knownWordPredicate', () => {
  const vocab = Vocabulary.fromKeys(['john', 'smith', 'paris', '0000']);
  const known = knownWordPredicate(vocab, norm);

  it('looks tokens up by their normalised key', () => {
    expect(known('John')).toBe(true);
    expect(known('PARIS')).toBe(true);
    expect(known('1996')).toBe(true);
    expect(known('Zyx')).toBe(false);
    expect(known('<unk>')).toBe(false);
  });
});

describe('OovScorer, hand example', () => {
  // vocabulary: john smith visited paris and met in ; unknown: Kowalczyk, Ostrava
  //   tokens: John Kowalczyk visited Paris and met Smith in Ostrava
  //   gold:   B-PER I-PER    O       B-LOC O   O   B-PER O  B-LOC
  //   pred:   B-PER I-PER    O       B-LOC O   O   B-ORG O  B-LOC
  // gold chunks: PER[0,2) OOV (Kowalczyk), LOC[3,4) IV, PER[6,7) IV, LOC[8,9) OOV
  // predicted:   PER[0,2) OOV correct, LOC[3,4) IV correct, ORG[6,7) IV wrong, LOC[8,9) OOV correct
  // IV:  gold 2, predicted 2, correct 1 -> P 0.5, R 0.5, F1 0.5
  // OOV: gold 2, predicted 2, correct 2 -> P 1, R 1, F1 1
  const vocab = Vocabulary.fromKeys(['john', 'smith', 'visited', 'paris', 'and', 'met', 'in']);
  const tokens = ['John', 'Kowalczyk', 'visited', 'Paris', 'and', 'met', 'Smith', 'in', 'Ostrava'];
  const gold = ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O', 'B-PER', 'O', 'B-LOC'];
  const predicted = ['B-PER', 'I-PER', 'O', 'B-LOC', 'O', 'O', 'B-ORG', 'O', 'B-LOC'];

  it('puts each chunk in the group of its own tokens', () => {
    const scorer = new OovScorer('iob2', knownWordPredicate(vocab, norm));
    scorer.add(tokens, gold, predicted);
    expect(scorer.result()).toEqual({
      in_vocabulary: { precision: 0.5, recall: 0.5, f1: 0.5, gold_entities: 2, predicted_entities: 2, correct_entities: 1 },
      out_of_vocabulary: { precision: 1, recall: 1, f1: 1, gold_entities: 2, predicted_entities: 2, correct_entities: 2 },
    });
  });

  it('counts a predicted chunk by its own tokens, even when the gold chunk there differs', () => {
    // gold PER[0,2) is OOV (Kowalczyk); the prediction PER[0,1) covers only John: IV, and wrong.
    const scorer = new OovScorer('iob2', knownWordPredicate(vocab, norm));
    scorer.add(tokens.slice(0, 3), ['B-PER', 'I-PER', 'O'], ['B-PER', 'O', 'O']);
    const r = scorer.result();
    expect(r.out_of_vocabulary).toMatchObject({ gold_entities: 1, predicted_entities: 0, correct_entities: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.in_vocabulary).toMatchObject({ gold_entities: 0, predicted_entities: 1, correct_entities: 0 });
  });

  it('rejects mismatched lengths', () => {
    const scorer = new OovScorer('iob2', () => true);
    expect(() => scorer.add(['a'], ['O', 'O'], ['O', 'O'])).toThrow(/OovScorer/);
  });
});

/** Small deterministic PRNG (mulberry32), so the random test is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('OovScorer, random sentences', () => {
  const schemes: { scheme: TagScheme; prefixes: string[] }[] = [
    { scheme: 'iob1', prefixes: ['B', 'I'] },
    { scheme: 'iob2', prefixes: ['B', 'I'] },
    { scheme: 'iobes', prefixes: ['B', 'I', 'E', 'S'] },
  ];
  for (const { scheme, prefixes } of schemes) {
    it(`IV + OOV counts add up to EntityScorer's (${scheme})`, () => {
      const random = rng(scheme.length * 7919);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett'];
      const vocab = Vocabulary.fromKeys(words.slice(0, 8));
      const tags = ['O', 'O', 'O', ...prefixes.flatMap((p) => ['PER', 'LOC', 'ORG'].map((t) => `${p}-${t}`))];
      const entity = new EntityScorer(scheme);
      const oov = new OovScorer(scheme, knownWordPredicate(vocab, norm));
      for (let s = 0; s < 300; s++) {
        const n = 1 + Math.floor(random() * 12);
        const tokens = Array.from({ length: n }, () => pick(words));
        const gold = Array.from({ length: n }, () => pick(tags));
        // Mostly right, sometimes wrong, so there are correct and incorrect chunks.
        const predicted = gold.map((tag) => (random() < 0.7 ? tag : pick(tags)));
        entity.add(gold, predicted);
        oov.add(tokens, gold, predicted);
      }
      const total = entity.result();
      const { in_vocabulary: iv, out_of_vocabulary: out } = oov.result();
      expect(iv.gold_entities + out.gold_entities).toBe(total.gold_entities);
      expect(iv.predicted_entities + out.predicted_entities).toBe(total.predicted_entities);
      expect(iv.correct_entities + out.correct_entities).toBe(total.correct_entities);
      // Both groups are populated, with correct chunks in each, so the check is not vacuous.
      for (const g of [iv, out]) expect(g.correct_entities).toBeGreaterThan(0);
      for (const g of [iv, out]) {
        expect(g.precision).toBeCloseTo(g.correct_entities / g.predicted_entities, 12);
        expect(g.recall).toBeCloseTo(g.correct_entities / g.gold_entities, 12);
      }
    });
  }
});
