/**
 * Continuing a run from its model-last: the run's own config (saved in meta.json), and the
 * training state put back into a freshly set-up trainer so that the continued run takes
 * exactly the steps the uninterrupted one would have.
 *
 * The config cannot be replaced on a resume: a different model, data, optimiser or seed
 * would not continue the run but start another one on top of it. Only keys that do not
 * change the computation may be overridden with --set: training.epochs (to train longer)
 * and training.threads (results are bitwise the same for any thread count).
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCheckpoint } from '../checkpoint/checkpoint.js';
import { applySetsTracked, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import { fileError, UserError } from '../errors.js';
import { resolveCheckpointDir } from '../io/atomic.js';
import type { Rng } from '../math/random.js';
import { LAST_DIR } from './output-dir.js';
import type { TrainingSetup } from './setup.js';
import { hasTrainingState, readTrainingState, restoreLiveWeights, TRAINING_STATE_FILE, type TrainingState } from './training-state.js';

/** The --set keys a resume accepts. */
export const RESUME_SETTABLE = ['training.epochs', 'training.threads'] as const;

/** The run's checkpoint to resume from: model-last, or the aside copy a writer killed mid-replace left (see replaceDirAtomic). */
export function resumeCheckpointDir(runDir: string): string {
  return resolveCheckpointDir(join(runDir, LAST_DIR));
}

/**
 * The config to continue run `runDir` with: the one saved in model-last/meta.json, with
 * output.dir set to `runDir` (the folder may have been moved) and `sets` applied (only
 * RESUME_SETTABLE keys). Checks early, before any data is read, that there is something to
 * resume: the folder, model-last, its training state, and epochs left to train.
 */
export async function resumeConfig(runDirGiven: string, sets: readonly string[] = []): Promise<Config> {
  const runDir = resolve(runDirGiven);
  if (!isDirectory(runDir)) {
    throw new UserError(`${runDirGiven}: no such folder`, { hint: 'give the run folder of a training (the --out or output.dir it wrote to)' });
  }
  const lastDir = resumeCheckpointDir(runDir);
  if (!existsSync(join(lastDir, 'meta.json'))) {
    throw new UserError(`${join(runDirGiven, LAST_DIR)}: no checkpoint to resume from`, {
      hint: 'a run writes model-last at the end of each epoch and when stopped with Ctrl-C; this folder has none (is it a run folder?)',
    });
  }
  if (!(await hasTrainingState(lastDir))) {
    throw new UserError(`${join(runDirGiven, LAST_DIR)}: has no training state, so the run cannot be resumed`, {
      hint: 'it was written by a ner-train before --resume existed; it can still be evaluated and used to predict',
    });
  }
  const metaPath = join(lastDir, 'meta.json');
  const stored = await readStoredConfig(metaPath);
  const { raw, setKeys } = applySetsTracked(stored, sets);
  const refused = [...setKeys].filter((key) => !(RESUME_SETTABLE as readonly string[]).includes(key));
  if (refused.length > 0) {
    throw new UserError(`--set ${refused.join(', ')}: cannot be changed when resuming a run (it would no longer continue the same training)`, {
      hint: `a resume accepts --set ${RESUME_SETTABLE.join(' and ')} only; to train differently, start a new run with --config`,
    });
  }
  const config = validateConfig(raw, { file: metaPath, setKeys });
  config.output.dir = runDir;
  // Said before the data is read; restoreTraining checks it again on the verified state.
  const next = await peekPosition(lastDir);
  if (next !== null) checkEpochsLeft(runDirGiven, next.epoch, config.training.epochs);
  return config;
}

/** The saved position, read without verifying anything (null if unreadable: restoreTraining reports that). */
async function peekPosition(dir: string): Promise<{ epoch: number } | null> {
  try {
    const { position } = JSON.parse(await readFile(join(dir, TRAINING_STATE_FILE), 'utf8')) as { position?: { epoch?: unknown } };
    return typeof position?.epoch === 'number' ? { epoch: position.epoch } : null;
  } catch {
    return null;
  }
}

