import { allocate, dtypeOf, type FloatArray } from '../math/matrix.js';
import type { SparseRowGrad } from '../model/embedding.js';
import type { Optimizer, ParameterGroups } from './optimizer.js';

/**
 * An exponential moving average of the weights, θ̄_t = β·θ̄_{t−1} + (1−β)·θ_t, kept next
 * to the optimiser (Polyak–Ruppert averaging in its exponential form): the averaged
 * weights smooth out the last steps' noise, and are what dev scoring and the checkpoints
 * use. The running sum starts at 0 and is divided by 1 − β^t when read, as Adam's bias
 * correction does, so the start of training does not pull the average towards the
 * initial weights.
 *
 * Embedding rows are averaged lazily, with the same result as an eager update: a row
 * the batch did not touch kept one value θ_row since it was last brought up to date at
 * step s, so k more steps of the recurrence give θ̄ ← β^k·θ̄ + (1−β^k)·θ_row in one go.
 * A touched row is brought up to date just before the optimiser moves it, and averaged
 * again just after; `apply` brings every row up to date. Each step costs O(dense
 * parameters + touched rows), never O(V·d).
 */
export class ParameterAverage {
  private readonly dense: { values: FloatArray; sum: FloatArray }[];
  private readonly tables: { tg: SparseRowGrad; sum: FloatArray; syncedAt: Float64Array }[];
  private t = 0;
  /** The live weights, saved while the averaged ones are swapped in. */
  private saved: FloatArray[] | null = null;

  constructor(groups: ParameterGroups, readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`ParameterAverage: decay must be in (0, 1), got ${decay}`);
    this.dense = groups.dense.map((segment) => ({ values: segment.values, sum: allocate(dtypeOf(segment.values), segment.values.length) }));
    this.tables = groups.tables
      .filter((tg) => tg.table.trainable)
      .map((tg) => ({ tg, sum: allocate(dtypeOf(tg.table.data), tg.table.data.length), syncedAt: new Float64Array(tg.table.rows) }));
  }

  /** Steps averaged so far. */
  get steps(): number {
    return this.t;
  }

  /** Before the optimiser moves the touched rows: bring them up to step t with the value they held since. */
  beforeStep(): void {
    for (const { tg, sum, syncedAt } of this.tables) {
      const dim = tg.table.dim;
      for (let s = 0; s < tg.count; s++) this.catchUp(tg.table.data, sum, syncedAt, tg.rowIds[s], dim, this.t);
    }
  }

  /** After the optimiser step: one step of the recurrence for the dense weights and the touched rows. */
  afterStep(): void {
    this.t++;
    const beta = this.decay;
    const gain = 1 - beta;
    for (const { values, sum } of this.dense) {
      for (let i = 0; i < values.length; i++) sum[i] = beta * sum[i] + gain * values[i];
    }
    for (const { tg, sum, syncedAt } of this.tables) {
      const dim = tg.table.dim;
      const data = tg.table.data;
      for (let s = 0; s < tg.count; s++) {
        const row = tg.rowIds[s];
        const at = row * dim;
        for (let j = 0; j < dim; j++) sum[at + j] = beta * sum[at + j] + gain * data[at + j];
        syncedAt[row] = this.t;
      }
    }
  }

  /**
   * Swaps the averaged weights in (every row brought up to date first); `restore` puts
   * the live weights back exactly. Before any step the average is the live weights.
   */
  apply(): void {
    if (this.saved) throw new Error('ParameterAverage.apply: the averaged weights are already in place');
    const saved: FloatArray[] = [];
    const debias = this.t > 0 ? 1 / (1 - Math.pow(this.decay, this.t)) : 0;
    for (const { values, sum } of this.dense) {
      saved.push(values.slice());
      if (this.t > 0) for (let i = 0; i < values.length; i++) values[i] = sum[i] * debias;
    }
    for (const { tg, sum, syncedAt } of this.tables) {
      const { data, rows, dim } = tg.table;
      saved.push(data.slice());
      if (this.t === 0) continue;
      for (let row = 0; row < rows; row++) this.catchUp(data, sum, syncedAt, row, dim, this.t);
      for (let i = 0; i < data.length; i++) data[i] = sum[i] * debias;
    }
    this.saved = saved;
  }

  /** Puts the live weights back after `apply`. */
  restore(): void {
    const saved = this.saved;
    if (!saved) throw new Error('ParameterAverage.restore: apply was not called');
    let k = 0;
    for (const { values } of this.dense) values.set(saved[k++]);
    for (const { tg } of this.tables) tg.table.data.set(saved[k++]);
    this.saved = null;
  }

  /** Runs `use` with the averaged weights in place, then restores the live ones (also when `use` throws). */
  async withAveraged<T>(use: () => T | Promise<T>): Promise<T> {
    this.apply();
    try {
      return await use();
    } finally {
      this.restore();
    }
  }

  /** The state that continues the average exactly (running sums, per-row sync steps, t). */
  exportState(): { steps: number; tensors: Record<string, FloatArray> } {
    const tensors: Record<string, FloatArray> = {};
    this.dense.forEach(({ sum }, i) => (tensors[`average.dense.${i}`] = sum.slice()));
    this.tables.forEach(({ tg, sum, syncedAt }) => {
      tensors[`average.table.${tg.table.name}`] = sum.slice();
      tensors[`average.table.${tg.table.name}.synced_at`] = syncedAt.slice();
    });
    return { steps: this.t, tensors };
  }

  importState(state: { steps: number; tensors: Record<string, FloatArray> }): void {
    const expected = this.exportState().tensors;
    for (const [key, array] of Object.entries(expected)) {
      const from = state.tensors[key];
      if (!from || from.length !== array.length) throw new Error(`parameter average: state tensor '${key}' is missing or has the wrong size`);
    }
    this.dense.forEach(({ sum }, i) => sum.set(state.tensors[`average.dense.${i}`]));
    this.tables.forEach(({ tg, sum, syncedAt }) => {
      sum.set(state.tensors[`average.table.${tg.table.name}`]);
      syncedAt.set(state.tensors[`average.table.${tg.table.name}.synced_at`]);
    });
    this.t = state.steps;
  }

  /** Row `row` of the running sum, brought from its last sync to step t, its value constant meanwhile. */
  private catchUp(data: FloatArray, sum: FloatArray, syncedAt: Float64Array, row: number, dim: number, t: number): void {
    const k = t - syncedAt[row];
    if (k <= 0) return;
    const keep = Math.pow(this.decay, k);
    const gain = 1 - keep;
    const at = row * dim;
    for (let j = 0; j < dim; j++) sum[at + j] = keep * sum[at + j] + gain * data[at + j];
    syncedAt[row] = t;
  }
}

/** The optimiser with the average updated around each of its steps; everything else passes through. */
export function withAverage(optimizer: Optimizer, average: ParameterAverage): Optimizer {
  return {
    name: optimizer.name,
    get steps(): number {
      return optimizer.steps;
    },
    step(lr: number): void {
      average.beforeStep();
      optimizer.step(lr);
      average.afterStep();
    },
    exportState: () => optimizer.exportState(),
    viewState: () => optimizer.viewState(),
    importState: (state) => optimizer.importState(state),
  };
}
