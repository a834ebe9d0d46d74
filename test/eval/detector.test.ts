import { describe, expect, it } from 'vitest';
import { bestThreshold, rankingAccuracy, scoreAtThreshold, scoreDetector } from '../../src/eval/detector.js';
import { Rng } from '../../src/math/random.js';

const T = true;
const F = false;

/** Share of (entity, non-entity) pairs where the entity scores higher, ties counting 1/2: O(P·N). */
function bruteRanking(scores: readonly number[], isEntity: readonly boolean[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!isEntity[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (isEntity[j]) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** F1 of "score > t" computed directly from counts. */
function f1At(scores: readonly number[], isEntity: readonly boolean[], t: number): number {
  let tp = 0;
  let predicted = 0;
  let gold = 0;
  scores.forEach((s, i) => {
    if (s > t) predicted++;
    if (isEntity[i]) gold++;
    if (s > t && isEntity[i]) tp++;
  });
  return tp === 0 ? 0 : (2 * tp) / (predicted + gold);
}

/** The best F1 over every possible cut: below the lowest score, and just above each distinct score. */
function bruteBestF1(scores: readonly number[], isEntity: readonly boolean[]): number {
  const cuts = [Math.min(...scores) - 1, ...new Set(scores)];
  return Math.max(...cuts.map((t) => f1At(scores, isEntity, t)));
}

function randomData(seed: number, n: number, levels: number, pEntity: number): { scores: number[]; isEntity: boolean[] } {
  const rng = new Rng(seed);
  const isEntity = Array.from({ length: n }, () => rng.uniform() < pEntity);
  // entities score a little higher on average; rounding to `levels` steps makes ties
  const scores = isEntity.map((e) => Math.round((rng.normal() + (e ? 0.8 : 0)) * levels) / levels);
  return { scores, isEntity };
}

describe('rankingAccuracy', () => {
  it('hand example with a tie', () => {
    // entities {0.9, 0.5}, non-entities {0.1, 0.5, 0.3}: 6 pairs
    // 0.9 beats all three (3); 0.5 beats 0.1 and 0.3 (2) and ties 0.5 (½) → 5.5 / 6
    expect(rankingAccuracy([0.9, 0.1, 0.5, 0.5, 0.3], [T, F, T, F, F])).toBeCloseTo(5.5 / 6, 14);
  });

  it('perfect, reversed and all-tied rankings', () => {
    expect(rankingAccuracy([3, 2, 1, 0], [T, T, F, F])).toBe(1);
    expect(rankingAccuracy([0, 1, 2, 3], [T, T, F, F])).toBe(0);
    expect(rankingAccuracy([1, 1, 1, 1], [T, F, F, T])).toBe(0.5);
    // 1 entity, 3 non-entities: beats one, ties one, loses to one → 1.5 / 3
    expect(rankingAccuracy([2, 1, 2, 3], [T, F, F, F])).toBe(0.5);
  });

  it('equals the brute-force pair count on 200 random scores with ties', () => {
    for (const seed of [1, 2, 3]) {
      const { scores, isEntity } = randomData(seed, 200, 4, 0.3);
      expect(new Set(scores).size).toBeLessThan(150); // there are ties
      expect(rankingAccuracy(scores, isEntity)).toBeCloseTo(bruteRanking(scores, isEntity), 12);
    }
  });

  it('does not depend on the input order', () => {
    const { scores, isEntity } = randomData(7, 100, 3, 0.4);
    const perm = new Rng(8).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    const s2 = Array.from(perm, (i) => scores[i]);
    const e2 = Array.from(perm, (i) => isEntity[i]);
    expect(rankingAccuracy(s2, e2)).toBeCloseTo(rankingAccuracy(scores, isEntity), 14);
  });

  it('accepts typed arrays', () => {
    expect(rankingAccuracy(Float32Array.of(0.9, 0.1, 0.5, 0.5, 0.3), [T, F, T, F, F])).toBeCloseTo(5.5 / 6, 14);
  });

  it('all one class (or no tokens) returns 0.5', () => {
    expect(rankingAccuracy([0.1, 0.7, 0.3], [T, T, T])).toBe(0.5);
    expect(rankingAccuracy([0.1, 0.7, 0.3], [F, F, F])).toBe(0.5);
    expect(rankingAccuracy([], [])).toBe(0.5);
  });
});

describe('scoreAtThreshold', () => {
  const scores = [0.9, 0.8, 0.4, 0.3, 0.1];
  const isEntity = [T, T, F, T, F];

  it('hand example: threshold 0.35 → TP 2, predicted 3, gold 3', () => {
    const r = scoreAtThreshold(scores, isEntity, 0.35);
    expect(r.threshold).toBe(0.35);
    expect(r.tokens).toBe(5);
    expect(r.entity_words).toBe(3);
    expect(r.predicted_entity_words).toBe(3);
    expect(r.precision).toBeCloseTo(2 / 3, 14);
    expect(r.recall).toBeCloseTo(2 / 3, 14);
    expect(r.f1).toBeCloseTo(2 / 3, 14);
  });

  it('hand example: threshold 0.85 → P 1, R 1/3, F1 1/2; a score equal to the threshold is not predicted', () => {
    const r = scoreAtThreshold(scores, isEntity, 0.85);
    expect(r.predicted_entity_words).toBe(1);
    expect(r.precision).toBe(1);
    expect(r.recall).toBeCloseTo(1 / 3, 14);
    expect(r.f1).toBeCloseTo(0.5, 14);
    expect(scoreAtThreshold(scores, isEntity, 0.8).predicted_entity_words).toBe(1);
    expect(scoreAtThreshold(scores, isEntity, 0.79).predicted_entity_words).toBe(2);
  });

  it('everything predicted: P = 3/5, R = 1, F1 = 2·0.6/1.6 = 0.75', () => {
    const r = scoreAtThreshold(scores, isEntity, -1);
    expect(r.predicted_entity_words).toBe(5);
    expect(r.precision).toBeCloseTo(0.6, 14);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(0.75, 14);
  });

  it('zero predicted → precision 0, recall 0, F1 0', () => {
    const r = scoreAtThreshold(scores, isEntity, 1);
    expect(r.predicted_entity_words).toBe(0);
    expect(r.precision).toBe(0);
    expect(r.recall).toBe(0);
    expect(r.f1).toBe(0);
  });

  it('no gold entity words → recall 0 and F1 0; predicted but all wrong → P 0', () => {
    const r = scoreAtThreshold([0.5, 0.6], [F, F], 0);
    expect(r.entity_words).toBe(0);
    expect(r.precision).toBe(0);
    expect(r.recall).toBe(0);
    expect(r.f1).toBe(0);
    const empty = scoreAtThreshold([], [], 0);
    expect(empty).toMatchObject({ tokens: 0, precision: 0, recall: 0, f1: 0 });
  });
});

describe('bestThreshold', () => {
  it('hand example: the best cut lies between 0.1 and 0.3 → midpoint 0.2', () => {
    // cut below 0.1: 6/8 = 0.75; above 0.1: 6/7 ≈ 0.857; above 0.3: 4/6; above 0.4: 4/5; above 0.8: 2/4; above 0.9: 0
    const scores = [0.9, 0.8, 0.4, 0.3, 0.1];
    const isEntity = [T, T, F, T, F];
    const t = bestThreshold(scores, isEntity);
    expect(t).toBeCloseTo(0.2, 15);
    expect(scoreAtThreshold(scores, isEntity, t).f1).toBeCloseTo(6 / 7, 14);
  });

  it('hand example in shuffled order with a cut between 0.4 and 0.8 → 0.6', () => {
    // entities 0.9, 0.8; non-entities 0.4, 0.3 (twice): above 0.4 gives F1 = 1
    const t = bestThreshold([0.3, 0.9, 0.4, 0.8, 0.3], [F, T, F, T, F]);
    expect(t).toBeCloseTo(0.6, 15);
  });

  it('when predicting everything is best, the threshold lies below the lowest score', () => {
    const t = bestThreshold([0.7, 0.3, 0.5], [T, T, T]);
    expect(t).toBeLessThan(0.3);
    expect(scoreAtThreshold([0.7, 0.3, 0.5], [T, T, T], t).f1).toBe(1);
  });

  it('ties: a cut never splits equal scores', () => {
    // scores 0.5 (entity), 0.5 (not), 0.2 (not): cutting above 0.2 gives 2/3, above 0.5 gives 0
    const scores = [0.5, 0.5, 0.2];
    const isEntity = [T, F, F];
    const t = bestThreshold(scores, isEntity);
    expect(t).toBeCloseTo(0.35, 15);
    expect(scoreAtThreshold(scores, isEntity, t).f1).toBeCloseTo(2 / 3, 14);
  });

  it('no tokens → 0', () => {
    expect(bestThreshold([], [])).toBe(0);
  });

  it('on random data its F1 equals the best F1 over all brute-force cut points', () => {
    for (const [seed, n, levels, p] of [[1, 200, 4, 0.3], [2, 300, 10, 0.1], [3, 50, 2, 0.6], [4, 120, 1000, 0.5]] as const) {
      const { scores, isEntity } = randomData(seed, n, levels, p);
      const t = bestThreshold(scores, isEntity);
      const best = bruteBestF1(scores, isEntity);
      expect(best).toBeGreaterThan(0);
      expect(scoreAtThreshold(scores, isEntity, t).f1).toBeCloseTo(best, 12);
      expect(f1At(scores, isEntity, t)).toBeCloseTo(best, 12);
      // the threshold is not one of the scores (a midpoint, or outside the range)
      expect(scores.includes(t)).toBe(false);
    }
  });
});

describe('scoreDetector', () => {
  const scores = [0.9, 0.8, 0.4, 0.3, 0.1];
  const isEntity = [T, T, F, T, F];

  it('null threshold: uses the best threshold on these tokens', () => {
    const r = scoreDetector(scores, isEntity, null);
    expect(r.threshold).toBeCloseTo(0.2, 15);
    expect(r.f1).toBeCloseTo(6 / 7, 14);
    expect(r.precision).toBeCloseTo(0.75, 14);
    expect(r.recall).toBe(1);
    // entities {0.9, 0.8, 0.3} vs {0.4, 0.1}: 2 + 2 + 1 = 5 of 6
    expect(r.ranking_accuracy).toBeCloseTo(5 / 6, 14);
    expect(r).toMatchObject({ tokens: 5, entity_words: 3, predicted_entity_words: 4 });
  });

  it('a given threshold is used as it is', () => {
    const r = scoreDetector(scores, isEntity, 0.35);
    expect(r.threshold).toBe(0.35);
    expect(r.f1).toBeCloseTo(2 / 3, 14);
    expect(r.ranking_accuracy).toBeCloseTo(5 / 6, 14);
    expect(scoreDetector(scores, isEntity, 0).threshold).toBe(0); // 0 is a threshold, not "none"
    expect(scoreDetector(scores, isEntity, 0).predicted_entity_words).toBe(5);
  });
});
