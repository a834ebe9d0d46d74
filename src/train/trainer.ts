import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { saveCheckpoint, type CheckpointState, type ExtraCheckpointFiles } from '../checkpoint/checkpoint.js';
import type { Config } from '../config/schema.js';
import { prepareData, type EncodedSplit, type PreparedData } from '../data/dataset.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Rng } from '../math/random.js';
import type { ModelSpec } from '../model/create.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { evaluateDetectorSplit, evaluateSplit } from './evaluate-split.js';
import { isTaggerScores, type DataSummary, type DevScores, type EpochRecord, type TrainEventHandler } from './events.js';
import { acquireRunLock } from './lock.js';
import { BEST_DIR, clearPreviousRun, LAST_DIR, METRICS_FILE, prepareOutputDir } from './output-dir.js';
import { restoreTraining } from './resume.js';
import { setupTraining, type TrainingSetup } from './setup.js';
import { encodeTrainingState, liveWeights, type BestSoFar, type EpochProgress, type ResumePosition, type TrainingState } from './training-state.js';

export { modelSpec } from './setup.js';

export interface TrainOptions {
  /** Replace a previous run in the output folder. */
  force?: boolean;
  /**
   * Continue the run in config.output.dir from its model-last instead of starting one;
   * config must be the run's own (resumeConfig reads it), and the continued run gives the
   * same weights and metrics as one that was never stopped.
   */
  resume?: boolean;
  /** Aborting stops after the current step; model-last is written first. */
  signal?: AbortSignal;
  onEvent?: TrainEventHandler;
  /** Told once a resumed run has restored its state, before the first step. */
  onResume?: (from: ResumePoint) => void;
  /** Things worth telling the user that are not events of the training (e.g. a stale lock taken over). */
  onNote?: (message: string) => void;
}

/** Where a resumed run continues: `step` steps of `epoch` were done (0: the epoch starts afresh). */
export interface ResumePoint {
  epoch: number;
  step: number;
  globalStep: number;
  checkpoint: string;
}

export interface TrainResult {
  outDir: string;
  interrupted: boolean;
  /** Every epoch of the run, those before a resume included. */
  epochs: EpochRecord[];
  bestEpoch: number | null;
  best: DevScores | null;
  data: DataSummary;
  elapsed_s: number;
  /** Where a resumed run continued from (null or absent: it started afresh). */
  resumedFrom?: ResumePoint | null;
}

/** How often (in steps) the loop reports progress and lets signals in. */
const PROGRESS_EVERY = 50;

/**
 * Trains a window scorer as `config` says, writing checkpoints and metrics.jsonl to
 * config.output.dir, which it holds a lock on meanwhile (lock.ts).
 */
export async function train(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const lock = await acquireRunLock(config.output.dir, options.onNote);
  try {
    return await trainLocked(config, options);
  } finally {
    await lock.release();
  }
}

