import type { EncodedSplit } from '../data/dataset.js';
import type { Rng } from '../math/random.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { Objective } from '../objective/index.js';
import type { Optimizer } from '../optim/index.js';

/**
 * One minibatch update, with its buffers allocated once: gather the batch's window ids
 * and gold labels, forward, loss and ∂J/∂S, backward, optimiser step.
 */
export class TrainingStep {
  private readonly stride: number;
  private readonly batchIds: Int32Array;
  private readonly batchGold: Int32Array;
  private readonly dS: Float32Array;

  constructor(
    private readonly model: WindowScorer,
    private readonly objective: Objective,
    private readonly optimizer: Optimizer,
    private readonly split: EncodedSplit,
    readonly batchSize: number,
  ) {
    this.stride = split.windows.positions * split.windows.tables;
    this.batchIds = new Int32Array(batchSize * this.stride);
    this.batchGold = new Int32Array(batchSize);
    this.dS = new Float32Array(batchSize * model.K);
  }

  /** Trains on windows order[start .. start+B) and returns their summed loss (before the update). */
  run(order: Int32Array, start: number, B: number, lr: number, rng: Rng): number {
    const { model, stride, batchIds, batchGold, dS } = this;
    const { ids } = this.split.windows;
    for (let n = 0; n < B; n++) {
      const i = order[start + n];
      // A plain copy: a subarray view per window would allocate B objects every step.
      const from = i * stride;
      const to = n * stride;
      for (let k = 0; k < stride; k++) batchIds[to + k] = ids[from + k];
      batchGold[n] = this.split.gold[i];
    }
    if (model.dropout > 0) model.sampleDropoutMask(B, rng);
    model.zeroGrad();
    const S = model.forward(batchIds, B, true);
    // The step follows the batch-mean loss, so the learning rate does not scale with B.
    const loss = this.objective.loss(S, batchGold, B, model.K, dS, 1 / B);
    if (!Number.isFinite(loss)) return loss;
    model.backward(dS, batchIds, B);
    this.optimizer.step(model, lr);
    return loss;
  }
}
