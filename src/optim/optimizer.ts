import { allocateForKernels, dtypeOf, type FloatArray } from '../math/matrix.js';
import type { SparseRowGrad } from '../model/embedding.js';
import { elementwiseKernels, type ElementwiseKernels } from '../math/kernels/elementwise.js';
import type { KernelMemory } from '../math/kernels/kernel-memory.js';

/** A dense block of parameters with its gradient (same length) and a learning-rate multiplier (fan-in scaling). */
export interface DenseSegment {
  readonly name: string;
  readonly values: FloatArray;
  readonly grad: FloatArray;
  readonly lrScale: number;
}

/**
 * What an optimiser updates: dense segments every step; trainable embedding tables only at
 * the rows in the SparseRowGrad (read tg.grad / tg.rowIds / tg.count afresh every step:
 * SparseRowGrad reallocates them when it grows).
 */
export interface ParameterGroups {
  readonly dense: readonly DenseSegment[];
  readonly tables: readonly SparseRowGrad[];
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Applies one update with base learning rate lr from the gradients currently in the groups. */
  step(lr: number): void;
  /** Number of steps taken. */
  readonly steps: number;
  /** The optimiser's state (step count and named state arrays), for checkpoints/resume; importState restores it exactly. */
  exportState(): { steps: number; tensors: Record<string, FloatArray> };
  /** exportState without the copies: views of the live state, valid until the next step (for writing it out at once). */
  viewState(): { steps: number; tensors: Record<string, FloatArray> };
  importState(state: { steps: number; tensors: Record<string, FloatArray> }): void;
}

export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam';

