import type { WindowScorer } from '../model/window-scorer.js';
import type { Optimizer } from './optimizer.js';

/** Plain stochastic gradient descent: θ ← θ − α·∇θ. */
export function sgd(): Optimizer {
  return {
    name: 'sgd',
    step(model: WindowScorer, lr: number): void {
      const theta = model.params.data;
      const grad = model.grads.data;
      for (let i = 0; i < theta.length; i++) theta[i] -= lr * grad[i];
      for (const tg of model.tableGrads) {
        const { table } = tg;
        if (!table.trainable) continue;
        const dim = table.dim;
        const data = table.data;
        for (let s = 0; s < tg.count; s++) {
          const row = tg.rowIds[s] * dim;
          const g = s * dim;
          for (let e = 0; e < dim; e++) data[row + e] -= lr * tg.grad[g + e];
        }
      }
    },
  };
}
