import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { saveCheckpoint, type CheckpointState } from '../checkpoint/checkpoint.js';
import type { Config } from '../config/schema.js';
import { prepareData, type PreparedData } from '../data/dataset.js';
import { UserError } from '../errors.js';
import type { EntityScores } from '../eval/metrics.js';
import { writeFileAtomic } from '../io/atomic.js';
import { Rng } from '../math/random.js';
import { createScorer, type ModelSpec } from '../model/create.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { createObjective } from '../objective/index.js';
import { createOptimizer } from '../optim/index.js';
import { evaluateSplit } from './evaluate-split.js';
import type { DataSummary, EpochRecord, TrainEventHandler } from './events.js';
import { initialiseModel } from './init.js';
import { BEST_DIR, LAST_DIR, METRICS_FILE, prepareOutputDir } from './output-dir.js';
import { TrainingStep } from './step.js';

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
  best: EntityScores | null;
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
  const spec = modelSpec(config, data);
  const model = createScorer(spec, 'float32');
  const rng = new Rng(config.seed);
  initialiseModel(model, data, config, rng);
  const summary = dataSummary(data, model);
  emit({ type: 'data', data: summary });

  const step = new TrainingStep(model, createObjective(config.objective), createOptimizer(model, config.optimizer), data.train, config.training.batch_size);
  const loop: EpochLoop = { config, step, rng, order: Int32Array.from({ length: data.train.windows.count }, (_, i) => i), globalStep: 0, emit, options };
  const records: EpochRecord[] = [];
  let best: { epoch: number; scores: EntityScores | null; f1: number } | null = null;
  let interrupted = false;
  const checkpoint = (dir: string, epoch: number, dev: EntityScores | null): Promise<void> =>
    saveCheckpoint(join(outDir, dir), checkpointState(model, spec, data, config, epoch, loop.globalStep, dev));

  const { epochs } = config.training;
  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    const epochStart = performance.now();
    const trained = await trainEpoch(loop, epoch, best !== null ? join(outDir, BEST_DIR) : null);
    if (trained.interrupted) {
      interrupted = true;
      emit({ type: 'interrupted', epoch, step: loop.globalStep });
      await checkpoint(LAST_DIR, epoch - 1, null);
      break;
    }

    emit({ type: 'evaluating', epoch });
    const dev = data.dev ? evaluateSplit(model, data.dev, data.labels, data.scheme, config.training.eval_batch_size).scores : null;
    // Without dev data the last epoch is the best one: there is nothing else to choose by.
    const f1 = dev ? dev.f1 : epoch;
    const isBest = best === null || f1 > best.f1;
    if (isBest) best = { epoch, scores: dev, f1 };
    const record: EpochRecord = {
      epoch,
      step: loop.globalStep,
      loss: trained.lossSum / Math.max(trained.seen, 1),
      lr: config.optimizer.lr,
      dev_precision: dev ? dev.precision : null,
      dev_recall: dev ? dev.recall : null,
      dev_f1: dev ? dev.f1 : null,
      dev_accuracy: dev ? dev.accuracy : null,
      best: isBest,
      tokens_per_s: trained.seen / Math.max(trained.seconds, 1e-9),
      epoch_s: (performance.now() - epochStart) / 1000,
      elapsed_s: (performance.now() - started) / 1000,
    };
    records.push(record);
    await checkpoint(LAST_DIR, epoch, dev);
    if (isBest) await checkpoint(BEST_DIR, epoch, dev);
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

/** What the epoch loop carries from one epoch to the next. */
interface EpochLoop {
  config: Config;
  step: TrainingStep;
  rng: Rng;
  order: Int32Array;
  globalStep: number;
  emit: TrainEventHandler;
  options: TrainOptions;
}

/**
 * One pass over the shuffled training windows. Every PROGRESS_EVERY steps it reports
 * progress and yields to the event loop, which is where a Ctrl-C gets in; an abort stops
 * the pass after the step in hand.
 */
async function trainEpoch(loop: EpochLoop, epoch: number, bestDir: string | null): Promise<{ lossSum: number; seen: number; seconds: number; interrupted: boolean }> {
  const { config, step, rng, order, emit, options } = loop;
  const { batchSize } = step;
  const N = order.length;
  const steps = Math.ceil(N / batchSize);
  const lr = config.optimizer.lr;
  emit({ type: 'epoch-start', epoch, epochs: config.training.epochs, steps });
  if (config.training.shuffle) rng.shuffle(order);
  const start = performance.now();
  let lossSum = 0;
  let seen = 0;
  for (let s = 0; s < steps; s++) {
    const B = Math.min(batchSize, N - s * batchSize);
    const loss = step.run(order, s * batchSize, B, lr, rng);
    if (!Number.isFinite(loss)) {
      throw new UserError(`training diverged at epoch ${epoch}, step ${s + 1}: the loss is ${loss}`, {
        exitCode: 1,
        hint: `lower optimizer.lr (now ${lr}); ${bestDir ? `${bestDir} keeps the best epoch so far` : 'no checkpoint was written yet'}`,
      });
    }
    lossSum += loss;
    seen += B;
    loop.globalStep++;
    if ((s + 1) % PROGRESS_EVERY === 0 || s + 1 === steps) {
      const seconds = (performance.now() - start) / 1000;
      emit({ type: 'progress', epoch, step: s + 1, steps, loss: lossSum / seen, tokensPerS: seen / Math.max(seconds, 1e-9), lr });
      await yieldToEventLoop();
      if (options.signal?.aborted && s + 1 < steps) {
        return { lossSum, seen, seconds, interrupted: true };
      }
    }
  }
  return { lossSum, seen, seconds: (performance.now() - start) / 1000, interrupted: false };
}

export function modelSpec(config: Config, data: PreparedData): ModelSpec {
  return {
    halfWidth: config.model.window,
    vocabSize: data.vocab.size,
    wordDim: config.embeddings.dim,
    wordsTrainable: config.embeddings.trainable,
    capsDim: config.features.caps.dim,
    hidden: config.model.hidden,
    labels: data.labels.size,
    activation: config.model.activation,
    leakySlope: config.model.leaky_slope,
    dropout: config.model.dropout,
  };
}

/** Everything a checkpoint records about a model trained on `data` with `config`. */
export function checkpointState(
  model: WindowScorer, spec: ModelSpec, data: PreparedData, config: Config, epoch: number, step: number, dev: EntityScores | null,
): CheckpointState {
  return {
    model,
    spec,
    vocab: data.vocab,
    labels: data.labels,
    tag_scheme: data.scheme,
    word_normalisation: data.features.norm,
    preprocess: { mode: 'none' },
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
