/**
 * The one description of a ner-train config. Types (`Config`), defaults, validation,
 * the documentation printed by `init-config` and the "did you mean" suggestions are all
 * derived from `ConfigSchema`, so a key is added or changed here and nowhere else.
 *
 * Conventions: every object is strict (a typo is an error, not a silently ignored key),
 * every key has a one-line `.describe()` and a default (except data.train, and so the
 * data section that holds it). Nested sections use `.prefault({})` rather than
 * `.default({})`: zod 4's `.default` returns its value as-is without parsing it, so `{}`
 * would not be filled with the section's own defaults; `.prefault` parses `{}` through
 * the section schema.
 */
import { z } from 'zod';

const data = z
  .strictObject({
    train: z.string().describe('path to the CoNLL training file'),
    dev: z
      .string()
      .nullable()
      .default(null)
      .describe('path to the CoNLL dev file used for model selection; null = none'),
    scheme: z
      .enum(['auto', 'iob1', 'iob2', 'iobes'])
      .default('auto')
      .describe('tagging scheme of the data files; auto = detect it from the training file'),
    min_count: z
      .int()
      .min(1)
      .default(2)
      .describe('words seen fewer times in train AND absent from the embeddings map to <unk>'),
    lowercase: z.boolean().default(true).describe('look words up lowercased'),
    normalize_digits: z.boolean().default(true).describe('every digit becomes 0 before lookup'),
  })
  // No prefault: data.train has no default, so the section itself is required.
  .describe('training and dev data');

const embeddings = z
  .strictObject({
    path: z
      .string()
      .nullable()
      .default(null)
      .describe('GloVe/word2vec text file of pretrained vectors; null = random init'),
    dim: z.int().min(1).default(50).describe('word vector size (must match the file when path is set)'),
    trainable: z.boolean().default(true).describe('fine-tune the word vectors (E) during training'),
    extend_vocab: z
      .boolean()
      .default(true)
      .describe('add every word of the embeddings file to the vocabulary'),
    random_scale: z
      .number()
      .positive()
      .default(0.1)
      .describe('words without a pretrained vector start uniform in [-s, s]'),
  })
  .prefault({})
  .describe('word embeddings');

const caps = z
  .strictObject({
    dim: z.int().min(0).default(5).describe('capitalisation-feature embedding size (0 = off)'),
  })
  .prefault({})
  .describe('capitalisation feature');

const affix = (side: 'suffix' | 'prefix', part: 'ending' | 'beginning') =>
  z
    .strictObject({
      length: z
        .int()
        .min(0)
        .max(10)
        .default(0)
        .describe(`${side} feature: characters of each word's ${part} (lowercased; the whole word if shorter) that get an embedding of their own; ${side}es seen fewer than data.min_count times in train share an unknown row; 0 = off`),
      dim: z.int().min(1).default(10).describe(`${side}-feature embedding size (used when length > 0)`),
    })
    .prefault({})
    .describe(`${side} feature`);

const features = z
  .strictObject({
    caps,
    suffix: affix('suffix', 'ending'),
    prefix: affix('prefix', 'beginning'),
    word_dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('probability of replacing each word of a training window by <unk> (the word only: its caps and affix features stay), so the <unk> vector learns to stand for unseen words; 0 = off'),
  })
  .prefault({})
  .describe('extra per-word features concatenated to the word vector');

const model = z
  .strictObject({
    window: z.int().min(0).max(10).default(2).describe('words each side of the centre word'),
    hidden: z.int().min(1).default(300).describe('hidden layer size'),
    activation: z
      .enum(['sigmoid', 'tanh', 'hardtanh', 'softsign', 'relu', 'leaky-relu'])
      .default('tanh')
      .describe('hidden layer activation'),
    leaky_slope: z
      .number()
      .min(0)
      .lt(1)
      .default(0.01)
      .describe('slope of leaky-relu for negative inputs'),
    dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('probability of dropping a hidden unit in training (inverted dropout: kept units scaled by 1/(1-p), evaluation uses the whole network)'),
    input_dropout: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('probability of dropping each component of the input window x (the concatenated embeddings) in training, inverted like dropout'),
    init: z
      .enum(['xavier', 'uniform', 'normal'])
      .default('xavier')
      .describe('initialisation of W and U: xavier = U[-r, r], r = sqrt(6/(fan_in+fan_out)); uniform = U[-init_scale, init_scale]; normal = N(0, init_scale^2); biases start at 0'),
    init_scale: z
      .number()
      .positive()
      .default(0.1)
      .describe('range (uniform) or standard deviation (normal) of the initial weights; unused by xavier'),
  })
  .prefault({})
  .describe('window network: window vectors -> hidden layer -> tag scores');

