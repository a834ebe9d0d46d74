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

const features = z
  .strictObject({ caps })
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
      .describe('probability of dropping a hidden unit during training'),
  })
  .prefault({})
  .describe('window network: window vectors -> hidden layer -> tag scores');

const objective = z
  .strictObject({
    loss: z
      .enum(['max-margin', 'softmax'])
      .default('max-margin')
      .describe('training loss over the tag scores'),
    margin: z.number().positive().default(1).describe('margin of the max-margin loss'),
  })
  .prefault({})
  .describe('training objective');

const optimizer = z
  .strictObject({
    name: z.enum(['sgd', 'adam']).default('sgd').describe('update rule'),
    lr: z.number().positive().default(0.01).describe('learning rate'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('adam: decay of the first-moment estimate'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('adam: decay of the second-moment estimate'),
    eps: z.number().positive().default(1e-8).describe('adam: added to the denominator for stability'),
  })
  .prefault({})
  .describe('optimizer');

const training = z
  .strictObject({
    epochs: z.int().min(1).default(10).describe('passes over the training data'),
    batch_size: z.int().min(1).default(32).describe('windows per gradient step'),
    shuffle: z.boolean().default(true).describe('shuffle the training windows every epoch'),
    eval_batch_size: z.int().min(1).default(512).describe('windows per forward pass when evaluating'),
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
    data,
    embeddings,
    features,
    model,
    objective,
    optimizer,
    training,
    output,
  })
  .describe('ner-train config');

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
