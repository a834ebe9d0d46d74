import { createHash } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { AffixVocabulary, type AffixSide } from '../data/affixes.js';
import { CAPS_CLASSES } from '../data/caps.js';
import { LabelSet } from '../data/labels.js';
import type { TagScheme } from '../data/tags.js';
import { Vocabulary, type WordNormalisation } from '../data/vocab.js';
import { fileError, UserError } from '../errors.js';
import { resolveCheckpointDir, replaceDirAtomic } from '../io/atomic.js';
import { createScorer, type ModelSpec } from '../model/create.js';
import type { DecodeMode } from '../decode/decoder.js';
import { noPreprocessing, type PreprocessMode, type Preprocessor } from '../model/preprocess.js';
import { TransitionParams } from '../model/transitions.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { VERSION } from '../version.js';
import { decodeSafetensors, encodeSafetensorsParts, type Tensor } from './safetensors.js';
import { checkMetaStructure, sealMeta, sha256Hex, verifyFileHash, verifyMetaChecksum } from './verify.js';

export const CHECKPOINT_FORMAT = 'ner-train-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 3;
/**
 * Versions this code reads: 1 had no task, detector or fitted preprocessing (a tagger with
 * mode 'none'); 1 and 2 had no affix features. Version 3 added the affixes: an older
 * reader would build a scorer without their tables and fail on W's width, so it is told
 * plainly instead that the checkpoint is newer.
 */
const READABLE_VERSIONS = [1, 2, 3];
const WEIGHTS_FILE = 'model.safetensors';
const META_FILE = 'meta.json';
const VOCAB_FILE = 'vocab.txt';
const AFFIX_FILES: Record<AffixSide, string> = { suffix: 'suffix.txt', prefix: 'prefix.txt' };
const AFFIX_SIDES: readonly AffixSide[] = ['suffix', 'prefix'];

/** An affix feature in meta.json: its length, and its vocabulary file (line i = row i of embeddings.suffix / embeddings.prefix). */
export interface AffixMeta {
  length: number;
  file: string;
  size: number;
}

/** What meta.json records: enough to rebuild the tagger and to check the weights against. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  ner_train_version: string;
  weights_file: string;
  weights_sha256: string;
  vocab_file: string;
  vocab_size: number;
  labels: string[];
  /** The scheme of the training data: predictions are written in it. */
  tag_scheme: TagScheme;
  word_normalisation: WordNormalisation;
  /** The suffix and prefix features; null when off. */
  affixes: Record<AffixSide, AffixMeta | null>;
  model: ModelSpec;
  /** The task the scorer was trained for; its scores mean one thing per label (tagger) or "entity word" (detector). */
  task: Config['task'];
  /** Input preprocessing fitted on the training windows; its mean and transform are tensors of the weights file. */
  preprocess: { mode: PreprocessMode; eps: number };
  /** Entity detector: score > threshold means "entity word" (chosen on dev). */
  detector: { threshold: number } | null;
  /** How scores become tags; 'learned' stores the transition scores as tensors transitions.start and transitions.matrix. */
  decode: DecodeMode;
  epoch: number;
  step: number;
  dev: { precision: number; recall: number; f1: number } | null;
  config: Config;
  /** sha256 of vocab.txt and of the affix files, by file name (absent in checkpoints written before it). */
  files_sha256?: Record<string, string>;
  /** sha256 of this meta.json's other keys (see verify.ts; absent in checkpoints written before it). */
  meta_sha256?: string;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  model: WindowScorer;
  /** The learned transition scores (decode 'learned'), else null. */
  transitions: TransitionParams | null;
  vocab: Vocabulary;
  labels: LabelSet;
  /** The affix vocabularies of the suffix and prefix features, or null when off. */
  suffix: AffixVocabulary | null;
  prefix: AffixVocabulary | null;
}

/** What the trainer hands over; the rest of meta.json is derived when writing. */
export type CheckpointState = Omit<
  CheckpointMeta,
  'format' | 'format_version' | 'ner_train_version' | 'weights_file' | 'weights_sha256' | 'vocab_file' | 'vocab_size' | 'labels' | 'model' | 'preprocess' | 'affixes' | 'files_sha256' | 'meta_sha256'
> & {
  model: WindowScorer;
  preprocessor: Preprocessor;
  transitions: TransitionParams | null;
  spec: ModelSpec;
  vocab: Vocabulary;
  labels: LabelSet;
  suffix: AffixVocabulary | null;
  prefix: AffixVocabulary | null;
};