export interface OptimizerOptions {
  name: OptimizerName;
  mu: number;
  nesterov: boolean;
  decay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * The elementwise update of θ[at+i] from g[from+i], i < n, with step size alpha. Every state
 * array has θ's layout, so it is indexed with `at` too.
 */
export type RangeRule = (
  theta: FloatArray,
  grad: FloatArray,
  state: readonly FloatArray[],
  at: number,
  from: number,
  n: number,
  alpha: number,
) => void;

/**
 * The same update as a RangeRule on the element-wise WebAssembly kernels: byte addresses of
 * θ, g and the (up to two) state arrays at the range's start, n elements. It must compute
 * exactly what the RangeRule computes (see wat-elementwise.ts).
 */
export type KernelRule = (kernels: ElementwiseKernels, pTheta: number, pGrad: number, pState0: number, pState1: number, n: number, alpha: number) => void;

/** One optimiser as the driver sees it: named per-parameter state arrays and a range rule. */
export interface UpdateRule {
  readonly name: OptimizerName;
  readonly stateNames: readonly string[];
  /** Called with the new step count before any range of that step (Adam's bias correction depends on it). */
  readonly begin?: (t: number) => void;
  readonly update: RangeRule;
  /** The kernel version of `update`, used when θ, g and the state all live in the kernels' memory. */
  readonly kernel?: KernelRule;
}

interface Slot<T> {
  readonly owner: T;
  readonly state: readonly FloatArray[];
}

/**
 * The driver shared by all optimisers.
 *
 * Embedding rows are updated lazily, as PyTorch's SparseAdam does: a row's parameters and
 * its state (velocity, G, m, v) move only in steps whose batch touched it; untouched rows
 * are left exactly as they were, with no decay of their state. An eager update would cost
 * O(V·dim) per step however small the batch; lazily it is proportional to the batch. The
 * step count is global, so Adam's bias correction for a row follows the global step, not
 * the number of times the row was touched. Dense segments are updated every step, zero
 * gradient or not.
 *
 * Tables that are not trainable are skipped even if their sparse gradient was filled.
 */
export function ruleOptimizer(groups: ParameterGroups, rule: UpdateRule): Optimizer {
  const keys = new Map<string, FloatArray>();
  const register = (prefix: string, values: FloatArray): FloatArray[] =>
    rule.stateNames.map((stateName) => {
      const key = `${prefix}.${stateName}`;
      if (keys.has(key)) throw new Error(`optimizer: two parameter groups are both named '${prefix}'`);
      const array = allocateForKernels(dtypeOf(values), values.length);
      keys.set(key, array);
      return array;
    });

  const dense: Slot<DenseSegment>[] = groups.dense.map((segment) => {
    if (segment.grad.length !== segment.values.length) {
      throw new Error(`optimizer: segment '${segment.name}' has ${segment.values.length} values but ${segment.grad.length} gradients`);
    }
    return { owner: segment, state: register(`dense.${segment.name}`, segment.values) };
  });
  const tables: Slot<SparseRowGrad>[] = groups.tables
    .filter((tg) => tg.table.trainable)
    .map((tg) => ({ owner: tg, state: register(`table.${tg.table.name}`, tg.table.data) }));

  const update = rule.update;
  const kernelRule = rule.kernel ?? null;
  let steps = 0;
  // Byte addresses of an array in the kernels' memory (−1: not there), looked up per step
  // because a table's sparse gradient is reallocated when it grows.
  const pointers = [0, 0, 0, 0];
  const locate = (memory: KernelMemory, theta: FloatArray, grad: FloatArray, state: readonly FloatArray[]): boolean => {
    if (state.length > 2) return false;
    pointers[0] = memory.pointer(theta);
    pointers[1] = memory.pointer(grad);
    pointers[2] = state.length > 0 ? memory.pointer(state[0]) : 0;
    pointers[3] = state.length > 1 ? memory.pointer(state[1]) : 0;
    return pointers[0] >= 0 && pointers[1] >= 0 && pointers[2] >= 0 && pointers[3] >= 0;
  };

  return {
    name: rule.name,
    get steps(): number {
      return steps;
    },

    step(lr: number): void {
      steps++;
      rule.begin?.(steps);
      const kernels = kernelRule ? elementwiseKernels() : null;
      for (let d = 0; d < dense.length; d++) {
        const { owner, state } = dense[d];
        const alpha = lr * owner.lrScale;
        if (kernelRule && kernels && locate(kernels.memory, owner.values, owner.grad, state)) {
          kernelRule(kernels, pointers[0], pointers[1], pointers[2], pointers[3], owner.values.length, alpha);
        } else {
          update(owner.values, owner.grad, state, 0, 0, owner.values.length, alpha);
        }
      }
      for (let k = 0; k < tables.length; k++) {
        const { owner: tg, state } = tables[k];
        const data = tg.table.data;
        const dim = tg.table.dim;
        const grad = tg.grad;
        const rowIds = tg.rowIds;
        const count = tg.count;
        if (kernelRule && kernels && locate(kernels.memory, data, grad, state)) {
          const [pt, pg, p0, p1] = pointers;
          const hasSecond = state.length > 1;
          for (let s = 0; s < count; s++) {
            const at = 4 * rowIds[s] * dim;
            kernelRule(kernels, pt + at, pg + 4 * s * dim, p0 + at, hasSecond ? p1 + at : 0, dim, lr);
          }
        } else {
          for (let s = 0; s < count; s++) update(data, grad, state, rowIds[s] * dim, s * dim, dim, lr);
        }
      }
    },

    exportState() {
      const tensors: Record<string, FloatArray> = {};
      for (const [key, array] of keys) tensors[key] = array.slice();
      return { steps, tensors };
    },

    viewState() {
      return { steps, tensors: Object.fromEntries(keys) };
    },

    importState(saved) {
      // Check everything before copying anything, so a rejected state leaves this one intact.
      if (!Number.isInteger(saved.steps) || saved.steps < 0) throw new Error(`optimizer: invalid step count ${saved.steps}`);
      for (const key of Object.keys(saved.tensors)) {
        if (!keys.has(key)) throw new Error(`optimizer '${rule.name}': unexpected state tensor '${key}'`);
      }
      for (const [key, array] of keys) {
        const from = saved.tensors[key];
        if (!from) throw new Error(`optimizer '${rule.name}': state tensor '${key}' is missing`);
        if (from.length !== array.length) throw new Error(`optimizer '${rule.name}': state tensor '${key}' has ${from.length} values, expected ${array.length}`);
      }
      for (const [key, array] of keys) array.set(saved.tensors[key]);
      steps = saved.steps;
    },
  };
}
