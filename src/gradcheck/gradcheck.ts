import { ACTIVATION_NAMES, getActivation, type ActivationName } from '../math/activations.js';
import type { FloatArray } from '../math/matrix.js';
import { Rng } from '../math/random.js';
import { createTable, type EmbeddingTable } from '../model/embedding.js';
import { fitPreprocessor, type PreprocessMode } from '../model/preprocess.js';
import { WindowScorer } from '../model/window-scorer.js';
import { TransitionParams } from '../model/transitions.js';
import { BatchLoss, type WindowBatch } from '../objective/batch-loss.js';
import { SentenceBatchLoss, type SentenceBatch } from '../objective/sentence-batch-loss.js';
import { createObjective, type Objective } from '../objective/index.js';
import { MarginPairs } from '../objective/pairs.js';
import { Regularizer, type RegularizationOptions } from '../objective/regularization.js';

/**
 * The objectives: per window, max-margin with each reduction over the wrong labels and
 * softmax; per sentence (learned transitions), the structured hinge and the sentence
 * log-likelihood.
 */
export type LossName = 'max-margin-sum' | 'max-margin-max' | 'softmax' | 'sentence-margin' | 'sentence-log-likelihood';
/** The per-window losses of the full grid. */
export const LOSS_NAMES: readonly LossName[] = ['max-margin-sum', 'max-margin-max', 'softmax'];
const SENTENCE_LOSSES: readonly LossName[] = ['sentence-margin', 'sentence-log-likelihood'];

/** One configuration of the network and its objective whose gradient is checked. */
export interface GradcheckCase {
  activation: ActivationName;
  /** The per-window loss; null for the entity detector, which has only the pair hinges. */
  loss: LossName | null;
  dropout: boolean;
  /** Input dropout with a fixed mask (model.input_dropout); absent = off. */
  input_dropout?: boolean;
  preprocess: PreprocessMode;
  regularization: 'none' | 'l2' | 'l1';
  /** Corrupted windows added to the batch: none (label corruption only), or centre-word replacements. */
  corruption: 'label' | 'center-word' | 'both';
  task: 'tagger' | 'entity-detector';
  /** Weight of the per-window loss of windows whose gold label is 0 (O); 1 = unweighted. */
  o_weight: number;
}

export interface GradcheckOptions {
  seed: number;
  /** Words on each side of the centre. */
  halfWidth: number;
  wordDim: number;
  capsDim: number;
  /** Sizes of the suffix and prefix tables (AFFIX_ROWS rows each); 0 leaves a table out. */
  suffixDim: number;
  prefixDim: number;
  hidden: number;
  labels: number;
  batch: number;
  margin: number;
  leakySlope: number;
  epsilon: number;
  tolerance: number;
  /** Parameters with more entries than this are checked at a seeded sample of entries. */
  maxEntriesPerParam: number;
  activations: readonly ActivationName[];
  losses: readonly LossName[];
  /** Include the cases beyond the activation × loss × dropout × preprocess × L2 grid: centre-word corruption, the detector, L1. */
  extras: boolean;
}

export const DEFAULT_GRADCHECK: GradcheckOptions = {
  seed: 1,
  halfWidth: 1,
  wordDim: 4,
  capsDim: 2,
  suffixDim: 2,
  prefixDim: 2,
  hidden: 6,
  labels: 4,
  batch: 5,
  margin: 1,
  leakySlope: 0.01,
  epsilon: 1e-4,
  tolerance: 1e-6,
  maxEntriesPerParam: 400,
  activations: ACTIVATION_NAMES,
  losses: LOSS_NAMES,
  extras: true,
};

export interface ParamCheck extends GradcheckCase {
  param: string;
  entries: number;
  max_rel_error: number;
}

export interface GradcheckReport {
  passed: boolean;
  max_rel_error: number;
  tolerance: number;
  epsilon: number;
  checks: ParamCheck[];
}

/**
 * The cases checked: every activation × loss × dropout {off, fixed mask} × preprocess
 * {none, whiten} × L2 {off, on}; then, per activation, centre-word corruption (alone and
 * with label corruption), the single-score entity detector, L1, and the two diagonal
 * preprocessing modes (center, standardize).
 */
