import type { EncodedSplit } from '../data/dataset.js';
import type { LabelSet } from '../data/labels.js';
import type { TagScheme } from '../data/tags.js';
import { scoreDetector, type DetectorScores } from '../eval/detector.js';
import { EntityScorer, type EntityScores } from '../eval/metrics.js';
import { decodeLabelIds, GREEDY, type Decoder } from '../decode/decoder.js';
import { predictScores, sentenceTags } from '../model/predict.js';
import type { WindowScorer } from '../model/window-scorer.js';

export interface SplitPredictions {
  scores: EntityScores;
  /** Predicted tags per sentence, in the data's scheme. */
  predicted: string[][];
}

/** Tags a split and scores it against its gold tags by conlleval's rules. */
export function evaluateSplit(model: WindowScorer, split: EncodedSplit, labels: LabelSet, scheme: TagScheme, batchSize: number, decoder: Decoder = GREEDY): SplitPredictions {
  const ids = decodeLabelIds(model, split.windows, batchSize, decoder);
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
  const scores = predictScores(model, split.windows, batchSize);
  // From the tags, not the label ids: a dev type that train never saw is still an entity word.
  const isEntity = split.sentences.flatMap((sentence) => sentence.tags.map((tag) => tag !== 'O'));
  return scoreDetector(scores, isEntity, threshold);
}