/** Extra files a caller stores inside the checkpoint folder (e.g. the trainer's resume state), given the meta.json being written. */
export type ExtraCheckpointFiles = (meta: CheckpointMeta) => Record<string, FileContent>;

/** A file's text, its bytes, or its bytes as consecutive parts (written one after the other, never joined in memory). */
export type FileContent = string | Uint8Array | readonly Uint8Array[];

/**
 * Writes a checkpoint folder (weights, meta.json, vocab.txt, and suffix.txt / prefix.txt when
 * on) as one atomic replacement. `extraFiles` go into the same folder in the same replacement,
 * so they can never be out of step with the weights beside them.
 */
export async function saveCheckpoint(dir: string, state: CheckpointState, options: { extraFiles?: ExtraCheckpointFiles } = {}): Promise<void> {
  const tensors = modelTensors(state.model);
  for (const [name, tensor] of preprocessTensors(state.preprocessor)) tensors.set(name, tensor);
  if (state.transitions) {
    const { K } = state.transitions;
    tensors.set('transitions.start', { dtype: 'F32', shape: [K], data: asFloat32(state.transitions.start) });
    tensors.set('transitions.matrix', { dtype: 'F32', shape: [K, K], data: asFloat32(state.transitions.trans) });
  }
  // As parts that are views of the model's own arrays: no second copy of the weights in memory.
  const weights = encodeSafetensorsParts(tensors, { format: CHECKPOINT_FORMAT });
  const textFiles = checkpointTextFiles(state);
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    ner_train_version: VERSION,
    weights_file: WEIGHTS_FILE,
    weights_sha256: sha256OfParts(weights),
    vocab_file: VOCAB_FILE,
    vocab_size: state.vocab.size,
    labels: state.task === 'entity-detector' ? [DETECTOR_LABEL] : [...state.labels.labels],
    tag_scheme: state.tag_scheme,
    word_normalisation: state.word_normalisation,
    affixes: { suffix: affixMeta(state.suffix), prefix: affixMeta(state.prefix) },
    model: state.spec,
    task: state.task,
    preprocess: { mode: state.preprocessor.mode, eps: state.preprocessor.eps },
    detector: state.detector,
    decode: state.decode,
    epoch: state.epoch,
    step: state.step,
    dev: state.dev,
    config: state.config,
    files_sha256: Object.fromEntries([...textFiles].map(([name, text]) => [name, sha256Hex(text)])),
  };
  const extra = Object.entries(options.extraFiles?.(meta) ?? {});
  for (const [name] of extra) {
    if (name.includes('/') || name.includes('\\') || [WEIGHTS_FILE, META_FILE, VOCAB_FILE, ...Object.values(AFFIX_FILES)].includes(name)) {
      throw new Error(`saveCheckpoint: extra file name '${name}' is not a plain name or is one of the checkpoint's own`);
    }
  }
  await replaceDirAtomic(dir, async (tmp) => {
    for (const [name, data] of extra) await writeContent(join(tmp, name), data);
    await writeContent(join(tmp, WEIGHTS_FILE), weights);
    for (const [name, text] of textFiles) await writeFile(join(tmp, name), text);
    await writeFile(join(tmp, META_FILE), `${JSON.stringify(sealMeta(meta), null, 2)}\n`);
  });
}

/**
 * Loads and verifies a checkpoint: format and version, the weights' sha256 against
 * meta.json, every tensor's shape against the recorded architecture, the sizes of the
 * word and affix vocabularies. A damaged checkpoint is a clear error, never a tagger with wrong weights.
 */
