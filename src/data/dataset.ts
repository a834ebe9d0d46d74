import { UserError } from '../errors.js';
import { AffixVocabulary, type AffixSide } from './affixes.js';
import type { Config } from '../config/schema.js';
import { readConllFile, type Sentence } from './conll.js';
import { readEmbeddings, type PretrainedEmbeddings } from './embeddings.js';
import { entityTypes, LabelSet, labelIds } from './labels.js';
import { detectScheme, spansFromTags, type TagScheme } from './tags.js';
import { Vocabulary, wordKey, zeroDigits, type WordNormalisation } from './vocab.js';
import { encodeWindows, type EncodedWindows, type WindowFeatures } from './windows.js';

/** A split ready for the scorer: its sentences, windows as ids, and gold label ids. */
export interface EncodedSplit {
  path: string;
  sentences: Sentence[];
  windows: EncodedWindows;
  /** Gold label per token; −1 for a type the label set does not know. */
  gold: Int32Array;
}

/** Shares of tokens (or of distinct words) by the step of the look-up chain that found a pretrained vector. */
export interface LookupShares {
  exact: number;
  lowercase: number;
  digits: number;
  /** No vector at any step: the row starts random. */
  unknown: number;
}

/**
 * How well the pretrained vectors cover a split. exact … unknown are token shares (they
 * add up to 1) and say how far each token had to be changed before a vector was found
 * (see matchPretrained); `words` gives the same over distinct word forms.
 */
export interface Coverage extends LookupShares {
  /** Share of tokens / distinct keys whose word has a pretrained vector. */
  tokens: number;
  types: number;
  words: LookupShares;
}

export interface PreparedData {
  scheme: TagScheme;
  vocab: Vocabulary;
  labels: LabelSet;
  features: WindowFeatures;
  train: EncodedSplit;
  dev: EncodedSplit | null;
  pretrained: PretrainedEmbeddings | null;
  /** Word-table row → pretrained row (−1: none), for initialising E. */
  pretrainedRow: Int32Array;
  coverage: { train: Coverage; dev: Coverage | null } | null;
}

/** The window features of a config; the affix vocabularies are built from the training sentences. */
export function windowFeatures(config: Config, train: readonly Sentence[]): WindowFeatures {
  const affixes = (side: AffixSide): AffixVocabulary | null => {
    const { length } = config.features[side];
    return length > 0 ? AffixVocabulary.build(tokensOf(train), side, length, config.data.min_count) : null;
  };
  return {
    halfWidth: config.model.window,
    caps: config.features.caps.dim > 0,
    norm: { lowercase: config.data.lowercase, normalize_digits: config.data.normalize_digits },
    suffix: affixes('suffix'),
    prefix: affixes('prefix'),
  };
}

function* tokensOf(sentences: readonly Sentence[]): Generator<string> {
  for (const s of sentences) yield* s.tokens;
}

/** Reads train, dev and embeddings, and builds the vocabulary, the label set and the windows. */
/** Called before each file is read: a large embeddings file takes seconds, and a person should see why. */
export type ReadingHandler = (what: 'train' | 'dev' | 'embeddings', path: string) => void;

/** Told about data that is usable but probably not what was meant; the default is a process warning (the CLI prints it as one line). */
export type DataWarningHandler = (message: string) => void;

const processWarning: DataWarningHandler = (message) => process.emitWarning(message, { code: 'NER_TRAIN_DATA' });

