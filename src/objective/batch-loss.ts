import type { FloatArray } from '../math/matrix.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { Objective } from './objective.js';
import { MarginPairs, pairKinkDistance, pairMarginLoss } from './pairs.js';
import type { Regularizer } from './regularization.js';

/**
 * One minibatch as the scorer sees it: `rows` windows of ids, the first B of them true
 * windows with gold labels, the rest corrupted windows tied to a true one by `pairs`.
 */
export interface WindowBatch {
  ids: Int32Array;
  rows: number;
  B: number;
  gold: Int32Array;
  pairs: MarginPairs;
}

/**
 * The training objective of a batch, shared by the trainer and the gradient check so
 * that what is checked is what is trained:
 *   J = (1/B)·[Σ_{n<B} ℓ(s_n, y_n) + Σ_pairs max(0, Δ + s_y(corrupted) − s_y(true))] + R(θ)
 * with ℓ the per-window objective (absent for the entity detector) and R the weight penalty.
 */
export class BatchLoss {
  /** Summed data loss (before the 1/B) and the penalty of the last evaluation. */
  dataLoss = 0;
  penalty = 0;

  constructor(
    readonly objective: Objective | null,
    readonly margin: number,
    readonly regularizer: Regularizer,
  ) {}

  /**
   * Forward, loss, and with `withGrad` the gradients of J in model.grads and the tables'
   * sparse gradients (cleared first). `train` applies the dropout mask. dS: rows·K scratch.
   * Returns J. A non-finite data loss returns at once, before any backward. The embedding
   * penalty covers the rows named by the backward pass, so evaluate with `withGrad` when
   * l2_embeddings / l1_embeddings are on.
   */
  evaluate(model: WindowScorer, batch: WindowBatch, train: boolean, withGrad: boolean, dS: FloatArray): number {
    const { rows, B } = batch;
    const K = model.K;
    if (withGrad) model.zeroGrad();
    const S = model.forward(batch.ids, rows, train);
    const grad = withGrad ? dS : null;
    const scale = 1 / B;
    let loss = 0;
    if (this.objective) {
      loss += this.objective.loss(S, batch.gold, B, K, grad, scale);
      if (grad) grad.fill(0, B * K, rows * K);
    } else if (grad) {
      grad.fill(0, 0, rows * K);
    }
    loss += pairMarginLoss(S, K, batch.pairs, this.margin, grad, scale);
    this.dataLoss = loss;
    this.penalty = 0;
    if (!Number.isFinite(loss)) return loss;
    if (withGrad) model.backward(dS, batch.ids, rows);
    this.penalty = this.regularizer.apply(model, withGrad);
    return loss / B + this.penalty;
  }

  /** Distance from the nearest kink of any hinge (or of |θ| under L1) at the current parameters (gradcheck). */
  kinkDistance(model: WindowScorer, batch: WindowBatch, train: boolean): number {
    const S = model.forward(batch.ids, batch.rows, train);
    let nearest = pairKinkDistance(S, model.K, batch.pairs, this.margin);
    if (this.objective) nearest = Math.min(nearest, this.objective.kinkDistance(S, batch.gold, batch.B, model.K));
    return Math.min(nearest, this.regularizer.kinkDistance(model));
  }
}
