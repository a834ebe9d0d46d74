import type { Config } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import { setKernelThreads } from '../math/gemm.js';
import { Rng } from '../math/random.js';
import { createScorer, type ModelSpec } from '../model/create.js';
import { fitPreprocessor, noPreprocessing, type Preprocessor } from '../model/preprocess.js';
import type { WindowScorer } from '../model/window-scorer.js';
import { BatchLoss } from '../objective/batch-loss.js';
import { centreWordCounts, UnigramSampler } from '../objective/corruption.js';
import { createObjective, type Objective } from '../objective/index.js';
import { Regularizer } from '../objective/regularization.js';
import { createOptimizer, type DenseSegment, type Optimizer, type ParameterGroups } from '../optim/index.js';
import { learningRateAt as learningRate } from '../optim/schedule.js';
import { ParameterAverage, withAverage } from '../optim/average.js';
import { initialiseModel } from './init.js';
import { createDecoder, GREEDY, type Decoder } from '../decode/decoder.js';
import { TransitionParams } from '../model/transitions.js';
import { SentenceBatchLoss } from '../objective/sentence-batch-loss.js';
import { SentenceStep } from './sentence-step.js';
import { TrainingStep, type CorruptionPlan, type Step } from './step.js';

/** Everything the epoch loop needs, built from a config and its data. */
export interface TrainingSetup {
  model: WindowScorer;
  spec: ModelSpec;
  preprocessor: Preprocessor;
  /** Learned tag transitions (decode.mode learned), trained with the scorer; else null. */
  transitions: TransitionParams | null;
  /** The moving average of the weights (optimizer.average > 0): dev scoring and checkpoints swap it in. */
  average: ParameterAverage | null;
  /** The update rule (its state is saved with model-last, so a run can be resumed exactly). */
  optimizer: Optimizer;
  /** How dev (and later test) scores become tags. */
  decoder: Decoder;
  step: Step;
  /** What an epoch shuffles and visits: window indices (tagger), entity windows (detector) or sentence indices (learned decoding). */
  trainOrder: Int32Array;
  /** The scheduled learning rate for a step, given the global step and the 0-based epoch. */
  learningRate(globalStep: number, epochIndex: number): number;
}

/** The label id every CoNLL label set gives O (LabelSet.fromTypes puts it first). */
export const O_LABEL = 0;

export function modelSpec(config: Config, data: PreparedData): ModelSpec {
  return {
    halfWidth: config.model.window,
    vocabSize: data.vocab.size,
    wordDim: config.embeddings.dim,
    wordsTrainable: config.embeddings.trainable,
    capsDim: config.features.caps.dim,
    suffixRows: data.features.suffix?.size ?? 0,
    suffixDim: data.features.suffix ? config.features.suffix.dim : 0,
    prefixRows: data.features.prefix?.size ?? 0,
    prefixDim: data.features.prefix ? config.features.prefix.dim : 0,
    hidden: config.model.hidden,
    labels: config.task === 'entity-detector' ? 1 : data.labels.size,
    activation: config.model.activation,
    leakySlope: config.model.leaky_slope,
    dropout: config.model.dropout,
    inputDropout: config.model.input_dropout,
  };
}

/**
 * Builds and initialises the scorer, fits the input preprocessing on the training
 * windows, and assembles the step: objective, corruptions, penalty, optimiser, clipping.
 * Draws from `rng` in a fixed order, so a seed fixes the whole run.
 */
