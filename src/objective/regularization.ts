import { elementwiseKernels } from '../math/kernels/elementwise.js';
import type { FloatArray } from '../math/matrix.js';
import type { WindowScorer } from '../model/window-scorer.js';

export interface RegularizationOptions {
  l2: number;
  l1: number;
  l2_embeddings: boolean;
  l1_embeddings: boolean;
}

/**
 * Weight penalties R = l2·(‖W‖²_F + ‖U‖²_F) + l1·(|W|₁ + |U|₁), never on the biases.
 * With l2_embeddings / l1_embeddings the same terms cover the embedding rows the batch
 * used, and only those: the penalty follows the sparse updates, so a step costs what
 * its batch touches rather than all of V (the same choice as lazy weight decay).
 */
export class Regularizer {
  constructor(private readonly options: RegularizationOptions) {}

  get active(): boolean {
    return this.options.l2 > 0 || this.options.l1 > 0;
  }

  /**
   * The penalty of the current parameters; with `withGrad`, also adds ∂R/∂θ into
   * model.grads and the tables' sparse gradients. Call after `backward`, whose sparse
   * gradients name the rows the batch used.
   */
  apply(model: WindowScorer, withGrad: boolean): number {
    const { l2, l1, l2_embeddings, l1_embeddings } = this.options;
    if (!this.active) return 0;
    let penalty = 0;
    const { W, U } = model.params;
    penalty += penaltyOf(W, 0, W.length, l2, l1, withGrad ? model.grads.W : null, 0);
    penalty += penaltyOf(U, 0, U.length, l2, l1, withGrad ? model.grads.U : null, 0);
    const rowL2 = l2_embeddings ? l2 : 0;
    const rowL1 = l1_embeddings ? l1 : 0;
    if (rowL2 === 0 && rowL1 === 0) return penalty;
    for (const tg of model.tableGrads) {
      if (!tg.table.trainable) continue;
      const dim = tg.table.dim;
      for (let s = 0; s < tg.count; s++) {
        penalty += penaltyOf(tg.table.data, tg.rowIds[s] * dim, dim, rowL2, rowL1, withGrad ? tg.grad : null, s * dim);
      }
    }
    return penalty;
  }

  /** How close any penalised value is to the kink of |θ| (Infinity without L1): gradcheck keeps clear of it. */
  kinkDistance(model: WindowScorer): number {
    if (this.options.l1 === 0) return Infinity;
    let nearest = Infinity;
    for (const view of [model.params.W, model.params.U]) for (let i = 0; i < view.length; i++) nearest = Math.min(nearest, Math.abs(view[i]));
    if (this.options.l1_embeddings) {
      for (const table of model.tables) if (table.trainable) for (let i = 0; i < table.data.length; i++) nearest = Math.min(nearest, Math.abs(table.data[i]));
    }
    return nearest;
  }
}

/**
 * l2·Σθ² + l1·Σ|θ| over values[at, at+n); adds 2·l2·θ + l1·sign(θ) into grad[from…] when given.
 *
 * One fused pass per segment, specialised on what is switched on (the common case is L2
 * only, with the gradient), so the loop body has no per-element calls or tests. Every
 * variant computes what the general formula computes: a term whose coefficient is 0 would
 * only add ±0 to the gradient; the L2-only sums run in four lanes (see squaresWithGrad),
 * so their last bits may differ from the general loop's.
 */
function penaltyOf(values: FloatArray, at: number, n: number, l2: number, l1: number, grad: FloatArray | null, from: number): number {
  if (l1 === 0) return l2 * (grad ? squaresWithGrad(values, at, n, 2 * l2, grad, from) : squares(values, at, n));
  let sq = 0;
  let absolutes = 0;
  const twoL2 = 2 * l2;
  if (grad) {
    for (let i = 0; i < n; i++) {
      const v = values[at + i];
      sq += v * v;
      absolutes += Math.abs(v);
      grad[from + i] += twoL2 * v + l1 * Math.sign(v);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = values[at + i];
      sq += v * v;
      absolutes += Math.abs(v);
    }
  }
  return l2 * sq + l1 * absolutes;
}

/** Σθ² over values[at, at+n), summed in the order of squaresWithGrad (so J is the same with or without the gradient). */
function squares(values: FloatArray, at: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v0 = values[at + i];
    const v1 = values[at + i + 1];
    const v2 = values[at + i + 2];
    const v3 = values[at + i + 3];
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  let sum = s0 + s2 + (s1 + s3);
  for (; i < n; i++) {
    const v = values[at + i];
    sum += v * v;
  }
  return sum;
}

/**
 * Σθ² over values[at, at+n), adding twoL2·θ into grad[from…] (one pass on the kernel). The sum runs
 * in four lanes (element i in lane i mod 4, combined as (s0 + s2) + (s1 + s3), then the
 * n mod 4 last squares in order): the order of the SIMD kernel, which this calls when
 * both arrays live in the kernels' memory, so either way gives the same number.
 */
function squaresWithGrad(values: FloatArray, at: number, n: number, twoL2: number, grad: FloatArray, from: number): number {
  const kernels = elementwiseKernels();
  if (kernels) {
    const pValues = kernels.memory.pointer(values);
    const pGrad = kernels.memory.pointer(grad);
    if (pValues >= 0 && pGrad >= 0) return kernels.l2_grad(pValues + 4 * at, pGrad + 4 * from, n, twoL2);
  }
  // Without the kernel: the same sum, then the gradient in a second pass (each element's
  // update is one rounding either way).
  for (let i = 0; i < n; i++) grad[from + i] += twoL2 * values[at + i];
  return squares(values, at, n);
}
