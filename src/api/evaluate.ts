import { readConllFile } from '../data/conll.js';
import { detectScheme, tagPrefix, tagType, type TagScheme } from '../data/tags.js';
import { conllevalLines } from '../eval/conll-output.js';
import { EntityScorer, type EntityScores } from '../eval/metrics.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Tagger } from './tagger.js';

export interface EvaluateOptions {
  checkpoint: string;
  data: string;
  /** Also write `token gold predicted` lines, the input conlleval.pl reads. */
  writePredictions?: string;
  scheme?: TagScheme | 'auto';
}

export interface EvaluateResult extends EntityScores {
  scheme: TagScheme;
}

/** Tags a CoNLL file with a checkpoint and scores it by conlleval's rules. */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const tagger = await Tagger.load(options.checkpoint);
  const sentences = await readConllFile(options.data);
  const scheme = options.scheme && options.scheme !== 'auto' ? options.scheme : evaluationScheme(sentences.map((s) => s.tags), tagger.scheme);
  const predicted = tagger.tag(sentences, scheme);
  const scorer = new EntityScorer(scheme);
  sentences.forEach((s, i) => scorer.add(s.tags, predicted[i]));
  if (options.writePredictions) {
    const text = sentences.map((s, i) => conllevalLines(s.tokens, s.tags, predicted[i])).join('');
    await writeFileAtomic(options.writePredictions, text);
  }
  return { ...scorer.result(), scheme };
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