export async function loadCheckpoint(dirGiven: string): Promise<Checkpoint> {
  const dir = resolveCheckpointDir(dirGiven);
  const metaPath = join(dir, META_FILE);
  const meta = parseMeta(await readText(metaPath, dirGiven), metaPath);
  const weightsPath = join(dir, meta.weights_file);
  const weights = await readBytes(weightsPath);
  if (sha256(weights) !== meta.weights_sha256) {
    throw new UserError(`${weightsPath}: the weights do not match the sha256 recorded in meta.json (the file is damaged or was changed)`);
  }
  const vocabPath = join(dir, meta.vocab_file);
  let vocab: Vocabulary;
  try {
    const vocabText = await readText(vocabPath, dirGiven);
    verifyFileHash(vocabText, meta.vocab_file, vocabPath, meta.files_sha256, metaPath);
    vocab = Vocabulary.fromText(vocabText, vocabPath);
  } catch (error) {
    throw error instanceof UserError ? error : new UserError(error instanceof Error ? error.message : String(error));
  }
  if (vocab.size !== meta.vocab_size) {
    throw new UserError(`${vocabPath}: ${vocab.size} words, but meta.json records ${meta.vocab_size}`);
  }
  // The tensor shapes below are checked against meta.model; these tie the vocabulary and the
  // label list to it too, so ids can never index past the word table or the score rows.
  if (vocab.size !== meta.model.vocabSize) {
    throw new UserError(`${metaPath}: ${vocab.size} words in ${meta.vocab_file}, but the model records ${meta.model.vocabSize} (the checkpoint is damaged)`);
  }
  if (meta.labels.length !== meta.model.labels) {
    throw new UserError(`${metaPath}: ${meta.labels.length} labels, but the model records ${meta.model.labels} (the checkpoint is damaged)`);
  }
  const suffix = await readAffixes(dir, dirGiven, meta, 'suffix');
  const prefix = await readAffixes(dir, dirGiven, meta, 'prefix');
  const { tensors } = decodeSafetensors(weights, weightsPath);
  checkWeightsSize(meta.model, weights.length, metaPath);
  const model = createScorer(meta.model, 'float32');
  for (const [name, expected] of modelTensors(model)) {
    const found = tensors.get(name);
    if (!found) throw new UserError(`${weightsPath}: tensor '${name}' is missing`);
    if (found.dtype !== 'F32' || found.shape.join('x') !== expected.shape.join('x')) {
      throw new UserError(`${weightsPath}: tensor '${name}' is ${found.dtype}[${found.shape.join(', ')}], expected F32[${expected.shape.join(', ')}]`);
    }
    expected.data.set(found.data);
  }
  model.setPreprocessor(readPreprocessor(meta, tensors, model.D, weightsPath));
  const transitions = meta.decode === 'learned' ? readTransitions(tensors, model.K, weightsPath) : null;
  return { meta, model, transitions, vocab, labels: new LabelSet(meta.labels), suffix, prefix };
}

/** vocab.txt and the affix files by name: written from these very strings, so their recorded sha256 is that of the bytes on disk. */
function checkpointTextFiles(state: CheckpointState): Map<string, string> {
  const files = new Map([[VOCAB_FILE, state.vocab.toText()]]);
  for (const side of AFFIX_SIDES) {
    const affixes = state[side];
    if (affixes) files.set(AFFIX_FILES[side], affixes.toText());
  }
  return files;
}

/**
 * A floor on the float32 values the recorded architecture needs (tables, W and U), checked
 * against the weights file before any table is allocated: a damaged meta.json in a
 * checkpoint without checksums could otherwise ask for gigabytes. The tensor shapes are
 * checked exactly afterwards.
 */
function checkWeightsSize(spec: ModelSpec, weightsBytes: number, metaPath: string): void {
  const suffixDim = spec.suffixRows > 0 ? spec.suffixDim : 0;
  const prefixDim = spec.prefixRows > 0 ? spec.prefixDim : 0;
  const tables = spec.vocabSize * spec.wordDim + CAPS_CLASSES.length * spec.capsDim + spec.suffixRows * suffixDim + spec.prefixRows * prefixDim;
  const D = (2 * spec.halfWidth + 1) * (spec.wordDim + spec.capsDim + suffixDim + prefixDim);
  const floats = tables + spec.hidden * D + spec.labels * spec.hidden;
  if (!(4 * floats <= weightsBytes)) {
    throw new UserError(`${metaPath}: the model it records needs at least ${4 * floats} bytes of weights, but the weights file holds ${weightsBytes} (the checkpoint is damaged)`);
  }
}

function affixMeta(affixes: AffixVocabulary | null): AffixMeta | null {
  return affixes ? { length: affixes.length, file: AFFIX_FILES[affixes.side], size: affixes.size } : null;
}

const affixRows = (spec: ModelSpec, side: AffixSide): number => (side === 'suffix' ? spec.suffixRows : spec.prefixRows);

/**
 * The vocabulary of one affix feature, checked like vocab.txt: its line count against
 * meta.json and against the rows of the model's table, so an affix id can never index
 * past the table.
 */
