import { readConllFile } from '../data/conll.js';
import { detectScheme, tagPrefix, tagType, type TagScheme } from '../data/tags.js';
import { conllevalLines } from '../eval/conll-output.js';
import { bestThreshold, scoreDetector, type DetectorScores } from '../eval/detector.js';
import { TokenConfusion, type ConfusionMatrix } from '../eval/confusion.js';
import { EntityScorer, type EntityScores } from '../eval/metrics.js';
import { knownWordPredicate, OovScorer, type OovScores } from '../eval/oov.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { DecodeMode } from '../decode/decoder.js';
import type { PrecomputeOptions } from '../model/precompute.js';
import { Tagger } from './tagger.js';

export interface EvaluateOptions {
  checkpoint: string;
  data: string;
  /** Also write `token gold predicted` lines, the input conlleval.pl reads. */
  writePredictions?: string;
  scheme?: TagScheme | 'auto';
  /** Decode differently from how the checkpoint was trained (default: as trained). */
  decode?: DecodeMode;
  /** The pre-computation tables' budget, or false to score with the plain forward pass (same tags; see src/model/precompute.ts). */
  precompute?: PrecomputeOptions | false;
}

export interface EvaluateResult extends EntityScores {
  task: 'tagger';
  /** The decoding used: the checkpoint's, unless overridden. */
  decode: DecodeMode;
  scheme: TagScheme;
  /** Token confusion matrix over tag strings as written in `scheme`: rows gold, columns predicted. */
  confusion: ConfusionMatrix;
  /**
   * Entity P/R/F1 split by vocabulary status: a chunk is out of vocabulary when any of its
   * tokens maps to <unk> in the checkpoint's vocabulary (see src/eval/oov.ts). The two
   * groups' counts add up to gold_entities, predicted_entities and correct_entities.
   */
  oov: OovScores;
}

/** An entity detector scored on a file: entity-word P/R/F1 at the checkpoint's threshold (chosen on dev), and ranking accuracy. */
export interface DetectorEvaluateResult extends DetectorScores {
  task: 'entity-detector';
  sentences: number;
  /** The threshold with the best F1 on this file, for comparison (the scores above use the checkpoint's). */
  best_threshold_here: number;
  scheme: TagScheme;
}

/** Tags a CoNLL file with a checkpoint and scores it: by conlleval's rules (tagger) or per entity word (detector). */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult | DetectorEvaluateResult> {
  const tagger = await Tagger.load(options.checkpoint, options.decode, options.precompute ?? {});
  const sentences = await readConllFile(options.data);
  const scheme = options.scheme && options.scheme !== 'auto' ? options.scheme : evaluationScheme(sentences.map((s) => s.tags), tagger.scheme);
  const detected = tagger.isDetector ? tagger.detect(sentences, scheme) : null;
  const predicted = detected ? detected.tags : tagger.tag(sentences, scheme);
  if (options.writePredictions) {
    const text = sentences.map((s, i) => conllevalLines(s.tokens, s.tags, predicted[i])).join('');
    await writeFileAtomic(options.writePredictions, text);
  }
  if (detected) {
    const scores = detected.scores.flat();
    const isEntity = sentences.flatMap((s) => s.tags.map((tag) => tag !== 'O'));
    return {
      task: 'entity-detector',
      ...scoreDetector(scores, isEntity, tagger.threshold),
      sentences: sentences.length,
      best_threshold_here: bestThreshold(scores, isEntity),
      scheme,
    };
  }
  const scorer = new EntityScorer(scheme);
  const confusion = new TokenConfusion();
  const { vocab, meta } = tagger.checkpoint;
  const oov = new OovScorer(scheme, knownWordPredicate(vocab, meta.word_normalisation));
  sentences.forEach((s, i) => {
    scorer.add(s.tags, predicted[i]);
    confusion.add(s.tags, predicted[i]);
    oov.add(s.tokens, s.tags, predicted[i]);
  });
  return { task: 'tagger', decode: tagger.decoder.mode, ...scorer.result(), scheme, confusion: confusion.result(), oov: oov.result() };
}

/**
 * The scheme to write predictions in so they sit beside the file's gold tags (token
 * accuracy compares tag strings). A file with no chunk-initial I- and no B- after O or
 * another type fits IOB1 and IOB2 alike (it has only single chunks separated by O, or no
 * entities): then the checkpoint's own scheme decides.
 */
export function evaluationScheme(tags: readonly (readonly string[])[], checkpointScheme: TagScheme): TagScheme {
  const detected = detectScheme(tags);
  if (detected === 'iob2' && checkpointScheme === 'iob1' && !tags.some(hasIob2OnlyB)) return 'iob1';
  return detected;
}

/** A B-X that does not directly follow a chunk of type X: IOB2 writes it, IOB1 never does. */
function hasIob2OnlyB(sentence: readonly string[]): boolean {
  return sentence.some((tag, i) => tagPrefix(tag) === 'B' && (i === 0 || tagPrefix(sentence[i - 1]) === 'O' || tagType(sentence[i - 1]) !== tagType(tag)));
}
