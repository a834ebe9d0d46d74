import type { WindowScorer } from '../../src/model/window-scorer.js';

/** What one training pass of a window scorer produced, copied out of its buffers. */
export interface Pass {
  S: Float32Array;
  grads: Float32Array;
  tables: Float32Array[];
  rows: Int32Array[];
}

/** One training forward (with a fixed dropout mask, when given) and backward; copies of everything it produced. */
export function pass(model: WindowScorer, ids: Int32Array, B: number, mask: Float32Array | null, dS: Float32Array): Pass {
  model.zeroGrad();
  if (mask) model.dropoutMask(B).set(mask);
  const S = Float32Array.from(model.forward(ids, B, true));
  model.backward(dS, ids, B);
  return {
    S,
    grads: Float32Array.from(model.grads.data),
    tables: model.tableGrads.map((g) => Float32Array.from(g.grad.subarray(0, g.count * g.table.dim))),
    rows: model.tableGrads.map((g) => Int32Array.from(g.rowIds.subarray(0, g.count))),
  };
}
