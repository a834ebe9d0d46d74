import { ACTIVATION_NAMES, getActivation, type ActivationName } from '../math/activations.js';
import type { FloatArray } from '../math/matrix.js';
import { Rng } from '../math/random.js';
import { createTable, type EmbeddingTable } from '../model/embedding.js';
import { WindowScorer } from '../model/window-scorer.js';
import { createObjective, type Objective } from '../objective/index.js';

export type LossName = 'max-margin' | 'softmax';
export const LOSS_NAMES: readonly LossName[] = ['max-margin', 'softmax'];

export interface GradcheckOptions {
  seed: number;
  /** Words on each side of the centre. */
  halfWidth: number;
  wordDim: number;
  capsDim: number;
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
}

export const DEFAULT_GRADCHECK: GradcheckOptions = {
  seed: 1,
  halfWidth: 1,
  wordDim: 4,
  capsDim: 2,
  hidden: 6,
  labels: 4,
  batch: 5,
  margin: 1,
  leakySlope: 0.01,
  epsilon: 1e-5,
  tolerance: 1e-6,
  maxEntriesPerParam: 400,
  activations: ACTIVATION_NAMES,
  losses: LOSS_NAMES,
};

export interface ParamCheck {
  activation: ActivationName;
  loss: LossName;
  dropout: boolean;
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
 * Central differences, (J(θ+ε) − J(θ−ε)) / 2ε in float64, against the analytic gradient of
 * every parameter (W, b, U, c and each embedding table) for every activation × loss ×
 * dropout (off, and on with a fixed mask) on a small random instance.
 */
export function runGradcheck(options: Partial<GradcheckOptions> = {}): GradcheckReport {
  const opts = { ...DEFAULT_GRADCHECK, ...options };
  const checks: ParamCheck[] = [];
  for (const activation of opts.activations) {
    for (const loss of opts.losses) {
      for (const dropout of [false, true]) {
        checks.push(...checkCase(opts, activation, loss, dropout));
      }
    }
  }
  const maxRel = checks.reduce((max, c) => Math.max(max, c.max_rel_error), 0);
  return { passed: maxRel < opts.tolerance, max_rel_error: maxRel, tolerance: opts.tolerance, epsilon: opts.epsilon, checks };
}

interface Instance {
  model: WindowScorer;
  objective: Objective;
  ids: Int32Array;
  gold: Int32Array;
  dropout: boolean;
}

function checkCase(opts: GradcheckOptions, activation: ActivationName, loss: LossName, dropout: boolean): ParamCheck[] {
  const instance = drawInstance(opts, activation, loss, dropout);
  const analytic = analyticGradients(instance);
  const rng = new Rng(opts.seed + 7919);
  const results: ParamCheck[] = [];
  const targets: { name: string; values: FloatArray; grad: FloatArray }[] = [
    ...instance.model.params.entries().map((e) => ({ name: e.name, values: e.view, grad: analytic.dense[e.name] })),
    ...instance.model.tables.map((t, i) => ({ name: `E.${t.name}`, values: t.data, grad: analytic.tables[i] })),
  ];
  for (const target of targets) {
    const indices = sampleIndices(target.values.length, opts.maxEntriesPerParam, rng);
    let maxRel = 0;
    for (const i of indices) {
      const numeric = numericalDerivative(instance, target.values, i, opts.epsilon);
      maxRel = Math.max(maxRel, relativeError(target.grad[i], numeric));
    }
    results.push({ activation, loss, dropout, param: target.name, entries: indices.length, max_rel_error: maxRel });
  }
  return results;
}

/**
 * A random instance whose pre-activations and hinge arguments all sit well away from
 * the kinks of hard tanh, ReLU and the hinge: at a kink the function has no derivative
 * and central differences measure nothing. Instances are redrawn (seeded) until clear.
 */
function drawInstance(opts: GradcheckOptions, activationName: ActivationName, loss: LossName, dropout: boolean): Instance {
  const clearance = 1e-3;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const rng = new Rng(opts.seed * 1000003 + attempt);
    const w = 2 * opts.halfWidth + 1;
    const tables: EmbeddingTable[] = [createTable('word', 9, opts.wordDim, 'float64', true)];
    if (opts.capsDim > 0) tables.push(createTable('caps', 6, opts.capsDim, 'float64', true));
    for (const table of tables) for (let i = 0; i < table.data.length; i++) table.data[i] = rng.normal();
    const activation = getActivation(activationName, opts.leakySlope);
    const model = new WindowScorer({
      positions: w, tables, hidden: opts.hidden, labels: opts.labels, activation, dropout: dropout ? 0.5 : 0, dtype: 'float64',
    });
    // W and b larger than Xavier so units reach the saturated and negative regions of
    // every activation; U and c small so J stays near 1 and its roundoff stays small.
    const { W, b, U, c } = model.params;
    for (const [view, r] of [[W, 0.8], [b, 0.8], [U, 0.3], [c, 0.3]] as const) for (let i = 0; i < view.length; i++) view[i] = rng.range(-r, r);
    const B = opts.batch;
    const T = tables.length;
    const ids = new Int32Array(B * w * T);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.int(tables[i % T].rows);
    const gold = Int32Array.from({ length: B }, () => rng.int(opts.labels));
    if (dropout) {
      const mask = model.dropoutMask(B);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < 0.5 ? 2 : 0;
    }
    const objective = createObjective({ loss, margin: opts.margin });
    const instance = { model, objective, ids, gold, dropout };
    if (clearOfKinks(instance, clearance)) return instance;
  }
  throw new Error(`gradcheck: could not draw an instance clear of the kinks for ${activationName}/${loss}`);
}

function clearOfKinks(instance: Instance, clearance: number): boolean {
  const { model, objective, ids, gold, dropout } = instance;
  const B = gold.length;
  const S = model.forward(ids, B, dropout);
  if (objective.kinkDistance(S, gold, B, model.K) < clearance) return false;
  const Z = model.preActivations(B);
  for (const kink of model.activation.kinks) {
    for (let i = 0; i < Z.length; i++) if (Math.abs(Z[i] - kink) < clearance) return false;
  }
  return true;
}

/** J = mean loss over the batch. */
function objectiveValue(instance: Instance): number {
  const { model, objective, ids, gold, dropout } = instance;
  const B = gold.length;
  const S = model.forward(ids, B, dropout);
  return objective.loss(S, gold, B, model.K, null, 1) / B;
}

function analyticGradients(instance: Instance): { dense: Record<string, FloatArray>; tables: Float64Array[] } {
  const { model, objective, ids, gold, dropout } = instance;
  const B = gold.length;
  model.zeroGrad();
  const S = model.forward(ids, B, dropout);
  const dS = new Float64Array(B * model.K);
  objective.loss(S, gold, B, model.K, dS, 1 / B);
  model.backward(dS, ids, B);
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
  return { dense, tables };
}

function numericalDerivative(instance: Instance, values: FloatArray, i: number, epsilon: number): number {
  const saved = values[i];
  values[i] = saved + epsilon;
  const plus = objectiveValue(instance);
  values[i] = saved - epsilon;
  const minus = objectiveValue(instance);
  values[i] = saved;
  return (plus - minus) / (2 * epsilon);
}

/**
 * Central differences in float64 resolve a derivative only to about u·|J|/ε ≈ 1e-11
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