const preprocess = z
  .strictObject({
    mode: z
      .enum(['none', 'center', 'standardize', 'whiten'])
      .default('none')
      .describe('fixed affine map of the window vector x before W, fitted on training windows only: center = x - mean; standardize = also divide by the std; whiten = PCA whitening'),
    eps: z
      .number()
      .positive()
      .default(0.01)
      .describe('added to each variance / eigenvalue before the square root: directions the training windows barely vary in are not blown up (fine-tuned embeddings move inputs along them)'),
    fit_windows: z
      .int()
      .min(1)
      .default(50000)
      .describe('fit the statistics on at most this many training windows (a seeded sample when there are more)'),
  })
  .prefault({})
  .describe('input preprocessing (mean subtraction, normalisation, whitening)');

const regularization = z
  .strictObject({
    l2: z.number().min(0).default(0).describe('adds l2 * (|W|^2 + |U|^2) (squared Frobenius norms) to the loss; biases are never penalised'),
    l1: z.number().min(0).default(0).describe('adds l1 * (|W|_1 + |U|_1) to the loss; biases are never penalised'),
    l2_embeddings: z
      .boolean()
      .default(false)
      .describe('also apply l2 to the embedding rows a batch uses (lazily, like the sparse updates)'),
    l1_embeddings: z
      .boolean()
      .default(false)
      .describe('also apply l1 to the embedding rows a batch uses (lazily, like the sparse updates)'),
  })
  .prefault({})
  .describe('weight penalties, added to the reported loss and to the gradient');

const objective = z
  .strictObject({
    loss: z
      .enum(['max-margin', 'softmax'])
      .default('max-margin')
      .describe('training loss over the tag scores: max-margin against corrupted windows, or softmax cross-entropy'),
    margin: z.number().positive().default(1).describe('margin (delta) of the max-margin loss: the true window must outscore each corrupted one by this much'),
    reduction: z
      .enum(['sum', 'max'])
      .default('sum')
      .describe('max-margin over the wrong labels: sum = every violating label (Weston-Watkins); max = only the highest-scoring one (Crammer-Singer)'),
    corruption: z
      .enum(['label', 'center-word', 'both'])
      .default('label')
      .describe('corrupted windows for max-margin: label = the same window with a wrong label; center-word = the centre word replaced by a random word (unigram frequency); both'),
    negatives: z
      .int()
      .min(1)
      .default(1)
      .describe('center-word (and detector non-entity) corruptions per true window'),
    o_weight: z
      .number()
      .positive()
      .default(1)
      .describe('weight of the per-window loss of windows whose gold label is O (83% of CoNLL tokens); < 1 favours recall of entities'),
  })
  .prefault({})
  .describe('training objective');