export function gradcheckCases(opts: Pick<GradcheckOptions, 'activations' | 'losses' | 'extras'>): GradcheckCase[] {
  const cases: GradcheckCase[] = [];
  const base = { corruption: 'label', task: 'tagger', o_weight: 1 } as const;
  for (const activation of opts.activations) {
    for (const loss of opts.losses) {
      for (const dropout of [false, true]) {
        for (const preprocess of ['none', 'whiten'] as const) {
          for (const regularization of ['none', 'l2'] as const) cases.push({ ...base, activation, loss, dropout, preprocess, regularization });
        }
      }
    }
    if (!opts.extras) continue;
    const plain = { activation, dropout: false, preprocess: 'none', regularization: 'none', o_weight: 1 } as const;
    cases.push({ ...plain, loss: null, corruption: 'center-word', task: 'tagger' });
    cases.push({ ...plain, loss: 'max-margin-sum', corruption: 'both', task: 'tagger', dropout: true, preprocess: 'whiten' });
    cases.push({ ...plain, loss: null, corruption: 'both', task: 'entity-detector' });
    cases.push({ ...plain, loss: null, corruption: 'both', task: 'entity-detector', dropout: true, preprocess: 'whiten', regularization: 'l2' });
    cases.push({ ...plain, loss: 'max-margin-sum', corruption: 'label', task: 'tagger', regularization: 'l1' });
    cases.push({ ...plain, loss: 'softmax', corruption: 'label', task: 'tagger', preprocess: 'center' });
    cases.push({ ...plain, loss: 'softmax', corruption: 'label', task: 'tagger', preprocess: 'standardize' });
    cases.push({ ...plain, loss: 'max-margin-sum', corruption: 'label', task: 'tagger', o_weight: 0.3 });
    cases.push({ ...plain, loss: 'softmax', corruption: 'label', task: 'tagger', o_weight: 0.3 });
    for (const loss of SENTENCE_LOSSES) {
      cases.push({ ...plain, loss, corruption: 'label', task: 'tagger' });
      cases.push({ ...plain, loss, corruption: 'label', task: 'tagger', dropout: true, preprocess: 'whiten', regularization: 'l2' });
      cases.push({ ...plain, loss, corruption: 'label', task: 'tagger', input_dropout: true, dropout: true });
    }
    cases.push({ ...plain, loss: 'max-margin-sum', corruption: 'both', task: 'tagger', input_dropout: true });
    cases.push({ ...plain, loss: 'softmax', corruption: 'label', task: 'tagger', input_dropout: true, dropout: true, preprocess: 'whiten' });
  }
  return cases;
}

/**
 * Rows of the affix tables in the checked instances: the unknown and padding rows and a
 * few affixes, enough that a batch reuses some rows and leaves others untouched.
 */
const AFFIX_ROWS = 5;

/**
 * Central differences (five-point, step h = `epsilon`) of J in float64, against the analytic gradient of
 * every parameter (W, b, U, c and each embedding table), for each case of gradcheckCases,
 * through the same BatchLoss the trainer steps on.
 */
export function runGradcheck(options: Partial<GradcheckOptions> = {}): GradcheckReport {
  const opts = { ...DEFAULT_GRADCHECK, ...options };
  const checks: ParamCheck[] = [];
  for (const c of gradcheckCases(opts)) checks.push(...checkCase(opts, c));
  const maxRel = checks.reduce((max, c) => Math.max(max, c.max_rel_error), 0);
  return { passed: maxRel < opts.tolerance, max_rel_error: maxRel, tolerance: opts.tolerance, epsilon: opts.epsilon, checks };
}

/** A short label for a case, as the CLI table prints it. */
export function caseLabel(c: GradcheckCase): string {
  const parts: string[] = [c.activation, c.task === 'entity-detector' ? 'detector' : (c.loss ?? 'pairs only')];
  if (c.loss === 'sentence-margin' || c.loss === 'sentence-log-likelihood') parts.push('learned transitions');
  if (c.corruption !== 'label') parts.push(`corrupt ${c.corruption}`);
  if (c.dropout) parts.push('dropout');
  if (c.input_dropout) parts.push('input dropout');
  if (c.preprocess !== 'none') parts.push(c.preprocess);
  if (c.regularization !== 'none') parts.push(c.regularization);
  if (c.o_weight !== 1) parts.push(`O weight ${c.o_weight}`);
  return parts.join(' / ');
}

