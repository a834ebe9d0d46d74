/**
 * What model-last holds besides the model so that a stopped run continues exactly as if it
 * had never stopped: the optimiser's and the weight average's state, the random generator,
 * the shuffled order of the epoch, where in the epoch the run stopped and the epoch's
 * running totals, the best epoch so far and the epoch records.
 *
 * Two files inside the checkpoint folder, written in the same atomic replacement as the
 * weights (saveCheckpoint's extraFiles): training-state.json (the small things, and the
 * sha256 of the tensors file and of the checkpoint's weights, which bind the three files
 * together) and training-state.safetensors (the arrays).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileError, isErrnoException, UserError } from '../errors.js';
import type { FloatArray } from '../math/matrix.js';
import type { TransitionParams } from '../model/transitions.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { decodeSafetensors, encodeSafetensorsParts, type Tensor } from '../checkpoint/safetensors.js';
import { sha256OfParts, type FileContent } from '../checkpoint/checkpoint.js';
import { VERSION } from '../version.js';
import type { DevScores, EpochRecord } from './events.js';

export const TRAINING_STATE_FILE = 'training-state.json';
export const TRAINING_STATE_TENSORS_FILE = 'training-state.safetensors';
const FORMAT = 'ner-train-training-state';
const FORMAT_VERSION = 1;

/**
 * Where the run continues: `step` steps of epoch `epoch` are done. step 0 means the epoch has
 * not started, so its shuffle is still to be drawn; after step s > 0 the saved order is the
 * epoch's own, already shuffled.
 */
export interface ResumePosition {
  epoch: number;
  step: number;
  global_step: number;
}

/** The running totals of the epoch in progress (all 0 at an epoch boundary). */
export interface EpochProgress {
  loss_sum: number;
  penalty_sum: number;
  seen: number;
  steps: number;
  seconds: number;
  last_lr: number;
}

export interface BestSoFar {
  epoch: number;
  /** What epochs are compared by: dev F1, or the epoch number without dev data. */
  f1: number;
  scores: DevScores | null;
}

/** A state as named arrays: the optimiser's (step count and state arrays) or the weight average's. */
export interface ArrayState {
  steps: number;
  tensors: Record<string, FloatArray>;
}

export interface TrainingState {
  position: ResumePosition;
  progress: EpochProgress;
  /** Rng.getState() after the last step. */
  rng: number[];
  /** The order the epoch visits the training items in (shuffled in place every epoch). */
  order: Int32Array;
  optimizer: ArrayState;
  average: ArrayState | null;
  /**
   * The weights being trained, when they differ from the checkpoint's: with
   * optimizer.average the checkpoint holds the averaged weights. Null otherwise (the
   * checkpoint's weights are the live ones).
   */
  live: Map<string, Tensor> | null;
  best: BestSoFar | null;
  records: EpochRecord[];
  /** Seconds of training so far, so elapsed_s keeps counting across a resume. */
  elapsed_s: number;
}

interface StateJson {
  format: typeof FORMAT;
  format_version: number;
  ner_train_version: string;
  tensors_file: string;
  tensors_sha256: string;
  /** The checkpoint's model.safetensors this state belongs to. */
  weights_sha256: string;
  position: ResumePosition;
  progress: EpochProgress;
  rng: number[];
  optimizer: { steps: number; tensors: string[] };
  average: { steps: number; tensors: string[] } | null;
  live: string[] | null;
  best: BestSoFar | null;
  records: EpochRecord[];
  elapsed_s: number;
}

const ORDER = 'order';
const OPTIMIZER_PREFIX = 'optimizer/';
const AVERAGE_PREFIX = 'average/';
const LIVE_PREFIX = 'live/';