async function trainLocked(config: Config, options: TrainOptions): Promise<TrainResult> {
  const emit: TrainEventHandler = options.onEvent ?? (() => undefined);
  const outDir = config.output.dir;
  const previousRun = options.resume ? [] : await prepareOutputDir(outDir, options.force ?? false);
  let started = performance.now();

  const data = await prepareData(config, (what, path) => emit({ type: 'reading', what, path }));
  // Only now that the data has been read does --force remove the previous run.
  await clearPreviousRun(outDir, previousRun);
  const rng = new Rng(config.seed);
  // Fitting whitening on CoNLL-sized data takes seconds of synchronous work: say so first.
  if (config.preprocess.mode !== 'none') {
    emit({ type: 'fitting', mode: config.preprocess.mode, windows: Math.min(config.preprocess.fit_windows, data.train.windows.count) });
  }
  const setup = setupTraining(config, data, rng);
  const { model, spec } = setup;
  const summary = dataSummary(data, model);
  // The pretrained vectors are in the word table now; the file's own copy (16 MB and a
  // 40k-word index for the CoNLL embeddings) would otherwise stay alive for the whole run.
  data.pretrained = null;
  emit({ type: 'data', data: summary });
  if (setup.trainOrder.length === 0) {
    throw new UserError(`${config.data.train}: no entity words to train the entity detector on`);
  }
  const order = setup.trainOrder.slice();
  // A resumed run is set up from the seed as the run was, then its saved state is put on top.
  const resumed = options.resume ? await restoreTraining(outDir, config, data, setup, rng, order) : null;

  const loop: EpochLoop = { config, setup, rng, order, globalStep: resumed?.position.global_step ?? 0, emit, options };
  const records: EpochRecord[] = resumed ? [...resumed.records] : [];
  let best: BestSoFar | null = resumed?.best ?? null;
  let interrupted = false;
  const position = resumed?.position ?? { epoch: 1, step: 0, global_step: 0 };
  const resumedFrom: ResumePoint | null = resumed
    ? { epoch: position.epoch, step: position.step, globalStep: position.global_step, checkpoint: resumed.from }
    : null;
  const writeMetrics = (): Promise<void> => writeFileAtomic(join(outDir, METRICS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (resumed) {
    started -= resumed.elapsed_s * 1000;
    // The saved records are those of model-last: a run killed between saving it and writing
    // metrics.jsonl left the file one epoch short.
    if (records.length > 0) await writeMetrics();
    if (resumedFrom) options.onResume?.(resumedFrom);
  }
  // What the divergence message can promise is intact: the last model-last written (or resumed from).
  let lastGood: string | null = resumed ? describePosition(position) : null;

  const elapsed = (): number => (performance.now() - started) / 1000;
  // With optimizer.average the averaged weights are the model: scored on dev and saved.
  const withModelWeights = <T>(use: () => T | Promise<T>): Promise<T> => (setup.average ? setup.average.withAveraged(use) : Promise.resolve(use()));
  const lastThreshold = (): number | null => {
    for (let i = records.length - 1; i >= 0; i--) if (records[i].dev_threshold !== undefined) return records[i].dev_threshold ?? null;
    return null;
  };
  const checkpoint = (dir: string, epochsDone: number, dev: DevScores | null, extraFiles?: ExtraCheckpointFiles): Promise<void> =>
    saveCheckpoint(join(outDir, dir), checkpointState(model, spec, data, config, setup, epochsDone, loop.globalStep, dev, lastThreshold()), { extraFiles });

  /**
   * model-last with the training state that continues from `next`. The live weights are
   * copied before the averaged ones are swapped in. The average's own state: at an epoch end
   * as the swap leaves it (it brings every row up to date, and the uninterrupted run did
   * that swap too, to score and save the epoch); mid-epoch as it was before the swap, which
   * the uninterrupted run never made.
   */
  const saveLast = async (epochsDone: number, dev: DevScores | null, next: ResumePosition, progress: EpochProgress): Promise<void> => {
    const midEpoch = next.step > 0;
    const live = setup.average ? liveWeights(model, setup.transitions) : null;
    const averageBefore = midEpoch && setup.average ? setup.average.exportState() : null;
    await withModelWeights(() => {
      const state: TrainingState = {
        position: next,
        progress,
        rng: rng.getState(),
        order: loop.order,
        // Views, not copies (for CoNLL-2003 Adam's state is 37 MB): written before training goes on.
        optimizer: setup.optimizer.viewState(),
        average: setup.average ? (averageBefore ?? setup.average.exportState()) : null,
        live,
        best,
        records,
        elapsed_s: elapsed(),
      };
      return checkpoint(LAST_DIR, epochsDone, dev, (meta) => encodeTrainingState(state, meta.weights_sha256));
    });
    lastGood = describePosition(next);
  };

  const { epochs } = config.training;
  for (let epoch = position.epoch; epoch <= epochs && !interrupted; epoch++) {
    const carried = epoch === position.epoch && position.step > 0 ? { done: position.step, totals: resumed?.progress ?? null } : null;
    const epochStart = performance.now() - (carried?.totals?.seconds ?? 0) * 1000;
    const trained = await trainEpoch(loop, epoch, carried, () => divergenceHint(outDir, lastGood, best !== null));
    if (trained.interrupted) {
      interrupted = true;
      emit({ type: 'interrupted', epoch, step: trained.done });
      await saveLast(epoch - 1, null, { epoch, step: trained.done, global_step: loop.globalStep }, progressOf(trained));
      break;
    }

    emit({ type: 'evaluating', epoch });
    const dev = data.dev ? await withModelWeights(() => evaluateDev(setup, data, config)) : null;
    // Without dev data the last epoch is the best one: there is nothing else to choose by.
    const f1 = dev ? dev.f1 : epoch;
    const isBest = best === null || f1 > best.f1;
    if (isBest) best = { epoch, scores: dev, f1 };
    const record: EpochRecord = {
      epoch,
      step: loop.globalStep,
      loss: trained.lossSum / Math.max(trained.seen, 1),
      penalty: trained.penaltySum / Math.max(trained.steps, 1),
      lr: trained.lastLr,
      dev_precision: dev ? dev.precision : null,
      dev_recall: dev ? dev.recall : null,
      dev_f1: dev ? dev.f1 : null,
      dev_accuracy: dev && isTaggerScores(dev) ? dev.accuracy : null,
      ...(dev && !isTaggerScores(dev) ? { dev_ranking_accuracy: dev.ranking_accuracy, dev_threshold: dev.threshold } : {}),
      best: isBest,
      tokens_per_s: trained.seen / Math.max(trained.seconds, 1e-9),
      epoch_s: (performance.now() - epochStart) / 1000,
      elapsed_s: elapsed(),
    };
    records.push(record);
    // model-best first: a run killed between the two writes resumes from the previous
    // model-last, redoes this epoch and writes the same model-best again.
    if (isBest) await withModelWeights(() => checkpoint(BEST_DIR, epoch, dev));
    await saveLast(epoch, dev, { epoch: epoch + 1, step: 0, global_step: loop.globalStep }, progressOf(null));
    await writeMetrics();
    emit({ type: 'epoch-end', record, dev });
    if (options.signal?.aborted && epoch < epochs) {
      interrupted = true;
      emit({ type: 'interrupted', epoch, step: trained.done });
    }
  }

  return {
    outDir,
    interrupted,
    epochs: records,
    bestEpoch: best?.epoch ?? null,
    best: best?.scores ?? null,
    data: summary,
    elapsed_s: elapsed(),
    resumedFrom,
  };
}

function describePosition(next: ResumePosition): string {
  return next.step === 0 ? `end of epoch ${next.epoch - 1}` : `epoch ${next.epoch}, step ${next.step}`;
}

function progressOf(totals: EpochTotals | null): EpochProgress {
  if (!totals) return { loss_sum: 0, penalty_sum: 0, seen: 0, steps: 0, seconds: 0, last_lr: 0 };
  return { loss_sum: totals.lossSum, penalty_sum: totals.penaltySum, seen: totals.seen, steps: totals.steps, seconds: totals.seconds, last_lr: totals.lastLr };
}

/** Dev scores: entity P/R/F1 for the tagger; for the detector, ranking accuracy and P/R/F1 at the threshold best on dev. */
function evaluateDev(setup: TrainingSetup, data: PreparedData, config: Config): DevScores {
  const dev = data.dev as EncodedSplit;
  const batch = config.training.eval_batch_size;
  if (config.task === 'entity-detector') return evaluateDetectorSplit(setup.model, dev, null, batch);
  return evaluateSplit(setup.model, dev, data.labels, data.scheme, batch, setup.decoder).scores;
}

/** What the epoch loop carries from one epoch to the next. */
interface EpochLoop {
  config: Config;
  setup: TrainingSetup;
  rng: Rng;
  /** The order the epoch visits the training items in; shuffled in place at the start of each epoch. */
  order: Int32Array;
  globalStep: number;
  emit: TrainEventHandler;
  options: TrainOptions;
}

interface EpochTotals {
  /** Σ over steps of J·B: the objective summed over the true windows. */
  lossSum: number;
  penaltySum: number;
  seen: number;
  steps: number;
  seconds: number;
  lastLr: number;
  /** Steps of the epoch done (those before a resume included). */
  done: number;
  interrupted: boolean;
}

/**
 * One pass over the shuffled training windows, or the rest of one: a resumed epoch starts
 * after its `carried.done` steps with their totals, and does not shuffle again (the saved
 * order is the epoch's). Every PROGRESS_EVERY steps it reports progress and yields to the
 * event loop, which is where a Ctrl-C gets in; an abort stops the pass after the step in hand.
 */
async function trainEpoch(
  loop: EpochLoop,
  epoch: number,
  carried: { done: number; totals: EpochProgress | null } | null,
  keptCheckpoints: () => string,
): Promise<EpochTotals> {
  const { config, setup, rng, order, emit, options } = loop;
  const { step } = setup;
  if (config.training.shuffle && !carried) rng.shuffle(order);
  const bounds = step.batchBounds(order);
  const steps = bounds.length - 1;
  const first = carried?.done ?? 0;
  emit({ type: 'epoch-start', epoch, epochs: config.training.epochs, steps });
  const before = carried?.totals;
  const start = performance.now() - (before?.seconds ?? 0) * 1000;
  const totals: EpochTotals = {
    lossSum: before?.loss_sum ?? 0,
    penaltySum: before?.penalty_sum ?? 0,
    seen: before?.seen ?? 0,
    steps: before?.steps ?? 0,
    seconds: 0,
    lastLr: before ? before.last_lr : setup.learningRate(loop.globalStep, epoch - 1),
    done: first,
    interrupted: false,
  };
  for (let s = first; s < steps; s++) {
    const lr = setup.learningRate(loop.globalStep, epoch - 1);
    const J = step.run(order, bounds[s], bounds[s + 1], lr, rng);
    const B = step.lastTokens;
    if (!Number.isFinite(J)) throw divergence(J, epoch, s + 1, loop.globalStep + 1, lr, keptCheckpoints());
    totals.lossSum += J * B;
    totals.penaltySum += step.lastPenalty;
    totals.seen += B;
    totals.steps++;
    totals.lastLr = lr;
    totals.done = s + 1;
    loop.globalStep++;
    if ((s + 1) % PROGRESS_EVERY === 0 || s + 1 === steps) {
      const seconds = (performance.now() - start) / 1000;
      emit({ type: 'progress', epoch, step: s + 1, steps, loss: totals.lossSum / totals.seen, tokensPerS: totals.seen / Math.max(seconds, 1e-9), lr });
      await yieldToEventLoop();
      if (options.signal?.aborted && s + 1 < steps) {
        return { ...totals, seconds, interrupted: true };
      }
    }
  }
  return { ...totals, seconds: (performance.now() - start) / 1000 };
}

/** Which checkpoints a divergence leaves intact: nothing is written after it. */
function divergenceHint(outDir: string, lastGood: string | null, hasBest: boolean): string {
  if (lastGood === null) return 'no checkpoint was written yet';
  const last = `${join(outDir, LAST_DIR)} (${lastGood})`;
  return hasBest ? `${last} and ${join(outDir, BEST_DIR)} are the last good checkpoints` : `${last} is the last good checkpoint`;
}

/** The loss left the reals: stop, naming where, and say which checkpoints are intact. */
function divergence(J: number, epoch: number, stepInEpoch: number, globalStep: number, lr: number, kept: string): UserError {
  return new UserError(`training diverged at epoch ${epoch}, step ${stepInEpoch} (global step ${globalStep}): the loss is ${J}`, {
    exitCode: 1,
    hint: `lower optimizer.lr (${lr} at that step) or set optimizer.clip_norm; ${kept}`,
  });
}

/** Everything a checkpoint records about a model trained on `data` with `config`. */
export function checkpointState(
  model: WindowScorer, spec: ModelSpec, data: PreparedData, config: Config, setup: Pick<TrainingSetup, 'preprocessor' | 'transitions'>, epoch: number, step: number, dev: DevScores | null,
  lastThreshold: number | null = null,
): CheckpointState {
  // A detector's checkpoint needs a threshold even when this save has no dev scores (a
  // mid-epoch stop, or no dev data): the last one chosen on dev, else 0.
  const threshold = dev && !isTaggerScores(dev) ? dev.threshold : (lastThreshold ?? 0);
  return {
    model,
    spec,
    vocab: data.vocab,
    labels: data.labels,
    tag_scheme: data.scheme,
    word_normalisation: data.features.norm,
    suffix: data.features.suffix ?? null,
    prefix: data.features.prefix ?? null,
    preprocessor: setup.preprocessor,
    transitions: setup.transitions,
    decode: config.task === 'entity-detector' ? 'greedy' : config.decode.mode,
    task: config.task,
    detector: config.task === 'entity-detector' ? { threshold } : null,
    epoch,
    step,
    dev: dev ? { precision: dev.precision, recall: dev.recall, f1: dev.f1 } : null,
    config,
  };
}

function dataSummary(data: PreparedData, model: WindowScorer): DataSummary {
  const split = (s: { path: string; sentences: unknown[]; windows: { count: number } }) => ({
    path: s.path,
    sentences: s.sentences.length,
    tokens: s.windows.count,
  });
  const tableSize = model.tables.reduce((n, t) => n + t.data.length, 0);
  return {
    train: split(data.train),
    dev: data.dev ? split(data.dev) : null,
    scheme: data.scheme,
    labels: [...data.labels.labels],
    vocab_size: data.vocab.size,
    embeddings:
      data.pretrained && data.coverage
        ? {
            path: data.pretrained.path,
            words: data.pretrained.words.length,
            dim: data.pretrained.dim,
            duplicates: data.pretrained.duplicates,
            coverage: data.coverage,
          }
        : null,
    parameters: model.params.data.length + tableSize,
  };
}