interface Instance {
  model: WindowScorer;
  /** J at the current parameters, with its gradients left in the model (and in `extra`). */
  objective(): number;
  /** Distance of the nearest kink of the objective. */
  kinkDistance(): number;
  rows: number;
  /** Parameters outside the scorer (the transition scores) with their gradient buffers. */
  extra: { name: string; values: FloatArray; grad: FloatArray }[];
}

function checkCase(opts: GradcheckOptions, c: GradcheckCase): ParamCheck[] {
  const instance = drawInstance(opts, c);
  const analytic = analyticGradients(instance);
  const rng = new Rng(opts.seed + 7919);
  const results: ParamCheck[] = [];
  const targets: { name: string; values: FloatArray; grad: FloatArray }[] = [
    ...instance.model.params.entries().map((e) => ({ name: e.name, values: e.view, grad: analytic.dense[e.name] })),
    ...instance.model.tables.map((t, i) => ({ name: `E.${t.name}`, values: t.data, grad: analytic.tables[i] })),
    ...instance.extra.map((x, i) => ({ name: x.name, values: x.values, grad: analytic.extra[i] })),
  ];
  for (const target of targets) {
    const indices = sampleIndices(target.values.length, opts.maxEntriesPerParam, rng);
    let maxRel = 0;
    for (const i of indices) {
      const numeric = numericalDerivative(instance, target.values, i, opts.epsilon);
      maxRel = Math.max(maxRel, relativeError(target.grad[i], numeric));
    }
    results.push({ ...c, param: target.name, entries: indices.length, max_rel_error: maxRel });
  }
  return results;
}

function objectiveFor(loss: LossName | null, margin: number, oWeight: number, K: number): Objective | null {
  if (loss === null || loss === 'sentence-margin' || loss === 'sentence-log-likelihood') return null;
  const classWeight = oWeight === 1 ? null : Float64Array.from({ length: K }, (_, y) => (y === 0 ? oWeight : 1));
  if (loss === 'softmax') return createObjective({ loss, margin, classWeight });
  return createObjective({ loss: 'max-margin', margin, reduction: loss === 'max-margin-max' ? 'max' : 'sum', classWeight });
}

function regularizationFor(kind: GradcheckCase['regularization']): RegularizationOptions {
  // Penalties of the same order as the data loss, on the embeddings too, so a wrong penalty gradient shows.
  if (kind === 'l2') return { l2: 0.05, l1: 0, l2_embeddings: true, l1_embeddings: false };
  if (kind === 'l1') return { l2: 0, l1: 0.05, l2_embeddings: false, l1_embeddings: true };
  return { l2: 0, l1: 0, l2_embeddings: false, l1_embeddings: false };
}

/**
 * A random instance whose pre-activations, hinge arguments and (under L1) parameters all
 * sit well away from the kinks of hard tanh, ReLU, the hinges and |θ|: at a kink the
 * function has no derivative and central differences measure nothing. Instances are
 * redrawn (seeded) until clear.
 */