export async function prepareData(config: Config, onReading: ReadingHandler = () => undefined, onWarning: DataWarningHandler = processWarning): Promise<PreparedData> {
  onReading('train', config.data.train);
  const trainSentences = await readConllFile(config.data.train);
  if (config.data.dev !== null) onReading('dev', config.data.dev);
  const devSentences = config.data.dev === null ? null : await readConllFile(config.data.dev);
  const scheme = config.data.scheme === 'auto' ? detectScheme(trainSentences.map((s) => s.tags)) : config.data.scheme;
  if (devSentences && config.data.scheme === 'auto') checkDevScheme(config.data.dev ?? '', devSentences, scheme);
  const labels = LabelSet.fromTypes(entityTypes(trainSentences, scheme));
  if (labels.size === 1) {
    throw new UserError(`${config.data.train}: the training data has no entities (every tag is O)`, {
      hint: 'check that the NER tag is the last column',
    });
  }
  if (devSentences && config.data.dev !== null && config.task === 'tagger') {
    const unknown = unknownDevTypes(config.data.dev, devSentences, scheme, labels);
    if (unknown !== null) onWarning(unknown);
  }

  if (config.embeddings.path !== null) onReading('embeddings', config.embeddings.path);
  const pretrained = config.embeddings.path === null ? null : await readEmbeddings(config.embeddings.path, config.embeddings.dim);
  const features = windowFeatures(config, trainSentences);
  const vocab = buildVocabulary(trainSentences, pretrained, features.norm, config);
  const encode = (path: string, sentences: Sentence[]): EncodedSplit => ({
    path,
    sentences,
    windows: encodeWindows(sentences, vocab, features),
    gold: concatInt32(sentences.map((s) => labelIds(s.tags, scheme, labels))),
  });
  const pretrainedRow = new Int32Array(vocab.size).fill(-1);
  if (pretrained) vocab.words.forEach((word, row) => (pretrainedRow[row] = lookupPretrained(pretrained, word)));
  return {
    scheme,
    vocab,
    labels,
    features,
    train: encode(config.data.train, trainSentences),
    dev: devSentences && config.data.dev !== null ? encode(config.data.dev, devSentences) : null,
    pretrained,
    pretrainedRow,
    coverage: pretrained
      ? {
          train: coverage(trainSentences, pretrained, features.norm),
          dev: devSentences ? coverage(devSentences, pretrained, features.norm) : null,
        }
      : null,
  };
}

/**
 * Keys of train words (most frequent first), kept when seen `min_count` times or covered
 * by a pretrained vector, then (extend_vocab) every other word of the embeddings file,
 * so that words never seen in training still get their pretrained vector at tagging time.
 */
