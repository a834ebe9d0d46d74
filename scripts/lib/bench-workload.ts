/**
 * The peers' benchmark workload (../shared/bench/README.md), rebuilt in memory for
 * ner-train: a synthetic corpus drawn from the same distributions as peer_torch.py's
 * make_data (not the same numbers: the generator differs), and the config that makes
 * ner-train's real training code build the peers' network.
 */
import { ConfigSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import type { PreparedData } from '../../src/data/dataset.js';
import { LabelSet } from '../../src/data/labels.js';
import { PAD_END_ID, PAD_START_ID, Vocabulary } from '../../src/data/vocab.js';
import type { EncodedWindows, WindowFeatures } from '../../src/data/windows.js';
import { Rng } from '../../src/math/random.js';

/** Sizes and hyper-parameters of the peers' workload; fields named as their flags. */
export interface Workload {
  tokens: number;
  vocab: number;
  dim: number;
  /** Words each side of the centre (the peers' --window 5 is 2·2+1 positions). */
  halfWidth: number;
  hidden: number;
  /** Probability of keeping a hidden unit in training (the peers' --keep). */
  keep: number;
  /** The peers' λ: J += (λ/2)(‖W‖² + ‖U‖²). */
  l2: number;
  lrAdam: number;
  lrAdagrad: number;
  seed: number;
}

export const PEER_WORKLOAD: Workload = {
  tokens: 204_567,
  vocab: 20_000,
  dim: 50,
  halfWidth: 2,
  hidden: 300,
  keep: 0.5,
  l2: 1e-4,
  lrAdam: 1e-3,
  lrAdagrad: 1e-2,
  seed: 1234,
};

/** CoNLL-2003 training-set label counts, as peer_torch.py lists them. */
export const CONLL_LABEL_COUNTS: Readonly<Record<string, number>> = {
  O: 169578,
  'B-PER': 6600,
  'I-PER': 4528,
  'B-ORG': 6321,
  'I-ORG': 3704,
  'B-LOC': 7140,
  'I-LOC': 1157,
  'B-MISC': 3438,
  'I-MISC': 1155,
};

/** The label set ner-train builds for CoNLL-2003 (O, then B-/I- per type, sorted): K = 9. */
export const CONLL_LABELS = LabelSet.fromTypes(['PER', 'ORG', 'LOC', 'MISC']);

/** First word row: rows 0–2 are ner-train's <unk>, <s>, </s> (the peers reserve the same three). */
export const FIRST_WORD = 3;

/** Longest sentence the peers draw (CoNLL-2003's longest training sentence). */
const MAX_SENTENCE = 113;

export interface SyntheticCorpus {
  windows: EncodedWindows;
  /** Gold label id (in CONLL_LABELS) of every token. */
  gold: Int32Array;
}

/**
 * N tokens in sentences of gamma(1.6, 9)-distributed length (rounded, 1…113, mean about
 * 14.5), labels drawn with the CoNLL-2003 frequencies, word ids Zipf (exponent 1) over
 * the non-reserved rows with one rank permutation per label (label O keeps the identity),
 * so entity words differ from O words and the task is learnable — all as make_data does.
 * Windows are laid out exactly as encodeWindows lays out real sentences (one table: words
 * only, no caps), with <s> / </s> past the sentence edges.
 */
export function syntheticCorpus(tokens: number, vocab: number, halfWidth: number, seed: number): SyntheticCorpus {
  if (!Number.isInteger(tokens) || tokens < 1) throw new RangeError(`tokens must be a positive integer, got ${tokens}`);
  if (!Number.isInteger(vocab) || vocab <= FIRST_WORD) throw new RangeError(`vocab must be an integer above ${FIRST_WORD}, got ${vocab}`);
  const rng = new Rng(seed);

  const lengths: number[] = [];
  for (let total = 0; total < tokens; ) {
    const n = Math.min(MAX_SENTENCE, Math.max(1, Math.round(gamma(rng, 1.6, 9.0))), tokens - total);
    lengths.push(n);
    total += n;
  }

  const labelCdf = cumulative(CONLL_LABELS.labels.map((label) => CONLL_LABEL_COUNTS[label]));
  const gold = new Int32Array(tokens);
  for (let i = 0; i < tokens; i++) gold[i] = sample(labelCdf, rng);

  const nWords = vocab - FIRST_WORD;
  const rankCdf = cumulative(Array.from({ length: nWords }, (_, r) => 1 / (r + 1)));
  const perms = CONLL_LABELS.labels.map((label, y) => {
    const identity = Int32Array.from({ length: nWords }, (_, r) => r);
    return y === 0 ? identity : rng.shuffle(identity);
  });
  const words = new Int32Array(tokens);
  for (let i = 0; i < tokens; i++) words[i] = FIRST_WORD + perms[gold[i]][sample(rankCdf, rng)];

  const w = 2 * halfWidth + 1;
  const ids = new Int32Array(tokens * w);
  const sentenceStarts = new Int32Array(lengths.length + 1);
  let start = 0;
  lengths.forEach((len, s) => {
    sentenceStarts[s] = start;
    for (let i = 0; i < len; i++) {
      for (let j = 0; j < w; j++) {
        const p = i - halfWidth + j;
        ids[(start + i) * w + j] = p < 0 ? PAD_START_ID : p >= len ? PAD_END_ID : words[start + p];
      }
    }
    start += len;
  });
  sentenceStarts[lengths.length] = tokens;
  return { windows: { ids, count: tokens, positions: w, tables: 1, sentenceStarts }, gold };
}

/**
 * The corpus as `setupTraining` takes it. Word rows are named w3, w4, … so that the
 * vocabulary has the workload's V rows; nothing is pretrained.
 *
 * `sentences` is left empty: the window-level training step and the predict path read
 * only the encoded windows and gold ids, and 204,567 token strings would add tens of MB to
 * the peak RSS the bench reports. (Learned decoding, which walks sentences, is not part
 * of the workload; benchConfig never selects it.)
 */
export function syntheticData(workload: Workload): PreparedData {
  const { windows, gold } = syntheticCorpus(workload.tokens, workload.vocab, workload.halfWidth, workload.seed);
  const vocab = Vocabulary.fromKeys(Array.from({ length: workload.vocab - FIRST_WORD }, (_, r) => `w${FIRST_WORD + r}`));
  const features: WindowFeatures = {
    halfWidth: workload.halfWidth,
    caps: false,
    norm: { lowercase: true, normalize_digits: true },
    suffix: null,
    prefix: null,
  };
  return {
    scheme: 'iob2',
    vocab,
    labels: CONLL_LABELS,
    features,
    train: { path: SYNTHETIC_PATH, sentences: [], windows, gold },
    dev: null,
    pretrained: null,
    pretrainedRow: new Int32Array(vocab.size).fill(-1),
    coverage: null,
  };
}

/** Stands in for data.train, which the schema requires and nothing in the bench reads. */
export const SYNTHETIC_PATH = '(synthetic bench corpus)';

export type LossName = 'hinge' | 'softmax';
export type OptimName = 'adam' | 'adagrad';
export type ActName = 'tanh' | 'hardtanh' | 'relu';

/** What a config needs to know about one bench case. */
export interface ModelChoice {
  batch: number;
  loss: LossName;
  optim: OptimName;
  act: ActName;
  threads: number;
}

/**
 * A config, validated by the real schema, under which setupTraining builds the peers'
 * network and step:
 * - words only (caps off), d = 50, window 2, H = 300, K = 9 from the data;
 * - model.dropout is the drop probability: 1 − keep;
 * - hinge = max-margin with reduction sum (Weston–Watkins), margin 1, label corruption
 *   only; BatchLoss divides by B as the peers' mean does;
 * - regularization.l2 multiplies ‖W‖² + ‖U‖² (gradient 2·l2·W) where the peers' λ
 *   multiplies ½‖W‖² (gradient λ·W): l2 = λ/2 gives the same gradient; biases and
 *   embeddings are not penalised on either side;
 * - Adam (β 0.9 / 0.999, ε 1e-8, torch's defaults) or AdaGrad with ε 1e-10 (torch's),
 *   constant rate, no fan-in scaling, no clipping; embeddings start uniform in ±0.5 as
 *   the peers' nn.init.uniform_(-0.5, 0.5), W and U Xavier, biases 0;
 * - training.threads, which setupTraining hands to the math core.
 */
export function benchConfig(workload: Workload, choice: ModelChoice): Config {
  const input = {
    seed: workload.seed,
    task: 'tagger',
    data: { train: SYNTHETIC_PATH, scheme: 'iob2' },
    embeddings: { path: null, dim: workload.dim, trainable: true, random_scale: 0.5 },
    features: { caps: { dim: 0 } },
    model: { window: workload.halfWidth, hidden: workload.hidden, activation: choice.act, dropout: 1 - workload.keep, init: 'xavier' },
    preprocess: { mode: 'none' },
    objective: { loss: choice.loss === 'hinge' ? 'max-margin' : 'softmax', margin: 1, reduction: 'sum', corruption: 'label', o_weight: 1 },
    regularization: { l2: workload.l2 / 2 },
    optimizer: {
      name: choice.optim,
      lr: choice.optim === 'adam' ? workload.lrAdam : workload.lrAdagrad,
      eps: choice.optim === 'adam' ? 1e-8 : 1e-10,
    },
    schedule: { name: 'constant', fan_in_scaling: false },
    decode: { mode: 'greedy' },
    training: { batch_size: choice.batch, epochs: 1, shuffle: true, threads: choice.threads },
  } satisfies ConfigInput;
  return ConfigSchema.parse(input);
}

/** Marsaglia–Tsang gamma(shape ≥ 1, scale) from the seeded generator. */
export function gamma(rng: Rng, shape: number, scale: number): number {
  if (shape < 1) throw new RangeError('gamma: shape must be >= 1');
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** Running sums of non-negative weights (the last entry is the total). */
function cumulative(weights: readonly number[]): Float64Array {
  const cdf = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((weight, i) => (cdf[i] = total += weight));
  return cdf;
}

/** An index drawn with probability weight/total: the first running sum above a uniform draw. */
function sample(cdf: Float64Array, rng: Rng): number {
  const target = rng.uniform() * cdf[cdf.length - 1];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
