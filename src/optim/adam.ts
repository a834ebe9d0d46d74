import { allocate, type FloatArray } from '../math/matrix.js';
import type { WindowScorer } from '../model/window-scorer.js';
import type { Optimizer } from './optimizer.js';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Adam (Kingma & Ba) with bias correction. Embedding rows are updated lazily, as
 * PyTorch's SparseAdam does: a row's moments move only in steps whose batch used it,
 * while the bias correction follows the global step count.
 */
export function adam(model: WindowScorer, options: AdamOptions): Optimizer {
  const { beta1, beta2, eps } = options;
  const m = allocate(model.dtype, model.params.data.length);
  const v = allocate(model.dtype, model.params.data.length);
  const tableMoments = model.tables.map((table) =>
    table.trainable ? { m: allocate(model.dtype, table.data.length), v: allocate(model.dtype, table.data.length) } : null,
  );
  let t = 0;

  /** theta[at+i] with gradient grad[from+i], i < n; m and v share theta's layout. */
  function updateRange(theta: FloatArray, grad: FloatArray, mm: FloatArray, vv: FloatArray, at: number, from: number, n: number, stepSize: number, epsHat: number): void {
    for (let i = 0; i < n; i++) {
      const g = grad[from + i];
      const k = at + i;
      mm[k] = beta1 * mm[k] + (1 - beta1) * g;
      vv[k] = beta2 * vv[k] + (1 - beta2) * g * g;
      theta[k] -= (stepSize * mm[k]) / (Math.sqrt(vv[k]) + epsHat);
    }
  }

  return {
    name: 'adam',
    step(scorer: WindowScorer, lr: number): void {
      t++;
      // α·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), rewritten so the corrections fold
      // into one step size α·√(1−β2ᵗ)/(1−β1ᵗ) and ε·√(1−β2ᵗ): the same update, fewer divisions.
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      const stepSize = (lr * Math.sqrt(c2)) / c1;
      const epsHat = eps * Math.sqrt(c2);
      const dense = scorer.params.data;
      updateRange(dense, scorer.grads.data, m, v, 0, 0, dense.length, stepSize, epsHat);
      scorer.tableGrads.forEach((tg, index) => {
        const moments = tableMoments[index];
        if (!moments) return;
        const dim = tg.table.dim;
        for (let s = 0; s < tg.count; s++) {
          updateRange(tg.table.data, tg.grad, moments.m, moments.v, tg.rowIds[s] * dim, s * dim, dim, stepSize, epsHat);
        }
      });
    },
  };
}
