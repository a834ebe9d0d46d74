/**
 * Scores of the entity detector (one score per token: "the centre word is part of a
 * named entity"), judged two ways: as a ranking (does an entity window outscore a
 * non-entity window?) and as a classifier at a threshold.
 */
export interface DetectorScores {
  /** The threshold the classification figures use: score > threshold means "entity word". */
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  /**
   * Share of (entity word, non-entity word) pairs whose entity window scores higher, ties
   * counting one half: the area under the ROC curve, over every pair rather than a sample.
   */
  ranking_accuracy: number;
  tokens: number;
  entity_words: number;
  predicted_entity_words: number;
}

/** Precision, recall and F1 of "score > threshold" against the gold entity words. */
export function scoreAtThreshold(scores: ArrayLike<number>, isEntity: ArrayLike<boolean>, threshold: number): Omit<DetectorScores, 'ranking_accuracy'> {
  let truePositives = 0;
  let predicted = 0;
  let gold = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i] > threshold;
    if (p) predicted++;
    if (isEntity[i]) gold++;
    if (p && isEntity[i]) truePositives++;
  }
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = gold === 0 ? 0 : truePositives / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { threshold, precision, recall, f1, tokens: scores.length, entity_words: gold, predicted_entity_words: predicted };
}

/** Tokens ordered by score, ascending (ties in input order, so results are reproducible). */
function byScore(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[a] - scores[b] || a - b);
}

/** AUC by the rank-sum formula, with tied scores sharing their average rank. */
export function rankingAccuracy(scores: ArrayLike<number>, isEntity: ArrayLike<boolean>): number {
  const order = byScore(scores);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let r = i; r <= j; r++) {
      if (isEntity[order[r]]) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * The threshold with the best F1 on these tokens: every cut between two distinct
 * consecutive scores is tried (in one pass over the sorted scores), and the midpoint
 * between them is returned so that it separates the two classes on new data too.
 */
export function bestThreshold(scores: ArrayLike<number>, isEntity: ArrayLike<boolean>): number {
  const order = byScore(scores);
  const n = order.length;
  if (n === 0) return 0;
  let gold = 0;
  for (let i = 0; i < n; i++) if (isEntity[i]) gold++;
  // Start with everything predicted positive (threshold below the lowest score).
  let truePositives = gold;
  let predicted = n;
  const f1Of = (): number => (predicted + gold === 0 ? 0 : (2 * truePositives) / (predicted + gold));
  let bestF1 = f1Of();
  let best = scores[order[0]] - 1;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    for (let r = i; r <= j; r++) {
      predicted--;
      if (isEntity[order[r]]) truePositives--;
    }
    const f1 = f1Of();
    if (f1 > bestF1) {
      bestF1 = f1;
      best = j + 1 < n ? (scores[order[j]] + scores[order[j + 1]]) / 2 : scores[order[j]] + 1;
    }
    i = j + 1;
  }
  return best;
}

/** Ranking accuracy, and P/R/F1 at `threshold` (or at the best threshold on these tokens when null). */
export function scoreDetector(scores: ArrayLike<number>, isEntity: ArrayLike<boolean>, threshold: number | null): DetectorScores {
  const t = threshold ?? bestThreshold(scores, isEntity);
  return { ...scoreAtThreshold(scores, isEntity, t), ranking_accuracy: rankingAccuracy(scores, isEntity) };
}