async function readAffixes(dir: string, dirGiven: string, meta: CheckpointMeta, side: AffixSide): Promise<AffixVocabulary | null> {
  const recorded = meta.affixes[side];
  const rows = affixRows(meta.model, side);
  const metaPath = join(dir, META_FILE);
  if (recorded === null) {
    if (rows > 0) throw new UserError(`${metaPath}: the model has a ${side} table but 'affixes.${side}' is null (the checkpoint is damaged)`);
    return null;
  }
  const path = join(dir, recorded.file);
  let affixes: AffixVocabulary;
  try {
    const text = await readText(path, dirGiven);
    verifyFileHash(text, recorded.file, path, meta.files_sha256, metaPath);
    affixes = AffixVocabulary.fromText(text, side, recorded.length, path);
  } catch (error) {
    throw error instanceof UserError ? error : new UserError(error instanceof Error ? error.message : String(error));
  }
  if (affixes.size !== recorded.size) throw new UserError(`${path}: ${affixes.size} ${side}es, but meta.json records ${recorded.size}`);
  if (affixes.size !== rows) {
    throw new UserError(`${metaPath}: ${affixes.size} ${side}es in ${recorded.file}, but the model records ${rows} (the checkpoint is damaged)`);
  }
  return affixes;
}

/** The single "label" of an entity detector's checkpoint: its one score. */
export const DETECTOR_LABEL = 'ENTITY';

function preprocessTensors(p: Preprocessor): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  if (p.mode === 'none') return out;
  out.set('preprocess.mean', { dtype: 'F64', shape: [p.D], data: p.mean });
  if (p.transform) out.set('preprocess.transform', { dtype: 'F64', shape: p.mode === 'whiten' ? [p.D, p.D] : [p.D], data: p.transform });
  return out;
}

function readTransitions(tensors: Map<string, Tensor>, K: number, weightsPath: string): TransitionParams {
  const transitions = new TransitionParams(K, 'float32');
  for (const [name, target, shape] of [
    ['transitions.start', transitions.start, [K]],
    ['transitions.matrix', transitions.trans, [K, K]],
  ] as const) {
    const found = tensors.get(name);
    if (!found) throw new UserError(`${weightsPath}: tensor '${name}' is missing (meta.json records decode learned)`);
    if (found.dtype !== 'F32' || found.shape.join('x') !== shape.join('x')) {
      throw new UserError(`${weightsPath}: tensor '${name}' is ${found.dtype}[${found.shape.join(', ')}], expected F32[${shape.join(', ')}]`);
    }
    target.set(found.data);
  }
  return transitions;
}

function readPreprocessor(meta: CheckpointMeta, tensors: Map<string, Tensor>, D: number, weightsPath: string): Preprocessor {
  const { mode, eps } = meta.preprocess;
  if (mode === 'none') return noPreprocessing(D);
  const tensor = (name: string, shape: number[]): Float64Array => {
    const found = tensors.get(name);
    if (!found) throw new UserError(`${weightsPath}: tensor '${name}' is missing (meta.json records preprocess.mode ${mode})`);
    if (found.dtype !== 'F64' || found.shape.join('x') !== shape.join('x')) {
      throw new UserError(`${weightsPath}: tensor '${name}' is ${found.dtype}[${found.shape.join(', ')}], expected F64[${shape.join(', ')}]`);
    }
    return found.data as Float64Array;
  };
  const mean = tensor('preprocess.mean', [D]);
  const transform = mode === 'center' ? null : tensor('preprocess.transform', mode === 'whiten' ? [D, D] : [D]);
  return { mode, D, mean, transform, eps };
}

/** The model's parameters as named tensors; their data are views into the model. */
function modelTensors(model: WindowScorer): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const entry of model.params.entries()) {
    out.set(entry.name, { dtype: 'F32', shape: entry.shape, data: asFloat32(entry.view) });
  }
  for (const table of model.tables) {
    out.set(`embeddings.${table.name}`, { dtype: 'F32', shape: [table.rows, table.dim], data: asFloat32(table.data) });
  }
  return out;
}

function asFloat32(view: Float32Array | Float64Array): Float32Array {
  if (!(view instanceof Float32Array)) throw new Error('checkpoints hold float32 models only');
  return view;
}

