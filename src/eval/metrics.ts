/**
 * Entity-level scoring with the same numbers as conlleval.pl: a predicted chunk counts only if a
 * gold chunk has the same type, start and end. Chunks come from spansFromTags, which follows
 * conlleval's chunk rules for IOB1/IOB2, and never cross sentence boundaries.
 */
import { spansFromTags, type Span, type TagScheme } from '../data/tags.js';

export interface TypeScore {
  precision: number;
  recall: number;
  f1: number;
  /** Number of gold chunks of this type. */
  support: number;
}

export interface EntityScores {
  /** Fractions in [0, 1], not percentages. */
  precision: number;
  recall: number;
  f1: number;
  /** Token accuracy: gold tag string === predicted tag string. */
  accuracy: number;
  tokens: number;
  sentences: number;
  gold_entities: number;
  predicted_entities: number;
  correct_entities: number;
  /** Every type seen in gold or predictions, keys sorted. */
  per_type: Record<string, TypeScore>;
}

interface Counts {
  gold: number;
  predicted: number;
  correct: number;
}

/** precision, recall and F1 from counts, with conlleval's zero conventions for empty denominators. */
function prf(counts: Counts): { precision: number; recall: number; f1: number } {
  const precision = counts.predicted > 0 ? counts.correct / counts.predicted : 0;
  const recall = counts.gold > 0 ? counts.correct / counts.gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

const spanKey = (span: Span): string => `${span.start}:${span.end}:${span.type}`;

/**
 * Accumulates counts sentence by sentence, so the trainer can score a dev set without keeping
 * its predictions around.
 */
export class EntityScorer {
  private readonly scheme: TagScheme;
  private readonly total: Counts = { gold: 0, predicted: 0, correct: 0 };
  private readonly byType = new Map<string, Counts>();
  private tokens = 0;
  private correctTags = 0;
  private sentences = 0;

  constructor(scheme: TagScheme) {
    this.scheme = scheme;
  }

  /** Add one sentence's gold and predicted tags (both in the scorer's scheme). */
  add(goldTags: readonly string[], predictedTags: readonly string[]): void {
    if (goldTags.length !== predictedTags.length) {
      throw new Error(`EntityScorer.add: ${goldTags.length} gold tags but ${predictedTags.length} predicted tags`);
    }
    this.sentences++;
    this.tokens += goldTags.length;
    for (let i = 0; i < goldTags.length; i++) if (goldTags[i] === predictedTags[i]) this.correctTags++;

    const gold = spansFromTags(goldTags, this.scheme);
    const predicted = spansFromTags(predictedTags, this.scheme);
    // Chunks of one sentence never overlap, so a key identifies at most one gold chunk.
    const goldKeys = new Set(gold.map(spanKey));
    for (const span of gold) this.bump(span.type, 'gold');
    for (const span of predicted) {
      this.bump(span.type, 'predicted');
      if (goldKeys.has(spanKey(span))) this.bump(span.type, 'correct');
    }
  }

  result(): EntityScores {
    const perType: Record<string, TypeScore> = {};
    for (const type of [...this.byType.keys()].sort()) {
      const counts = this.byType.get(type) as Counts;
      perType[type] = { ...prf(counts), support: counts.gold };
    }
    return {
      ...prf(this.total),
      accuracy: this.tokens > 0 ? this.correctTags / this.tokens : 0,
      tokens: this.tokens,
      sentences: this.sentences,
      gold_entities: this.total.gold,
      predicted_entities: this.total.predicted,
      correct_entities: this.total.correct,
      per_type: perType,
    };
  }

  private bump(type: string, field: keyof Counts): void {
    let counts = this.byType.get(type);
    if (counts === undefined) {
      counts = { gold: 0, predicted: 0, correct: 0 };
      this.byType.set(type, counts);
    }
    counts[field]++;
    this.total[field]++;
  }
}

/**
 * Score predicted tag sequences against gold ones, sentence by sentence, both in `scheme`.
 * Same numbers as conlleval.pl on the same tags (for iob1/iob2).
 */
export function scoreEntities(
  gold: readonly (readonly string[])[],
  predicted: readonly (readonly string[])[],
  scheme: TagScheme,
): EntityScores {
  if (gold.length !== predicted.length) {
    throw new Error(`scoreEntities: ${gold.length} gold sentences but ${predicted.length} predicted sentences`);
  }
  const scorer = new EntityScorer(scheme);
  for (let i = 0; i < gold.length; i++) scorer.add(gold[i], predicted[i]);
  return scorer.result();
}