function drawInstance(opts: GradcheckOptions, c: GradcheckCase): Instance {
  // Clear of every kink by more than the 2h the five-point stencil reaches.
  const clearance = Math.max(1e-3, 10 * opts.epsilon);
  const detector = c.task === 'entity-detector';
  const K = detector ? 1 : opts.labels;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const rng = new Rng(opts.seed * 1000003 + attempt);
    const w = 2 * opts.halfWidth + 1;
    const tables: EmbeddingTable[] = [createTable('word', 9, opts.wordDim, 'float64', true)];
    if (opts.capsDim > 0) tables.push(createTable('caps', 6, opts.capsDim, 'float64', true));
    // In the scorer's column order (word, caps, suffix, prefix); the scorer treats every table alike, but the check proves it.
    if (opts.suffixDim > 0) tables.push(createTable('suffix', AFFIX_ROWS, opts.suffixDim, 'float64', true));
    if (opts.prefixDim > 0) tables.push(createTable('prefix', AFFIX_ROWS, opts.prefixDim, 'float64', true));
    for (const table of tables) for (let i = 0; i < table.data.length; i++) table.data[i] = rng.normal();
    const model = new WindowScorer({
      positions: w,
      tables,
      hidden: opts.hidden,
      labels: K,
      activation: getActivation(c.activation, opts.leakySlope),
      dropout: c.dropout ? 0.5 : 0,
      inputDropout: c.input_dropout ? 0.3 : 0,
      dtype: 'float64',
    });
    // W and b larger than Xavier so units reach the saturated and negative regions of
    // every activation; U and c small so J stays near 1 and its roundoff stays small.
    const { W, b, U, c: bias } = model.params;
    for (const [view, r] of [[W, 0.8], [b, 0.8], [U, 0.3], [bias, 0.3]] as const) for (let i = 0; i < view.length; i++) view[i] = rng.range(-r, r);
    const T = tables.length;
    const stride = w * T;
    const randomWindow = (out: Int32Array, row: number): void => {
      for (let i = 0; i < stride; i++) out[row * stride + i] = rng.int(tables[i % T].rows);
    };
    if (c.preprocess !== 'none') {
      // Fitted once on other random windows and then fixed, as training fits it before the first step.
      const fitRows = 400;
      const fitIds = new Int32Array(fitRows * stride);
      for (let n = 0; n < fitRows; n++) randomWindow(fitIds, n);
      const X = Float64Array.from(model.gatherInputs(fitIds, fitRows));
      model.setPreprocessor(fitPreprocessor(c.preprocess, model.D, () => [{ X, B: fitRows }], 1e-5));
    }
    const B = opts.batch;
    const centreWord = c.corruption === 'center-word' || c.corruption === 'both';
    // The detector's "wrong label" is another corpus window; the tagger's is handled by the per-window loss.
    const corpusWindow = detector && (c.corruption === 'label' || c.corruption === 'both');
    const maxRows = B * (1 + (centreWord ? 1 : 0) + (corpusWindow ? 1 : 0));
    const batch: WindowBatch = { ids: new Int32Array(maxRows * stride), rows: B, B, gold: new Int32Array(B), pairs: new MarginPairs(maxRows) };
    for (let n = 0; n < B; n++) {
      randomWindow(batch.ids, n);
      batch.gold[n] = rng.int(K);
    }
    const centre = opts.halfWidth * T;
    for (let n = 0; n < B; n++) {
      // The tagger's O (label 0) has no centre-word counterpart; every detector window is an entity window.
      if (!detector && batch.gold[n] === 0) continue;
      const label = detector ? 0 : batch.gold[n];
      if (centreWord) {
        const row = batch.rows++;
        batch.ids.copyWithin(row * stride, n * stride, (n + 1) * stride);
        batch.ids[row * stride + centre] = (batch.ids[n * stride + centre] + 1 + rng.int(tables[0].rows - 1)) % tables[0].rows;
        batch.pairs.add(n, row, label);
      }
      if (corpusWindow) {
        const row = batch.rows++;
        randomWindow(batch.ids, row);
        batch.pairs.add(n, row, label);
      }
    }
    if (c.dropout) {
      const mask = model.dropoutMask(batch.rows);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < 0.5 ? 2 : 0;
    }
    if (c.input_dropout) {
      const mask = model.inputDropoutMask(batch.rows);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < 0.7 ? 1 / 0.7 : 0;
    }
    // Any dropout mask applies only in a training forward pass.
    const train = c.dropout || c.input_dropout === true;
    const regularizer = new Regularizer(regularizationFor(c.regularization));
    const sentenceLevel = c.loss === 'sentence-margin' || c.loss === 'sentence-log-likelihood';
    const instance = sentenceLevel
      ? sentenceInstance(model, batch, c, opts, regularizer, rng, train)
      : windowInstance(model, batch, new BatchLoss(detector ? null : objectiveFor(c.loss, opts.margin, c.o_weight, K), opts.margin, regularizer), train, maxRows * K);
    if (clearOfKinks(instance, clearance)) return instance;
  }
  throw new Error(`gradcheck: could not draw an instance clear of the kinks for ${caseLabel(c)}`);
}

function windowInstance(model: WindowScorer, batch: WindowBatch, loss: BatchLoss, train: boolean, scratch: number): Instance {
  const dS = new Float64Array(scratch);
  return {
    model,
    rows: batch.rows,
    extra: [],
    // With gradients: the embedding penalty covers the rows the backward pass names.
    objective: () => loss.evaluate(model, batch, train, true, dS),
    kinkDistance: () => loss.kinkDistance(model, batch, train),
  };
}

