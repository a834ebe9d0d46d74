import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { saveCheckpoint, type CheckpointState } from '../checkpoint/checkpoint.js';
import type { Config } from '../config/schema.js';
import { prepareData, type EncodedSplit, type PreparedData } from '../data/dataset.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Rng } from '../math/random.js';
import type { ModelSpec } from '../model/create.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { evaluateDetectorSplit, evaluateSplit } from './evaluate-split.js';
import { isTaggerScores, type DataSummary, type DevScores, type EpochRecord, type TrainEventHandler } from './events.js';
import { BEST_DIR, LAST_DIR, METRICS_FILE, prepareOutputDir } from './output-dir.js';
import { setupTraining, type TrainingSetup } from './setup.js';

export { modelSpec } from './setup.js';

export interface TrainOptions {
  /** Replace a previous run in the output folder. */
  force?: boolean;
  /** Aborting stops after the current step; model-last is written first. */
  signal?: AbortSignal;
  onEvent?: TrainEventHandler;
}

export interface TrainResult {
  outDir: string;
  interrupted: boolean;
  epochs: EpochRecord[];
  bestEpoch: number | null;
  best: DevScores | null;
  data: DataSummary;
  elapsed_s: number;
}

/** How often (in steps) the loop reports progress and lets signals in. */
const PROGRESS_EVERY = 50;

/** Trains a window scorer as `config` says, writing checkpoints and metrics.jsonl to config.output.dir. */
export async function train(config: Config, options: TrainOptions = {}): Promise<TrainResult> {
  const emit: TrainEventHandler = options.onEvent ?? (() => undefined);
  const outDir = config.output.dir;
  await prepareOutputDir(outDir, options.force ?? false);
  const started = performance.now();

  const data = await prepareData(config, (what, path) => emit({ type: 'reading', what, path }));
  const rng = new Rng(config.seed);
  // Fitting whitening on CoNLL-sized data takes seconds of synchronous work: say so first.
  if (config.preprocess.mode !== 'none') {
    emit({ type: 'fitting', mode: config.preprocess.mode, windows: Math.min(config.preprocess.fit_windows, data.train.windows.count) });
  }
  const setup = setupTraining(config, data, rng);
  const { model, spec } = setup;
  const summary = dataSummary(data, model);
  emit({ type: 'data', data: summary });
  if (setup.trainOrder.length === 0) {
    throw new UserError(`${config.data.train}: no entity words to train the entity detector on`);
  }

  const loop: EpochLoop = { config, setup, rng, order: setup.trainOrder.slice(), globalStep: 0, emit, options };
  const records: EpochRecord[] = [];
  let best: { epoch: number; scores: DevScores | null; f1: number } | null = null;
  let interrupted = false;
  const checkpoint = (dir: string, epoch: number, dev: DevScores | null): Promise<void> =>
    saveCheckpoint(join(outDir, dir), checkpointState(model, spec, data, config, setup, epoch, loop.globalStep, dev));
  // With optimizer.average the averaged weights are the model: scored on dev and saved.
  const withModelWeights = <T>(use: () => T | Promise<T>): Promise<T> => (setup.average ? setup.average.withAveraged(use) : Promise.resolve(use()));

  const { epochs } = config.training;
  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    const epochStart = performance.now();
    const trained = await trainEpoch(loop, epoch, outDir, best !== null);
    if (trained.interrupted) {
      interrupted = true;
      emit({ type: 'interrupted', epoch, step: loop.globalStep });
      await withModelWeights(() => checkpoint(LAST_DIR, epoch - 1, null));
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
      elapsed_s: (performance.now() - started) / 1000,
    };
    records.push(record);
    await withModelWeights(async () => {
      await checkpoint(LAST_DIR, epoch, dev);
      if (isBest) await checkpoint(BEST_DIR, epoch, dev);
    });
    await writeFileAtomic(join(outDir, METRICS_FILE), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    emit({ type: 'epoch-end', record, dev });
    if (options.signal?.aborted && epoch < epochs) {
      interrupted = true;
      emit({ type: 'interrupted', epoch, step: loop.globalStep });
    }
  }

  return {
    outDir,
    interrupted,
    epochs: records,
    bestEpoch: best?.epoch ?? null,
    best: best?.scores ?? null,
    data: summary,
    elapsed_s: (performance.now() - started) / 1000,
  };
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
  interrupted: boolean;
}

/**
 * One pass over the shuffled training windows. Every PROGRESS_EVERY steps it reports
 * progress and yields to the event loop, which is where a Ctrl-C gets in; an abort stops
 * the pass after the step in hand.
 */
async function trainEpoch(loop: EpochLoop, epoch: number, outDir: string, hasBest: boolean): Promise<EpochTotals> {
  const { config, setup, rng, order, emit, options } = loop;
  const { step } = setup;
  if (config.training.shuffle) rng.shuffle(order);
  const bounds = step.batchBounds(order);
  const steps = bounds.length - 1;
  emit({ type: 'epoch-start', epoch, epochs: config.training.epochs, steps });
  const start = performance.now();
  const totals: EpochTotals = { lossSum: 0, penaltySum: 0, seen: 0, steps: 0, seconds: 0, lastLr: setup.learningRate(loop.globalStep, epoch - 1), interrupted: false };
  for (let s = 0; s < steps; s++) {
    const lr = setup.learningRate(loop.globalStep, epoch - 1);
    const J = step.run(order, bounds[s], bounds[s + 1], lr, rng);
    const B = step.lastTokens;
    if (!Number.isFinite(J)) throw divergence(J, epoch, s + 1, loop.globalStep + 1, lr, outDir, hasBest);
    totals.lossSum += J * B;
    totals.penaltySum += step.lastPenalty;
    totals.seen += B;
    totals.steps++;
    totals.lastLr = lr;
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

/** The loss left the reals: stop, naming where, and say which checkpoints are intact (nothing is written after this). */
function divergence(J: number, epoch: number, stepInEpoch: number, globalStep: number, lr: number, outDir: string, hasBest: boolean): UserError {
  const kept = hasBest
    ? `${join(outDir, LAST_DIR)} (end of epoch ${epoch - 1}) and ${join(outDir, BEST_DIR)} are the last good checkpoints`
    : 'no checkpoint was written yet';
  return new UserError(`training diverged at epoch ${epoch}, step ${stepInEpoch} (global step ${globalStep}): the loss is ${J}`, {
    exitCode: 1,
    hint: `lower optimizer.lr (${lr} at that step) or set optimizer.clip_norm; ${kept}`,
  });
}

/** Everything a checkpoint records about a model trained on `data` with `config`. */
export function checkpointState(
  model: WindowScorer, spec: ModelSpec, data: PreparedData, config: Config, setup: Pick<TrainingSetup, 'preprocessor' | 'transitions'>, epoch: number, step: number, dev: DevScores | null,
): CheckpointState {
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
    detector: dev && !isTaggerScores(dev) ? { threshold: dev.threshold } : null,
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