export function setupTraining(config: Config, data: PreparedData, rng: Rng): TrainingSetup {
  // The math core's threads, for the whole process from here on (results do not depend on it).
  setKernelThreads(config.training.threads);
  const spec = modelSpec(config, data);
  const model = createScorer(spec, 'float32');
  initialiseModel(model, data, config, rng);
  const preprocessor = fitInputPreprocessing(model, data, config);
  model.setPreprocessor(preprocessor);

  const detector = config.task === 'entity-detector';
  const { corruption, negatives } = config.objective;
  const byLabel = corruption === 'label' || corruption === 'both';
  const byCentreWord = corruption === 'center-word' || corruption === 'both';
  const gold = data.train.gold;
  const entityWindows = indicesWhere(gold, (g) => g > O_LABEL);
  const plan: CorruptionPlan = {
    centreWord: byCentreWord ? new UnigramSampler(centreWordCounts(data.train.windows, data.vocab.size)) : null,
    // The detector's "wrong label" is a corpus window centred on a non-entity word.
    corpusNegatives: detector && byLabel ? indicesWhere(gold, (g) => g === O_LABEL) : null,
    negatives,
    pairLabel: detector ? 'zero' : 'gold',
    skipLabel: detector ? -1 : O_LABEL,
  };
  const regularizer = new Regularizer(config.regularization);
  const learned = config.decode.mode === 'learned';
  const transitions = learned ? new TransitionParams(model.K, 'float32') : null;
  const groups = parameterGroups(model, config.schedule.fan_in_scaling, transitions);
  const average = config.optimizer.average > 0 ? new ParameterAverage(groups, config.optimizer.average) : null;
  const rule = createOptimizer(groups, config.optimizer);
  const optimizer = average ? withAverage(rule, average) : rule;
  const { batch_size } = config.training;
  const clip = config.optimizer.clip_norm;
  let step: Step;
  let trainOrder: Int32Array;
  if (transitions) {
    const kind = config.objective.loss === 'softmax' ? 'log-likelihood' : 'margin';
    const loss = new SentenceBatchLoss(kind, config.objective.margin, regularizer, model.K);
    step = new SentenceStep(model, transitions, loss, optimizer, groups, data.train, batch_size, clip, config.features.word_dropout);
    trainOrder = Int32Array.from({ length: data.train.sentences.length }, (_, i) => i);
  } else {
    const classWeight = Float64Array.from({ length: model.K }, (_, y) => (y === O_LABEL ? config.objective.o_weight : 1));
    const objective: Objective | null = detector || !byLabel ? null : createObjective({ ...config.objective, classWeight });
    const loss = new BatchLoss(objective, config.objective.margin, regularizer);
    step = new TrainingStep(model, loss, optimizer, groups, data.train, batch_size, plan, clip, config.features.word_dropout);
    trainOrder = detector ? entityWindows : Int32Array.from({ length: data.train.windows.count }, (_, i) => i);
  }
  const { lr } = config.optimizer;
  const schedule = config.schedule;
  return {
    model,
    spec,
    preprocessor,
    transitions,
    average,
    optimizer,
    decoder: detector ? GREEDY : createDecoder(config.decode.mode, data.labels.labels, transitions),
    step,
    trainOrder,
    learningRate: (globalStep, epochIndex) => learningRate(lr, schedule, schedule.unit === 'steps' ? globalStep : epochIndex),
  };
}

/**
 * The dense layers and the trainable tables. With fan-in scaling each layer's rate is
 * divided by √(fan-in), as Collobert et al. do: W and b by √D, U and c by √H; a lookup
 * table has fan-in 1 and keeps the base rate.
 */
export function parameterGroups(model: WindowScorer, fanInScaling: boolean, transitions: TransitionParams | null = null): ParameterGroups {
  const first = fanInScaling ? 1 / Math.sqrt(model.D) : 1;
  const second = fanInScaling ? 1 / Math.sqrt(model.H) : 1;
  const { params, grads } = model;
  const dense: DenseSegment[] = [
    { name: 'W', values: params.W, grad: grads.W, lrScale: first },
    { name: 'b', values: params.b, grad: grads.b, lrScale: first },
    { name: 'U', values: params.U, grad: grads.U, lrScale: second },
    { name: 'c', values: params.c, grad: grads.c, lrScale: second },
  ];
  if (transitions) {
    // Transition scores sit on top of the output layer: they take its rate.
    dense.push({ name: 'transitions.start', values: transitions.start, grad: transitions.gradStart, lrScale: second });
    dense.push({ name: 'transitions.matrix', values: transitions.trans, grad: transitions.gradTrans, lrScale: second });
  }
  return { dense, tables: model.tableGrads.filter((tg) => tg.table.trainable) };
}

/**
 * Fits `preprocess.mode` on the training windows as the initial embeddings make them
 * (at most preprocess.fit_windows of them, a seeded sample): a fixed map, never refitted
 * on dev or test data.
 */
function fitInputPreprocessing(model: WindowScorer, data: PreparedData, config: Config): Preprocessor {
  const { mode, eps, fit_windows } = config.preprocess;
  if (mode === 'none') return noPreprocessing(model.D);
  const windows = data.train.windows;
  const stride = windows.positions * windows.tables;
  const all = Int32Array.from({ length: windows.count }, (_, i) => i);
  // A separate stream, so that turning preprocessing on does not move every later draw.
  const sample = all.length > fit_windows ? new Rng(config.seed + 0x51f15e).shuffle(all).subarray(0, fit_windows).sort() : all;
  const chunk = 1024;
  const ids = new Int32Array(chunk * stride);
  function* batches(): Generator<{ X: Float32Array | Float64Array; B: number }> {
    for (let start = 0; start < sample.length; start += chunk) {
      const B = Math.min(chunk, sample.length - start);
      for (let n = 0; n < B; n++) ids.set(windows.ids.subarray(sample[start + n] * stride, (sample[start + n] + 1) * stride), n * stride);
      yield { X: model.gatherInputs(ids, B), B };
    }
  }
  return fitPreprocessor(mode, model.D, batches, eps);
}

function indicesWhere(values: Int32Array, keep: (value: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (keep(values[i])) out.push(i);
  return Int32Array.from(out);
}
