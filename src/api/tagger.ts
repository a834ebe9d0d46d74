import { DETECTOR_LABEL, loadCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { convertTags, spansFromTags, type Span, type TagScheme } from '../data/tags.js';
import { encodeWindows, type EncodedWindows, type WindowFeatures } from '../data/windows.js';
import { createDecoder, decodeLabelIds, type DecodeMode, type Decoder } from '../decode/decoder.js';
import { UserError } from '../errors.js';
import { PrecomputedScorer, type PrecomputeOptions } from '../model/precompute.js';
import { predictScores, sentenceTags, type Scorer } from '../model/predict.js';

/**
 * A trained checkpoint ready to tag tokenised sentences. A tagger checkpoint gives each
 * token its best label; an entity detector's gives each token a score, and the words
 * above its threshold become ENTITY chunks (adjacent entity words form one chunk).
 */
export class Tagger {
  readonly features: WindowFeatures;
  /** Greedy, constrained or learned Viterbi, as the checkpoint was trained and selected with. */
  readonly decoder: Decoder;
  /**
   * What scores the windows: the pre-computation tables over the checkpoint's model (built
   * lazily, once enough tokens were tagged, and dropped with the Tagger), or the model
   * itself when `precompute` is false. The checkpoint's parameters must not change while
   * the Tagger is in use: the tables are a snapshot of them.
   */
  readonly scorer: Scorer;

  /**
   * `decode` overrides the checkpoint's decoding (e.g. constrained Viterbi for a greedily
   * trained model); `precompute` sets the tables' memory budget and threshold, or turns them off.
   */
  constructor(readonly checkpoint: Checkpoint, readonly batchSize = 512, decode?: DecodeMode, precompute: PrecomputeOptions | false = {}) {
    const { model, word_normalisation, labels } = checkpoint.meta;
    // The affix vocabularies come from the checkpoint unchanged: their rows were learned for the training data's affixes.
    const { suffix, prefix } = checkpoint;
    this.features = { halfWidth: model.halfWidth, caps: model.capsDim > 0, norm: word_normalisation, suffix, prefix };
    const mode = decode ?? checkpoint.meta.decode;
    if (mode === 'learned' && !checkpoint.transitions) {
      throw new UserError(`decode learned needs a checkpoint trained with decode.mode: learned; this one was trained with ${checkpoint.meta.decode}`, {
        hint: 'use --decode greedy or constrained',
      });
    }
    if (mode !== 'greedy' && checkpoint.meta.task === 'entity-detector') {
      throw new UserError('an entity detector scores words one at a time: only greedy decoding applies');
    }
    this.decoder = createDecoder(mode, labels, checkpoint.transitions);
    this.scorer = precompute === false ? checkpoint.model : new PrecomputedScorer(checkpoint.model, precompute);
  }

  static async load(dir: string, decode?: DecodeMode, precompute: PrecomputeOptions | false = {}): Promise<Tagger> {
    return new Tagger(await loadCheckpoint(dir), 512, decode, precompute);
  }

  /** The scheme of the data the model was trained on: predictions are written in it by default. */
  get scheme(): TagScheme {
    return this.checkpoint.meta.tag_scheme;
  }

  get isDetector(): boolean {
    return this.checkpoint.meta.task === 'entity-detector';
  }

  /** The entity detector's decision threshold (score > threshold: entity word); null for a tagger. */
  get threshold(): number | null {
    return this.checkpoint.meta.detector?.threshold ?? null;
  }

  /** Tags for each sentence, in `scheme`. */
  tag(sentences: readonly { tokens: readonly string[] }[], scheme: TagScheme = this.scheme): string[][] {
    if (sentences.length === 0) return [];
    if (this.isDetector) return this.detect(sentences, scheme).tags;
    const windows = this.encode(sentences);
    const ids = decodeLabelIds(this.scorer, windows, this.batchSize, this.decoder);
    return sentenceTags(ids, windows.sentenceStarts, this.checkpoint.labels, scheme);
  }

  /** The entity detector's tags and its score of every token, per sentence, from one forward pass. */
  detect(sentences: readonly { tokens: readonly string[] }[], scheme: TagScheme = this.scheme): { tags: string[][]; scores: number[][] } {
    if (!this.isDetector) throw new Error('detect() is for entity-detector checkpoints');
    if (sentences.length === 0) return { tags: [], scores: [] };
    const windows = this.encode(sentences);
    const all = predictScores(this.scorer, windows, this.batchSize);
    return {
      tags: this.detectorTags(all, windows, scheme),
      scores: perSentence(windows, (from, to) => Array.from(all.subarray(from, to))),
    };
  }

  private encode(sentences: readonly { tokens: readonly string[] }[]): EncodedWindows {
    return encodeWindows(sentences, this.checkpoint.vocab, this.features);
  }

  private detectorTags(scores: Float32Array, windows: EncodedWindows, scheme: TagScheme): string[][] {
    const threshold = this.threshold ?? 0;
    return perSentence(windows, (from, to) => {
      const iob2: string[] = [];
      for (let i = from; i < to; i++) {
        const entity = scores[i] > threshold;
        iob2.push(!entity ? 'O' : i > from && scores[i - 1] > threshold ? `I-${DETECTOR_LABEL}` : `B-${DETECTOR_LABEL}`);
      }
      return convertTags(iob2, 'iob2', scheme);
    });
  }
}

function perSentence<T>(windows: EncodedWindows, slice: (from: number, to: number) => T): T[] {
  const out: T[] = [];
  const starts = windows.sentenceStarts;
  for (let s = 0; s + 1 < starts.length; s++) out.push(slice(starts[s], starts[s + 1]));
  return out;
}

export interface Entity extends Span {
  text: string;
}

/** The entities of one tagged sentence, with their text. */
export function entitiesOf(tokens: readonly string[], tags: readonly string[], scheme: TagScheme): Entity[] {
  return spansFromTags(tags, scheme).map((span) => ({ ...span, text: tokens.slice(span.start, span.end).join(' ') }));
}
