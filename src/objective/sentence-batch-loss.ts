import type { FloatArray } from '../math/matrix.js';
import type { TransitionParams } from '../model/transitions.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { Regularizer } from './regularization.js';
import { marginKinkDistance, SentenceWorkspace, sentenceLogLoss, sentenceMarginLoss } from './sentence.js';

/**
 * Whole sentences as the scorer sees them: the windows of every token of `sentences`
 * sentences, one row each, sentence s at rows [starts[s], starts[s+1]).
 */
export interface SentenceBatch {
  ids: Int32Array;
  rows: number;
  /** Gold label per row, never −1 (a type the labels do not know counts as O). */
  gold: Int32Array;
  starts: Int32Array;
  sentences: number;
}

export type SentenceLossKind = 'log-likelihood' | 'margin';

/**
 * The sentence-level objective of learned decoding, shared by the trainer and the
 * gradient check:
 *   J = (1/rows)·Σ_sentences ℓ(S_sentence, transitions, gold) + R(θ)
 * with ℓ the sentence log-likelihood (Collobert et al.'s SLL) or the structured hinge
 * against the loss-augmented best path, and R the weight penalty (never on transitions).
 */
export class SentenceBatchLoss {
  dataLoss = 0;
  penalty = 0;
  private readonly ws: SentenceWorkspace;

  constructor(
    readonly kind: SentenceLossKind,
    readonly margin: number,
    readonly regularizer: Regularizer,
    K: number,
  ) {
    this.ws = new SentenceWorkspace(K);
  }

  /** Forward, loss and (withGrad) the gradients of J in the scorer and in `transitions`. dS: rows·K scratch. */
  evaluate(model: WindowScorer, transitions: TransitionParams, batch: SentenceBatch, train: boolean, withGrad: boolean, dS: FloatArray): number {
    const { rows } = batch;
    const K = model.K;
    if (withGrad) {
      model.zeroGrad();
      transitions.zeroGrad();
      dS.fill(0, 0, rows * K);
    }
    const S = model.forward(batch.ids, rows, train);
    const scale = 1 / rows;
    const grads = withGrad ? { dS, dStart: transitions.gradStart, dTrans: transitions.gradTrans } : { dS: null, dStart: null, dTrans: null };
    let loss = 0;
    for (let s = 0; s < batch.sentences; s++) {
      const offset = batch.starts[s];
      const n = batch.starts[s + 1] - offset;
      loss +=
        this.kind === 'log-likelihood'
          ? sentenceLogLoss(S, offset, n, K, transitions, batch.gold, offset, grads.dS, grads.dStart, grads.dTrans, scale, this.ws)
          : sentenceMarginLoss(S, offset, n, K, transitions, batch.gold, offset, this.margin, grads.dS, grads.dStart, grads.dTrans, scale, this.ws);
    }
    this.dataLoss = loss;
    this.penalty = 0;
    if (!Number.isFinite(loss)) return loss;
    if (withGrad) model.backward(dS, batch.ids, rows);
    this.penalty = this.regularizer.apply(model, withGrad);
    return loss / rows + this.penalty;
  }

  /** The nearest kink of the structured hinge (Infinity for the smooth log-likelihood) and of |θ| under L1. */
  kinkDistance(model: WindowScorer, transitions: TransitionParams, batch: SentenceBatch, train: boolean): number {
    // Forward first in every case: callers read the pre-activations of this pass for the activation's kinks.
    const S = model.forward(batch.ids, batch.rows, train);
    let nearest = this.regularizer.kinkDistance(model);
    if (this.kind === 'log-likelihood') return nearest;
    for (let s = 0; s < batch.sentences; s++) {
      const offset = batch.starts[s];
      const n = batch.starts[s + 1] - offset;
      nearest = Math.min(nearest, marginKinkDistance(S, offset, n, model.K, transitions, batch.gold, offset, this.margin));
    }
    return nearest;
  }
}
