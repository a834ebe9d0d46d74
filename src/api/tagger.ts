import { loadCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { spansFromTags, type Span, type TagScheme } from '../data/tags.js';
import { encodeWindows, type WindowFeatures } from '../data/windows.js';
import { predictLabelIds, sentenceTags } from '../model/predict.js';

/** A trained checkpoint ready to tag tokenised sentences. */
export class Tagger {
  readonly features: WindowFeatures;

  constructor(readonly checkpoint: Checkpoint, readonly batchSize = 512) {
    const { model, word_normalisation } = checkpoint.meta;
    this.features = { halfWidth: model.halfWidth, caps: model.capsDim > 0, norm: word_normalisation };
  }

  static async load(dir: string): Promise<Tagger> {
    return new Tagger(await loadCheckpoint(dir));
  }

  /** The scheme of the data the model was trained on: predictions are written in it by default. */
  get scheme(): TagScheme {
    return this.checkpoint.meta.tag_scheme;
  }

  /** Tags for each sentence, in `scheme`. */
  tag(sentences: readonly { tokens: readonly string[] }[], scheme: TagScheme = this.scheme): string[][] {
    if (sentences.length === 0) return [];
    const windows = encodeWindows(sentences, this.checkpoint.vocab, this.features);
    const ids = predictLabelIds(this.checkpoint.model, windows, this.batchSize);
    return sentenceTags(ids, windows.sentenceStarts, this.checkpoint.labels, scheme);
  }
}

export interface Entity extends Span {
  text: string;
}

/** The entities of one tagged sentence, with their text. */
export function entitiesOf(tokens: readonly string[], tags: readonly string[], scheme: TagScheme): Entity[] {
  return spansFromTags(tags, scheme).map((span) => ({ ...span, text: tokens.slice(span.start, span.end).join(' ') }));
}