function checkEpochsLeft(runDir: string, nextEpoch: number, epochs: number): void {
  if (nextEpoch > epochs) {
    throw new UserError(`${runDir}: the run already finished its ${epochs} epoch${epochs === 1 ? '' : 's'}`, {
      hint: `to train longer, resume with --set training.epochs=N (N > ${epochs})`,
    });
  }
}

async function readStoredConfig(metaPath: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (error) {
    throw fileError(metaPath, error);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new UserError(`${metaPath}: not valid JSON (the checkpoint is damaged)`);
  }
  const config = typeof meta === 'object' && meta !== null ? (meta as { config?: unknown }).config : undefined;
  if (typeof config !== 'object' || config === null) throw new UserError(`${metaPath}: 'config' is missing (the checkpoint is damaged)`);
  return config;
}

/** Where a resumed run continues, and what it carries over. */
export type ResumedRun = Pick<TrainingState, 'position' | 'progress' | 'best' | 'records' | 'elapsed_s'> & {
  /** The checkpoint folder the run continued from. */
  from: string;
};

/**
 * Reads model-last of `runDir` (verifying the weights and the training state), checks that
 * it belongs to this config and data, and puts everything back into `setup` and `rng`: the
 * weights, the optimiser's and the average's state, the random generator and the order.
 * `setup` must come from setupTraining with the same config and data (so every other part
 * of it, e.g. the fitted preprocessing and the samplers, is what the run had).
 */
export async function restoreTraining(runDir: string, config: Config, data: PreparedData, setup: TrainingSetup, rng: Rng, order: Int32Array): Promise<ResumedRun> {
  const dir = resumeCheckpointDir(runDir);
  const checkpoint = await loadCheckpoint(dir);
  const state = await readTrainingState(dir, checkpoint.meta.weights_sha256);
  const source = join(dir, TRAINING_STATE_FILE);
  const changed = (what: string): UserError =>
    new UserError(`${runDir}: ${what} since the run started, so it cannot be continued`, {
      hint: 'resume with the data files the run was started with, or start a new run',
    });
  if (checkpoint.vocab.toText() !== data.vocab.toText()) throw changed('the vocabulary (training data or embeddings) changed');
  const labels = config.task === 'entity-detector' ? checkpoint.meta.labels : [...data.labels.labels];
  if (JSON.stringify(labels) !== JSON.stringify(checkpoint.meta.labels)) throw changed('the labels of the training data changed');
  const saved = checkpoint.meta.model as unknown as Record<string, unknown>;
  const differs = Object.entries(setup.spec).filter(([key, value]) => saved[key] !== value).map(([key]) => key);
  if (differs.length > 0) throw changed(`the model shape (${differs.join(', ')}) changed`);
  if (state.order.length !== order.length || !samePermutation(state.order, order)) {
    throw changed(`the training data changed (${order.length} training items, the saved order has ${state.order.length})`);
  }
  checkEpochsLeft(runDir, state.position.epoch, config.training.epochs);

  const { model, transitions, average, optimizer } = setup;
  if (state.live) {
    restoreLiveWeights(state.live, model, transitions, join(dir, 'training-state.safetensors'));
  } else {
    model.params.data.set(checkpoint.model.params.data);
    checkpoint.model.tables.forEach((table, i) => model.tables[i].data.set(table.data));
    if (transitions && checkpoint.transitions) {
      transitions.start.set(checkpoint.transitions.start);
      transitions.trans.set(checkpoint.transitions.trans);
    }
  }
  if ((state.average === null) !== (average === null)) throw new UserError(`${source}: optimizer.average does not match the run's state (the training state is damaged)`);
  try {
    optimizer.importState(state.optimizer);
    if (average && state.average) average.importState(state.average);
  } catch (error) {
    throw new UserError(`${source}: ${error instanceof Error ? error.message : String(error)} (the training state is damaged or from another model)`);
  }
  rng.setState(state.rng);
  order.set(state.order);
  return { position: state.position, progress: state.progress, best: state.best, records: state.records, elapsed_s: state.elapsed_s, from: dir };
}

/** Whether `saved` holds the same items as `order` (each epoch only reorders them). */
function samePermutation(saved: Int32Array, order: Int32Array): boolean {
  const a = Int32Array.from(saved).sort();
  const b = Int32Array.from(order).sort();
  return a.every((v, i) => v === b[i]);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