function parseMeta(text: string, path: string): CheckpointMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not valid JSON (the checkpoint is damaged)`);
  }
  if (typeof value !== 'object' || value === null || (value as { format?: unknown }).format !== CHECKPOINT_FORMAT) {
    throw new UserError(`${path}: not a ner-train checkpoint`);
  }
  const meta = value as CheckpointMeta;
  if (!READABLE_VERSIONS.includes(meta.format_version)) {
    const versions = `${READABLE_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_VERSIONS[READABLE_VERSIONS.length - 1]}`;
    // JSON for the version shown, so that a string "3" does not read as the number 3.
    throw new UserError(`${path}: checkpoint format version ${JSON.stringify(meta.format_version) ?? 'missing'}, this ner-train reads versions ${versions}`, {
      hint: 'use the ner-train version that wrote it',
    });
  }
  // After the version check: a newer format may seal its meta differently.
  verifyMetaChecksum(value as Record<string, unknown>, path);
  const normalised = withOlderVersionDefaults(meta, path);
  checkMetaStructure(normalised, path, DETECTOR_LABEL);
  return normalised;
}

/** The meta of any readable version in the current shape: the fields older versions lack get the values they implied. */
function withOlderVersionDefaults(meta: CheckpointMeta, path: string): CheckpointMeta {
  for (const key of ['weights_file', 'weights_sha256', 'vocab_file', 'tag_scheme'] as const) {
    if (typeof meta[key] !== 'string') throw new UserError(`${path}: '${key}' is missing`);
  }
  if (!Array.isArray(meta.labels) || typeof meta.model !== 'object' || meta.model === null) {
    throw new UserError(`${path}: 'labels' or 'model' is missing`);
  }
  // Checkpoints before version 3 had no affix features.
  const model: ModelSpec = { ...NO_AFFIX_TABLES, ...meta.model };
  const affixes = meta.format_version < 3 ? { suffix: null, prefix: null } : checkAffixes(meta.affixes, path);
  if (meta.format_version === 1) return { ...meta, model, affixes, task: 'tagger', preprocess: { mode: 'none', eps: 0 }, detector: null, decode: 'greedy' };
  const modes: readonly unknown[] = ['none', 'center', 'standardize', 'whiten'];
  if (typeof meta.preprocess !== 'object' || meta.preprocess === null || !modes.includes(meta.preprocess.mode)) {
    throw new UserError(`${path}: 'preprocess' is missing or names an unknown mode`);
  }
  if (meta.task !== 'tagger' && meta.task !== 'entity-detector') throw new UserError(`${path}: 'task' is missing or unknown`);
  if (meta.task === 'entity-detector' && typeof meta.detector?.threshold !== 'number') {
    throw new UserError(`${path}: an entity detector without 'detector.threshold'`);
  }
  // Checkpoints written before decoding was configurable decoded greedily.
  const decode: unknown = meta.decode ?? 'greedy';
  const decodeModes: readonly unknown[] = ['greedy', 'constrained', 'learned'];
  if (!decodeModes.includes(decode)) throw new UserError(`${path}: 'decode' names an unknown mode`);
  return { ...meta, model, affixes, decode: decode as DecodeMode };
}

const NO_AFFIX_TABLES = { suffixRows: 0, suffixDim: 0, prefixRows: 0, prefixDim: 0 } as const;

function checkAffixes(value: unknown, path: string): CheckpointMeta['affixes'] {
  if (typeof value !== 'object' || value === null) throw new UserError(`${path}: 'affixes' is missing`);
  const record = value as Record<string, unknown>;
  const out: CheckpointMeta['affixes'] = { suffix: null, prefix: null };
  for (const side of AFFIX_SIDES) {
    const entry = record[side] ?? null;
    if (entry === null) continue;
    const { length, file, size } = entry as Partial<AffixMeta>;
    if (!Number.isInteger(length) || (length ?? 0) < 1 || typeof file !== 'string' || !Number.isInteger(size)) {
      throw new UserError(`${path}: 'affixes.${side}' needs an integer length ≥ 1, a file name and an integer size`);
    }
    out[side] = entry as AffixMeta;
  }
  return out;
}

async function readText(path: string, checkpointDir: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const err = fileError(path, error);
    if (err instanceof UserError && err.message.endsWith('no such file')) {
      throw new UserError(`${path}: no such file`, { hint: `is ${checkpointDir} a checkpoint folder (model-best or model-last of a run)?` });
    }
    throw err;
  }
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, error);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The sha256 of the concatenation of `parts`. */
export function sha256OfParts(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

async function writeContent(path: string, content: FileContent): Promise<void> {
  if (typeof content === 'string' || content instanceof Uint8Array) {
    await writeFile(path, content);
    return;
  }
  const file = await open(path, 'w');
  try {
    for (const part of content as readonly Uint8Array[]) {
      for (let written = 0; written < part.byteLength; ) written += (await file.write(part, written)).bytesWritten;
    }
  } finally {
    await file.close();
  }
}