/** The two files of a training state, for saveCheckpoint's extraFiles; `weightsSha256` is the sha256 of the checkpoint's weights. */
export function encodeTrainingState(state: TrainingState, weightsSha256: string): Record<string, FileContent> {
  const tensors = new Map<string, Tensor>();
  tensors.set(ORDER, { dtype: 'I32', shape: [state.order.length], data: state.order });
  const addAll = (prefix: string, arrays: Record<string, FloatArray>): string[] => {
    for (const [name, data] of Object.entries(arrays)) tensors.set(prefix + name, floatTensor(data));
    return Object.keys(arrays);
  };
  const optimizerNames = addAll(OPTIMIZER_PREFIX, state.optimizer.tensors);
  const averageNames = state.average ? addAll(AVERAGE_PREFIX, state.average.tensors) : null;
  if (state.live) for (const [name, tensor] of state.live) tensors.set(LIVE_PREFIX + name, tensor);
  // Parts that are views of the state's arrays, hashed and written without joining them.
  const bytes = encodeSafetensorsParts(tensors, { format: FORMAT });
  const json: StateJson = {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    ner_train_version: VERSION,
    tensors_file: TRAINING_STATE_TENSORS_FILE,
    tensors_sha256: sha256OfParts(bytes),
    weights_sha256: weightsSha256,
    position: state.position,
    progress: state.progress,
    rng: state.rng,
    optimizer: { steps: state.optimizer.steps, tensors: optimizerNames },
    average: state.average && averageNames ? { steps: state.average.steps, tensors: averageNames } : null,
    live: state.live ? [...state.live.keys()] : null,
    best: state.best,
    records: state.records,
    elapsed_s: state.elapsed_s,
  };
  return { [TRAINING_STATE_TENSORS_FILE]: bytes, [TRAINING_STATE_FILE]: `${JSON.stringify(json)}\n` };
}

/** True when checkpoint folder `dir` has a training state (model-best never has; model-last of ner-train before resume had none). */
export async function hasTrainingState(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, TRAINING_STATE_FILE));
    return true;
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return false;
    throw fileError(join(dir, TRAINING_STATE_FILE), error);
  }
}

/**
 * Reads and verifies the training state in checkpoint folder `dir`: the format, the tensors'
 * sha256, that it belongs to the weights whose sha256 meta.json records, and the shape of
 * every field. Sizes against the model are checked by whoever restores it.
 */
export async function readTrainingState(dir: string, weightsSha256: string): Promise<TrainingState> {
  const jsonPath = join(dir, TRAINING_STATE_FILE);
  const damaged = (what: string, path = jsonPath): UserError =>
    new UserError(`${path}: ${what} (the training state is damaged)`, { hint: 'resume from an earlier copy of the run, or start it again' });
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') {
      throw new UserError(`${jsonPath}: no such file: this checkpoint has no training state and cannot be resumed`, {
        hint: 'it was written by a ner-train without --resume, or is a model-best; it can still be evaluated and used to predict',
      });
    }
    throw fileError(jsonPath, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damaged('not valid JSON');
  }
  if (!isRecord(parsed) || parsed.format !== FORMAT) throw damaged('not a ner-train training state');
  if (parsed.format_version !== FORMAT_VERSION) {
    throw new UserError(`${jsonPath}: training state format version ${String(parsed.format_version)}, this ner-train reads version ${FORMAT_VERSION}`, {
      hint: 'resume it with the ner-train version that wrote it',
    });
  }
  const json = parsed as unknown as StateJson;
  if (json.weights_sha256 !== weightsSha256) {
    throw damaged('belongs to other weights than the model.safetensors beside it');
  }
  if (typeof json.tensors_file !== 'string' || json.tensors_file.includes('/') || json.tensors_file.includes('\\')) throw damaged("'tensors_file' is missing");
  checkFields(json, damaged);

  const tensorsPath = join(dir, json.tensors_file);
  let bytes: Buffer;
  try {
    bytes = await readFile(tensorsPath);
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') throw damaged('is missing', tensorsPath);
    throw fileError(tensorsPath, error);
  }
  if (sha256(bytes) !== json.tensors_sha256) throw damaged('does not match the sha256 recorded in training-state.json', tensorsPath);
  const { tensors } = decodeSafetensors(bytes, tensorsPath);
  const take = (name: string): Tensor => {
    const tensor = tensors.get(name);
    if (!tensor) throw damaged(`tensor '${name}' is missing`, tensorsPath);
    return tensor;
  };
  const order = take(ORDER);
  if (!(order.data instanceof Int32Array) || order.shape.length !== 1) throw damaged("tensor 'order' is not a vector of I32", tensorsPath);
  const floats = (prefix: string, names: string[]): Record<string, FloatArray> => {
    const out: Record<string, FloatArray> = {};
    for (const name of names) {
      const { data } = take(prefix + name);
      if (data instanceof Int32Array) throw damaged(`tensor '${prefix + name}' is not a float tensor`, tensorsPath);
      out[name] = data;
    }
    return out;
  };
  let live: Map<string, Tensor> | null = null;
  if (json.live) {
    live = new Map();
    for (const name of json.live) live.set(name, take(LIVE_PREFIX + name));
  }
  return {
    position: json.position,
    progress: json.progress,
    rng: json.rng,
    order: order.data,
    optimizer: { steps: json.optimizer.steps, tensors: floats(OPTIMIZER_PREFIX, json.optimizer.tensors) },
    average: json.average ? { steps: json.average.steps, tensors: floats(AVERAGE_PREFIX, json.average.tensors) } : null,
    live,
    best: json.best,
    records: json.records,
    elapsed_s: json.elapsed_s,
  };
}

