/**
 * Entity scores split by vocabulary status: how well the tagger does on entities made of
 * words it has a vector for, and on entities with at least one word it has never seen.
 *
 * Definition: a chunk (gold or predicted, read with spansFromTags exactly as EntityScorer
 * reads it) is out of vocabulary (OOV) if any of its tokens is unknown to the checkpoint,
 * i.e. the token's lookup key, wordKey(token, meta.word_normalisation), maps to `<unk>`
 * (Vocabulary.id gives UNK_ID). Otherwise it is in vocabulary (IV). "Known" means known to
 * the checkpoint's vocabulary, which includes the words of pretrained embeddings when those
 * were added, not only the training words.
 *
 * Each gold chunk is counted in the group of its own tokens, and so is each predicted chunk;
 * a correct chunk (same type, start and end in gold and predicted) covers the same tokens,
 * so it falls in the same group on both sides. Hence IV + OOV counts equal EntityScorer's
 * gold / predicted / correct counts, and the precision and recall of a group are computed
 * from that group's counts alone.
 */
import { spansFromTags, type Span, type TagScheme } from '../data/tags.js';
import { UNK_ID, wordKey, type Vocabulary, type WordNormalisation } from '../data/vocab.js';

export interface GroupScore {
  /** Fractions in [0, 1]; 0 when the denominator is empty, as conlleval does. */
  precision: number;
  recall: number;
  f1: number;
  gold_entities: number;
  predicted_entities: number;
  correct_entities: number;
}

export interface OovScores {
  in_vocabulary: GroupScore;
  out_of_vocabulary: GroupScore;
}

/** A token predicate: true when the checkpoint has the token's word key (it does not map to <unk>). */
export function knownWordPredicate(vocab: Vocabulary, norm: WordNormalisation): (token: string) => boolean {
  return (token) => vocab.id(wordKey(token, norm)) !== UNK_ID;
}

interface Counts {
  gold: number;
  predicted: number;
  correct: number;
}

function groupScore(c: Counts): GroupScore {
  const precision = c.predicted > 0 ? c.correct / c.predicted : 0;
  const recall = c.gold > 0 ? c.correct / c.gold : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, gold_entities: c.gold, predicted_entities: c.predicted, correct_entities: c.correct };
}

const spanKey = (span: Span): string => `${span.start}:${span.end}:${span.type}`;

/** Accumulates IV / OOV chunk counts sentence by sentence. */
export class OovScorer {
  private readonly iv: Counts = { gold: 0, predicted: 0, correct: 0 };
  private readonly oov: Counts = { gold: 0, predicted: 0, correct: 0 };

  constructor(private readonly scheme: TagScheme, private readonly isKnown: (token: string) => boolean) {}

  /** One sentence: its tokens, and gold and predicted tags in the scorer's scheme. */
  add(tokens: readonly string[], goldTags: readonly string[], predictedTags: readonly string[]): void {
    if (tokens.length !== goldTags.length || tokens.length !== predictedTags.length) {
      throw new Error(`OovScorer.add: ${tokens.length} tokens, ${goldTags.length} gold tags, ${predictedTags.length} predicted tags`);
    }
    const known = tokens.map((token) => this.isKnown(token));
    const group = (span: Span): Counts => {
      for (let i = span.start; i < span.end; i++) if (!known[i]) return this.oov;
      return this.iv;
    };
    const gold = spansFromTags(goldTags, this.scheme);
    const predicted = spansFromTags(predictedTags, this.scheme);
    const goldKeys = new Set(gold.map(spanKey));
    for (const span of gold) group(span).gold++;
    for (const span of predicted) {
      const counts = group(span);
      counts.predicted++;
      if (goldKeys.has(spanKey(span))) counts.correct++;
    }
  }

  result(): OovScores {
    return { in_vocabulary: groupScore(this.iv), out_of_vocabulary: groupScore(this.oov) };
  }
}