const optimizer = z
  .strictObject({
    name: z.enum(['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam']).default('sgd').describe('update rule'),
    lr: z.number().positive().default(0.01).describe('learning rate (the start of the schedule)'),
    mu: z.number().min(0).lt(1).default(0.9).describe('momentum: decay of the velocity'),
    nesterov: z.boolean().default(false).describe('momentum: use Nesterov accelerated gradient'),
    decay: z.number().min(0).lt(1).default(0.9).describe('rmsprop: decay of the running mean of squared gradients'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('adam: decay of the first-moment estimate'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('adam: decay of the second-moment estimate'),
    eps: z.number().positive().default(1e-8).describe('adagrad, rmsprop, adam: added to the denominator for stability'),
    clip_norm: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe('rescale the whole gradient to this global L2 norm when it is larger; null = no clipping'),
    average: z
      .number()
      .min(0)
      .lt(1)
      .default(0)
      .describe('decay β of an exponential moving average of the weights (θ̄ ← β·θ̄ + (1−β)·θ after each step); dev scores and checkpoints use θ̄; 0 = off'),
  })
  .prefault({})
  .describe('optimizer');

const schedule = z
  .strictObject({
    name: z
      .enum(['constant', 'step', 'exponential', 'inverse'])
      .default('constant')
      .describe('learning rate after t units: constant lr; step lr*factor^floor(t/every); exponential lr*exp(-k*t); inverse lr*tau/max(t, tau)'),
    unit: z.enum(['epochs', 'steps']).default('epochs').describe('what t counts (from 0): completed epochs or optimizer steps'),
    factor: z.number().positive().default(0.5).describe('step: multiply the rate by this every `every` units'),
    every: z.int().min(1).default(5).describe('step: units between two multiplications'),
    k: z.number().min(0).default(0.1).describe('exponential: decay rate per unit'),
    tau: z.number().positive().default(5).describe('inverse: units at the initial rate before 1/t decay'),
    fan_in_scaling: z
      .boolean()
      .default(false)
      .describe("scale each layer's rate by 1/sqrt(fan-in): W and b by 1/sqrt(D), U and c by 1/sqrt(H) (Collobert et al.)"),
  })
  .prefault({})
  .describe('learning-rate schedule');

const decode = z
  .strictObject({
    mode: z
      .enum(['greedy', 'constrained', 'learned'])
      .default('greedy')
      .describe('greedy = each token its best label; constrained = Viterbi over the window scores excluding moves the tag scheme forbids (I-X after O); learned = a trained K x K transition matrix added to the window scores, trained at sentence level (max-margin: structured hinge with loss-augmented Viterbi; softmax: sentence log-likelihood), decoded by constrained Viterbi'),
  })
  .prefault({})
  .describe('how window scores become a tag sequence');

const training = z
  .strictObject({
    epochs: z.int().min(1).default(10).describe('passes over the training data'),
    batch_size: z.int().min(1).default(32).describe('windows per gradient step'),
    shuffle: z.boolean().default(true).describe('shuffle the training windows every epoch'),
    eval_batch_size: z.int().min(1).default(512).describe('windows per forward pass when evaluating'),
    threads: z
      .int()
      .min(1)
      .max(16)
      .default(1)
      .describe('threads for the matrix products, the main one included: 2 puts the second core to work through a worker thread; the results are bitwise the same for any count. predict and evaluate take the environment variable NER_TRAIN_THREADS instead'),
  })
  .prefault({})
  .describe('training loop');

const output = z
  .strictObject({
    dir: z.string().default('runs/ner').describe('folder for checkpoints, logs and predictions'),
  })
  .prefault({})
  .describe('where results go');

export const ConfigSchema = z
  .strictObject({
    seed: z.int().min(0).default(1).describe('random seed for initialisation, shuffling and dropout'),
    task: z
      .enum(['tagger', 'entity-detector'])
      .default('tagger')
      .describe('tagger = one score per label; entity-detector = one score for "the centre word is part of a named entity" (the notes\' worked example)'),
    data,
    embeddings,
    features,
    model,
    preprocess,
    objective,
    regularization,
    optimizer,
    schedule,
    decode,
    training,
    output,
  })
  .superRefine((config, ctx) => {
    for (const problem of combinationProblems(config)) ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
  })
  .describe('ner-train config');

/** The keys whose combinations are checked across sections. */
export interface CombinationKeys {
  task: 'tagger' | 'entity-detector';
  objective: { loss: 'max-margin' | 'softmax'; corruption: 'label' | 'center-word' | 'both'; o_weight: number };
  decode: { mode: 'greedy' | 'constrained' | 'learned' };
}

/** The key paths combinationProblems reads, for the loader's check of an otherwise invalid config. */
export const COMBINATION_PATHS = [['task'], ['objective', 'loss'], ['objective', 'corruption'], ['objective', 'o_weight'], ['decode', 'mode']] as const;

/** Combinations each key allows alone but that have no meaning together. */
export function combinationProblems(config: CombinationKeys): { path: readonly string[]; message: string }[] {
  const problems: { path: readonly string[]; message: string }[] = [];
  const { objective, decode, task } = config;
  if (objective.loss === 'softmax' && objective.corruption !== 'label') {
    problems.push({
      path: ['objective', 'corruption'],
      message: `${objective.corruption} corruption needs objective.loss: max-margin (softmax scores the true window's label only)`,
    });
  }
  if (decode.mode === 'learned' && objective.corruption !== 'label') {
    problems.push({
      path: ['objective', 'corruption'],
      message: `learned decoding trains whole sentences against their best wrong tag sequence; ${objective.corruption} corruption has no meaning there (use label)`,
    });
  }
  if (decode.mode === 'learned' && objective.o_weight !== 1) {
    problems.push({ path: ['objective', 'o_weight'], message: 'o_weight weights per-window losses; learned decoding trains whole sentences (leave it at 1)' });
  }
  if (task === 'entity-detector' && decode.mode !== 'greedy') {
    problems.push({ path: ['decode', 'mode'], message: 'the entity detector scores words one at a time: decode.mode must be greedy' });
  }
  if (task === 'entity-detector' && objective.loss !== 'max-margin') {
    problems.push({ path: ['objective', 'loss'], message: 'the entity detector is trained with max-margin (a single score has no softmax over labels)' });
  }
  return problems;
}

export type Config = z.output<typeof ConfigSchema>;
/** What a config file may contain before defaults are applied. */
export type ConfigInput = z.input<typeof ConfigSchema>;

export type Activation = Config['model']['activation'];
export type LossName = Config['objective']['loss'];
export type OptimizerName = Config['optimizer']['name'];
export type TagSchemeOption = Config['data']['scheme'];

/** Config keys holding file or folder paths; the loader makes them absolute. */
export const PATH_KEYS = ['data.train', 'data.dev', 'embeddings.path', 'output.dir'] as const;
export type PathKey = (typeof PATH_KEYS)[number];

/** The default config; `train` fills the one key without a default. */
export function defaultConfig(train = ''): Config {
  return ConfigSchema.parse({ data: { train } });
}

// ---------------------------------------------------------------------------------
// Introspection: the loader's error messages, the suggestions and the generated
// default YAML read the schema through these helpers instead of repeating it.

/** A schema with its wrappers (default, prefault, nullable, optional) peeled off. */
export interface FieldInfo {
  /** The innermost schema: an object, string, number, boolean or enum. */
  base: z.ZodType;
  nullable: boolean;
  /** False only for required keys such as data.train. */
  hasDefault: boolean;
  description: string | undefined;
}

export function fieldInfo(schema: z.ZodType): FieldInfo {
  let current: z.ZodType = schema;
  let nullable = false;
  let hasDefault = false;
  // Wrappers are new instances, so a description may sit on any layer: take the outermost.
  let description = current.description;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      hasDefault = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodNullable) {
      nullable = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodOptional) {
      hasDefault = true;
      current = current.unwrap() as z.ZodType;
    } else {
      break;
    }
    description ??= current.description;
  }
  return { base: current, nullable, hasDefault, description };
}

