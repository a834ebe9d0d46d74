import type { EncodedSplit } from '../data/dataset.js';
import type { LabelSet } from '../data/labels.js';
import type { TagScheme } from '../data/tags.js';
import { scoreDetector, type DetectorScores } from '../eval/detector.js';
import { EntityScorer, type EntityScores } from '../eval/metrics.js';
import { decodeLabelIds, GREEDY, type Decoder } from '../decode/decoder.js';
import { PrecomputedScorer } from '../model/precompute.js';
import { predictScores, sentenceTags, type Scorer } from '../model/predict.js';
import type { WindowScorer } from '../model/window-scorer.js';

export interface SplitPredictions {
  scores: EntityScores;
  /** Predicted tags per sentence, in the data's scheme. */
  predicted: string[][];
}

/**
 * What scores a split: fresh pre-computation tables over the model's current parameters
 * (they change every epoch, so tables are never kept from one evaluation to the next).
 * Building them costs one product per distinct token of the split, far less than the plain
 * pass over every window (CoNLL-2003 dev: 8,454 tokens for 51,362 windows; the whole pass,
 * building included, took half the plain pass's time in scripts/bench-predict.ts); the
 * PrecomputedScorer itself falls back to the plain pass for a split too small to pay for
 * them. The tables (about 50 MiB on CoNLL dev) are given back as soon as the evaluation
 * ends.
 */
function devScorer(model: WindowScorer): Scorer {
  return model.dtype === 'float32' ? new PrecomputedScorer(model) : model;
}

/** Gives back the tables' memory at once (see PrecomputedScorer.invalidate). */
function done(scorer: Scorer): void {
  if (scorer instanceof PrecomputedScorer) scorer.invalidate();
}

/** Tags a split and scores it against its gold tags by conlleval's rules. */
export function evaluateSplit(model: WindowScorer, split: EncodedSplit, labels: LabelSet, scheme: TagScheme, batchSize: number, decoder: Decoder = GREEDY): SplitPredictions {
  const devScoring = devScorer(model);
  const ids = decodeLabelIds(devScoring, split.windows, batchSize, decoder);
  done(devScoring);
  const predicted = sentenceTags(ids, split.windows.sentenceStarts, labels, scheme);
  const scorer = new EntityScorer(scheme);
  split.sentences.forEach((sentence, i) => scorer.add(sentence.tags, predicted[i]));
  return { scores: scorer.result(), predicted };
}

/**
 * The entity detector on a split: its score per token against "the gold tag is not O",
 * at `threshold`, or at the threshold with the best F1 on this split when null (dev).
 */
export function evaluateDetectorSplit(model: WindowScorer, split: EncodedSplit, threshold: number | null, batchSize: number): DetectorScores {
  const devScoring = devScorer(model);
  const scores = predictScores(devScoring, split.windows, batchSize);
  done(devScoring);
  // From the tags, not the label ids: a dev type that train never saw is still an entity word.
  const isEntity = split.sentences.flatMap((sentence) => sentence.tags.map((tag) => tag !== 'O'));
  return scoreDetector(scores, isEntity, threshold);
}