/** Every field a resume reads has the type it needs, so a hand-edited or truncated state is an error, not a crash later. */
function checkFields(json: StateJson, damaged: (what: string) => UserError): void {
  const count = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0;
  const finite = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
  const p = json.position as unknown;
  if (!isRecord(p) || !Number.isInteger(p.epoch) || (p.epoch as number) < 1 || !count(p.step) || !count(p.global_step)) {
    throw damaged("'position' needs an epoch ≥ 1 and step counts ≥ 0");
  }
  const g = json.progress as unknown;
  if (!isRecord(g) || !['loss_sum', 'penalty_sum', 'seen', 'steps', 'seconds', 'last_lr'].every((key) => finite(g[key]))) {
    throw damaged("'progress' needs finite loss_sum, penalty_sum, seen, steps, seconds and last_lr");
  }
  if (!Array.isArray(json.rng) || json.rng.length !== 4 || !json.rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw damaged("'rng' needs 4 unsigned 32-bit words");
  }
  if (json.rng.every((w) => w === 0)) throw damaged("'rng' is all zeros");
  const names = (value: unknown): boolean => Array.isArray(value) && value.every((n) => typeof n === 'string');
  const arrays = (value: unknown): boolean => isRecord(value) && count(value.steps) && names(value.tensors);
  if (!arrays(json.optimizer)) throw damaged("'optimizer' needs a step count and tensor names");
  if (json.average !== null && !arrays(json.average)) throw damaged("'average' needs a step count and tensor names");
  if (json.live !== null && !names(json.live)) throw damaged("'live' needs tensor names");
  const best = json.best as unknown;
  if (best !== null && (!isRecord(best) || !Number.isInteger(best.epoch) || !finite(best.f1) || (best.scores !== null && !isRecord(best.scores)))) {
    throw damaged("'best' needs an epoch, an f1 and scores");
  }
  if (!Array.isArray(json.records) || !json.records.every((r) => isRecord(r) && Number.isInteger(r.epoch))) throw damaged("'records' needs one object per epoch");
  if (json.records.length !== json.position.epoch - 1) {
    throw damaged(`${json.records.length} epoch records, but the run is in epoch ${json.position.epoch}`);
  }
  if (!finite(json.elapsed_s)) throw damaged("'elapsed_s' is missing");
}

/** The weights being trained, copied (saved beside an averaged checkpoint). */
export function liveWeights(model: WindowScorer, transitions: TransitionParams | null): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  out.set('params', floatTensor(model.params.data.slice()));
  for (const table of model.tables) if (table.trainable) out.set(`table.${table.name}`, floatTensor(table.data.slice()));
  if (transitions) {
    out.set('transitions.start', floatTensor(transitions.start.slice()));
    out.set('transitions.matrix', floatTensor(transitions.trans.slice()));
  }
  return out;
}

/** Puts weights saved by liveWeights back; a missing tensor or a size that differs is an error naming it. */
export function restoreLiveWeights(live: Map<string, Tensor>, model: WindowScorer, transitions: TransitionParams | null, source: string): void {
  const targets = new Map<string, FloatArray>([['params', model.params.data]]);
  for (const table of model.tables) if (table.trainable) targets.set(`table.${table.name}`, table.data);
  if (transitions) {
    targets.set('transitions.start', transitions.start);
    targets.set('transitions.matrix', transitions.trans);
  }
  for (const [name, target] of targets) {
    const found = live.get(name);
    if (!found || found.data.length !== target.length || found.data instanceof Int32Array) {
      throw new UserError(`${source}: weights '${name}' are missing or have the wrong size (the training state is damaged or from another model)`);
    }
  }
  for (const [name, target] of targets) target.set((live.get(name) as Tensor).data);
}

function floatTensor(data: FloatArray): Tensor {
  return data instanceof Float32Array ? { dtype: 'F32', shape: [data.length], data } : { dtype: 'F64', shape: [data.length], data };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