function buildVocabulary(
  sentences: Sentence[],
  pretrained: PretrainedEmbeddings | null,
  norm: WordNormalisation,
  config: Config,
): Vocabulary {
  const counts = new Map<string, number>();
  for (const s of sentences) for (const token of s.tokens) {
    const key = wordKey(token, norm);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // A stable sort keeps first-appearance order among equal counts: the same vocabulary every run.
  const trainKeys = [...counts.entries()]
    .filter(([key, count]) => count >= config.data.min_count || (pretrained !== null && lookupPretrained(pretrained, key) >= 0))
    .sort((a, b) => b[1] - a[1])
    .map(([key]) => key);
  // Only keys that find a vector: a key that normalisation moved away from its word
  // (a cased file read lowercased, a number with its digits zeroed) would start random
  // and never be trained, which is worse than <unk>.
  const extra =
    pretrained && config.embeddings.extend_vocab
      ? pretrained.words.map((w) => wordKey(w, norm)).filter((key) => lookupPretrained(pretrained, key) >= 0)
      : [];
  return Vocabulary.fromKeys([...trainKeys, ...extra]);
}

/**
 * The pretrained vector of a lookup key, by a fall-back chain: the key as it is, then
 * lowercased (GloVe 6B is uncased), then with every digit 0 (as it is, then lowercased:
 * some files keep numbers only in that form). Returns the row and the form that found
 * it, or null when no step does.
 */
export function matchPretrained(pretrained: PretrainedEmbeddings, key: string): { row: number; form: string } | null {
  const lower = key.toLowerCase();
  for (const form of [key, lower, zeroDigits(key), zeroDigits(lower)]) {
    const row = pretrained.index.get(form);
    if (row !== undefined) return { row, form };
  }
  return null;
}

/** The pretrained row for a key by the fall-back chain of matchPretrained, or −1. */
export function lookupPretrained(pretrained: PretrainedEmbeddings, key: string): number {
  return matchPretrained(pretrained, key)?.row ?? -1;
}

type LookupStep = keyof LookupShares;

/**
 * The chain step that gave a token its vector, measured against the token as written: a
 * vector found for the token itself is `exact`, for its lowercase form `lowercase`, for a
 * form with digits zeroed `digits`. With data.lowercase the key is already lowercased, so
 * "Paris" counts as lowercased even though the key "paris" was found at once: what the
 * report describes is what became of the word, not which look-up the code made.
 */
function lookupStep(pretrained: PretrainedEmbeddings, token: string, norm: WordNormalisation): LookupStep {
  const match = matchPretrained(pretrained, wordKey(token, norm));
  if (match === null) return 'unknown';
  if (match.form === token) return 'exact';
  return match.form === token.toLowerCase() ? 'lowercase' : 'digits';
}

function coverage(sentences: Sentence[], pretrained: PretrainedEmbeddings, norm: WordNormalisation): Coverage {
  const stepOf = new Map<string, LookupStep>();
  const keyCovered = new Map<string, boolean>();
  const tokenCounts: LookupShares = { exact: 0, lowercase: 0, digits: 0, unknown: 0 };
  let tokens = 0;
  for (const s of sentences) for (const token of s.tokens) {
    let step = stepOf.get(token);
    if (step === undefined) {
      step = lookupStep(pretrained, token, norm);
      stepOf.set(token, step);
      const key = wordKey(token, norm);
      if (!keyCovered.has(key)) keyCovered.set(key, lookupPretrained(pretrained, key) >= 0);
    }
    tokenCounts[step]++;
    tokens++;
  }
  const wordCounts: LookupShares = { exact: 0, lowercase: 0, digits: 0, unknown: 0 };
  for (const step of stepOf.values()) wordCounts[step]++;
  const coveredKeys = [...keyCovered.values()].filter(Boolean).length;
  const shares = (counts: LookupShares, total: number): LookupShares => {
    const n = Math.max(total, 1);
    return { exact: counts.exact / n, lowercase: counts.lowercase / n, digits: counts.digits / n, unknown: counts.unknown / n };
  };
  return {
    tokens: (tokens - tokenCounts.unknown) / Math.max(tokens, 1),
    types: coveredKeys / Math.max(keyCovered.size, 1),
    ...shares(tokenCounts, tokens),
    words: shares(wordCounts, stepOf.size),
  };
}

function checkDevScheme(path: string, sentences: Sentence[], trainScheme: TagScheme): void {
  const devScheme = detectScheme(sentences.map((s) => s.tags));
  if ((devScheme === 'iobes') !== (trainScheme === 'iobes')) {
    throw new UserError(`${path}: tags look like ${devScheme.toUpperCase()} but the training file's look like ${trainScheme.toUpperCase()}`, {
      hint: 'convert one of the files, or set data.scheme explicitly',
    });
  }
}

/**
 * A dev entity of a type the training file never has cannot be predicted: it counts as a
 * miss in every dev score (as conlleval would count it), and it is often a typo (B-PRE)
 * or the wrong file. Not an error, since a training file cut short for a quick run may
 * simply lack a rare type. Returns `file:line: …` for the first such entity (with how many
 * there are), or null when there is none.
 */
export function unknownDevTypes(path: string, sentences: readonly Sentence[], scheme: TagScheme, labels: LabelSet): string | null {
  const known = new Set(labels.types());
  let first: { line: number; tag: string; type: string } | null = null;
  let count = 0;
  const unknownTypes = new Set<string>();
  for (const s of sentences) {
    for (const span of spansFromTags(s.tags, scheme)) {
      if (known.has(span.type)) continue;
      count++;
      unknownTypes.add(span.type);
      // Lines within a sentence are consecutive (a blank line would end it).
      first ??= { line: s.line + span.start, tag: s.tags[span.start], type: span.type };
    }
  }
  if (first === null) return null;
  const entities = count === 1 ? 'it counts as a miss' : `${count} entities of types the training file lacks (${[...unknownTypes].sort().join(', ')}) count as misses`;
  return `${path}:${first.line}: '${first.tag}': entity type ${first.type} does not occur in the training file (types ${[...known].sort().join(', ')}); ${entities} in the dev scores`;
}

function concatInt32(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