/** The keys of an object schema (through its wrappers), or undefined for a leaf. */
export function shapeOf(schema: z.ZodType): Readonly<Record<string, z.ZodType>> | undefined {
  const { base } = fieldInfo(schema);
  return base instanceof z.ZodObject ? (base.shape as Record<string, z.ZodType>) : undefined;
}

/** The schema of the key at `path` (e.g. ['model', 'hidden']), or undefined if no such key. */
export function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType = ConfigSchema;
  for (const segment of path) {
    const shape = shapeOf(current);
    if (shape === undefined || typeof segment !== 'string' || !Object.hasOwn(shape, segment)) return undefined;
    current = shape[segment];
  }
  return current;
}

/** "an integer >= 1", "one of sgd, adam", "a string or null": what a key accepts, for messages and comments. */
export function describeAllowed(schema: z.ZodType): string {
  const { base, nullable } = fieldInfo(schema);
  const allowed = describeBase(base);
  return nullable ? `${allowed} or null` : allowed;
}

function describeBase(base: z.ZodType): string {
  if (base instanceof z.ZodObject) return 'a mapping of keys';
  if (base instanceof z.ZodString) return 'a string';
  if (base instanceof z.ZodBoolean) return 'true or false';
  if (base instanceof z.ZodEnum) return `one of ${base.options.map(String).join(', ')}`;
  if (base instanceof z.ZodNumber) return describeNumber(base);
  return 'a valid value';
}

/** Reads the bounds through zod's public JSON-Schema export, which knows inclusive from exclusive. */
function describeNumber(schema: z.ZodNumber): string {
  const json: Record<string, unknown> = z.toJSONSchema(schema);
  const kind = json.type === 'integer' ? 'an integer' : 'a number';
  const lower = bound(json, 'minimum', 'exclusiveMinimum', '>=', '>');
  const upper = bound(json, 'maximum', 'exclusiveMaximum', '<=', '<');
  if (lower?.op === '>=' && upper?.op === '<=' && kind === 'an integer') {
    return `${kind} from ${lower.value} to ${upper.value}`;
  }
  const parts = [lower, upper].filter((b) => b !== undefined).map((b) => `${b.op} ${b.value}`);
  return parts.length === 0 ? kind : `${kind} ${parts.join(' and ')}`;
}

function bound(
  json: Record<string, unknown>,
  inclusiveKey: string,
  exclusiveKey: string,
  inclusiveOp: string,
  exclusiveOp: string,
): { op: string; value: number } | undefined {
  const exclusive = json[exclusiveKey];
  if (typeof exclusive === 'number') return { op: exclusiveOp, value: exclusive };
  const inclusive = json[inclusiveKey];
  // z.int() carries the safe-integer range as bounds; those are not worth printing.
  if (typeof inclusive === 'number' && Math.abs(inclusive) < Number.MAX_SAFE_INTEGER) {
    return { op: inclusiveOp, value: inclusive };
  }
  return undefined;
}