/**
 * The batch's true windows read as two sentences (rows [0, 2) and [2, B)) with learned
 * transition scores, for the sentence-level losses; the transitions are checked too.
 */
function sentenceInstance(model: WindowScorer, windows: WindowBatch, c: GradcheckCase, opts: GradcheckOptions, regularizer: Regularizer, rng: Rng, train: boolean): Instance {
  const B = windows.B;
  const transitions = new TransitionParams(model.K, 'float64');
  for (const view of [transitions.start, transitions.trans]) for (let i = 0; i < view.length; i++) view[i] = rng.range(-0.5, 0.5);
  const batch: SentenceBatch = { ids: windows.ids, rows: B, gold: windows.gold, starts: Int32Array.of(0, 2, B), sentences: 2 };
  const kind = c.loss === 'sentence-log-likelihood' ? 'log-likelihood' : 'margin';
  const loss = new SentenceBatchLoss(kind, opts.margin, regularizer, model.K);
  const dS = new Float64Array(B * model.K);
  return {
    model,
    rows: B,
    extra: [
      { name: 'A.start', values: transitions.start, grad: transitions.gradStart },
      { name: 'A.trans', values: transitions.trans, grad: transitions.gradTrans },
    ],
    objective: () => loss.evaluate(model, transitions, batch, train, true, dS),
    kinkDistance: () => loss.kinkDistance(model, transitions, batch, train),
  };
}

function clearOfKinks(instance: Instance, clearance: number): boolean {
  const { model } = instance;
  if (instance.kinkDistance() < clearance) return false;
  const Z = model.preActivations(instance.rows);
  for (const kink of model.activation.kinks) {
    for (let i = 0; i < Z.length; i++) if (Math.abs(Z[i] - kink) < clearance) return false;
  }
  return true;
}

/** J of the batch: mean loss plus penalty, exactly what a training step descends. */
function objectiveValue(instance: Instance): number {
  return instance.objective();
}

function analyticGradients(instance: Instance): { dense: Record<string, FloatArray>; tables: Float64Array[]; extra: Float64Array[] } {
  const { model } = instance;
  objectiveValue(instance);
  const extra = instance.extra.map((x) => Float64Array.from(x.grad));
  const dense: Record<string, FloatArray> = {};
  for (const entry of model.grads.entries()) dense[entry.name] = Float64Array.from(entry.view);
  // Spread each table's sparse row gradients into a full rows×dim array.
  const tables = model.tableGrads.map((tg) => {
    const full = new Float64Array(tg.table.data.length);
    const dim = tg.table.dim;
    for (let s = 0; s < tg.count; s++) {
      for (let e = 0; e < dim; e++) full[tg.rowIds[s] * dim + e] = tg.grad[s * dim + e];
    }
    return full;
  });
  return { dense, tables, extra };
}

/**
 * The five-point central difference (f(θ−2h) − 8f(θ−h) + 8f(θ+h) − f(θ+2h)) / 12h. Its
 * truncation error is O(h⁴) rather than the two-point O(h²), so h can be 10× larger for
 * the same accuracy, and the roundoff, which grows like u·|J|/h, shrinks by as much.
 */
function numericalDerivative(instance: Instance, values: FloatArray, i: number, h: number): number {
  const saved = values[i];
  const at = (delta: number): number => {
    values[i] = saved + delta;
    return objectiveValue(instance);
  };
  const value = (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h);
  values[i] = saved;
  return value;
}

/**
 * Central differences in float64 resolve a derivative only to about u·|J|/h ≈ 1e-11
 * (u the unit roundoff), so a gradient that is exactly zero by cancellation (+1/B from
 * one window, −1/B from another) measures as ±1e-11, not 0. Below this magnitude the
 * comparison is made on an absolute scale: |a − n| / max(|a|, |n|, 1e-4).
 */
export const GRADIENT_FLOOR = 1e-4;

export function relativeError(analytic: number, numeric: number): number {
  const scale = Math.max(Math.abs(analytic), Math.abs(numeric), GRADIENT_FLOOR);
  return Math.abs(analytic - numeric) / scale;
}

function sampleIndices(length: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (length <= max) return all;
  return rng.shuffle(all).slice(0, max).sort((a, b) => a - b);
}
