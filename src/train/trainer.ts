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
import { join } from 'node:path';

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

  const data = await prepareData(config);
  const spec = modelSpec(config, data);
  const model = createScorer(spec, 'float32');
  const rng = new Rng(config.seed);
  initialiseModel(model, data, config, rng);
  const summary = dataSummary(data, model);
  emit({ type: 'data', data: summary });

  const objective = createObjective(config.objective);
  const optimizer = createOptimizer(model, config.optimizer);
  const { batch_size: batchSize, epochs } = config.training;
  const lr = config.optimizer.lr;
  const N = data.train.windows.count;
  const stride = data.train.windows.positions * data.train.windows.tables;
  const steps = Math.ceil(N / batchSize);
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const batchIds = new Int32Array(batchSize * stride);
  const batchGold = new Int32Array(batchSize);
  const dS = new Float32Array(batchSize * model.K);

  const records: EpochRecord[] = [];
  let best: { epoch: number; scores: EntityScores | null; f1: number } | null = null;
  let globalStep = 0;
  let interrupted = false;
  const checkpoint = (dir: string, epoch: number, dev: EntityScores | null): Promise<void> =>
    saveCheckpoint(join(outDir, dir), checkpointState(model, spec, data, config, epoch, globalStep, dev));

  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    emit({ type: 'epoch-start', epoch, epochs, steps });
    if (config.training.shuffle) rng.shuffle(order);
    const epochStart = performance.now();
    let lossSum = 0;
    let seen = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const B = Math.min(batchSize, N - start);
      for (let n = 0; n < B; n++) {
        const i = order[start + n];
        batchIds.set(data.train.windows.ids.subarray(i * stride, (i + 1) * stride), n * stride);
        batchGold[n] = data.train.gold[i];
      }
      if (model.dropout > 0) model.sampleDropoutMask(B, rng);
      model.zeroGrad();
      const S = model.forward(batchIds, B, true);
      const loss = objective.loss(S, batchGold, B, model.K, dS, 1 / B);
      if (!Number.isFinite(loss)) {
        throw new UserError(`training diverged at epoch ${epoch}, step ${step + 1}: the loss is ${loss}`, {
          exitCode: 1,
          hint: `lower optimizer.lr (now ${lr}); ${best ? `${join(outDir, BEST_DIR)} keeps the best epoch so far` : 'no checkpoint was written yet'}`,
        });
      }
      model.backward(dS, batchIds, B);
      optimizer.step(model, lr);
      lossSum += loss;
      seen += B;
      globalStep++;
      if ((step + 1) % PROGRESS_EVERY === 0 || step + 1 === steps) {
        const seconds = (performance.now() - epochStart) / 1000;
        emit({ type: 'progress', epoch, step: step + 1, steps, loss: lossSum / seen, tokensPerS: seen / Math.max(seconds, 1e-9), lr });
        await yieldToEventLoop();
        if (options.signal?.aborted) {
          interrupted = step + 1 < steps;
          if (interrupted) break;
        }
      }
    }
    const trainSeconds = (performance.now() - epochStart) / 1000;
    if (interrupted) {
      emit({ type: 'interrupted', epoch, step: globalStep });
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
      step: globalStep,
      loss: lossSum / Math.max(seen, 1),
      lr,
      dev_precision: dev ? dev.precision : null,
      dev_recall: dev ? dev.recall : null,
      dev_f1: dev ? dev.f1 : null,
      dev_accuracy: dev ? dev.accuracy : null,
      best: isBest,
      tokens_per_s: seen / Math.max(trainSeconds, 1e-9),
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
      emit({ type: 'interrupted', epoch, step: globalStep });
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

function checkpointState(
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
