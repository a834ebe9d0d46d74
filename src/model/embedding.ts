import { kernelInt32s } from '../math/kernels/wasm-gemm.js';
import { allocateForKernels, dtypeOf, type DTypeName, type FloatArray } from '../math/matrix.js';

/** One lookup table (words, caps, …): rows×dim, updated sparsely. */
export interface EmbeddingTable {
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  readonly data: FloatArray;
  readonly trainable: boolean;
}

export function createTable(name: string, rows: number, dim: number, dtype: DTypeName, trainable: boolean): EmbeddingTable {
  return { name, rows, dim, data: allocateForKernels(dtype, rows * dim), trainable };
}

/**
 * The gradient of a table restricted to the rows a batch used. A batch of B windows
 * touches at most B·w rows of V, so gradients and optimiser updates walk only those:
 * `rowIds[0..count)` are the touched rows, `grad` holds their gradients packed, and
 * `slotOf[row]` finds a row's slot (-1 when untouched).
 */
export class SparseRowGrad {
  readonly slotOf: Int32Array;
  rowIds: Int32Array;
  grad: FloatArray;
  count = 0;

  constructor(readonly table: EmbeddingTable, capacity: number) {
    // In the kernels' memory, where the scatter kernel reads and writes them.
    this.slotOf = kernelInt32s(table.rows).fill(-1);
    this.rowIds = kernelInt32s(capacity);
    this.grad = allocateForKernels(dtypeOf(table.data), capacity * table.dim);
  }

  /** grad[row] += src[offset .. offset+dim). */
  add(row: number, src: FloatArray, offset: number): void {
    let slot = this.slotOf[row];
    const dim = this.table.dim;
    if (slot < 0) {
      slot = this.count++;
      if (slot >= this.rowIds.length) this.growTo(slot + 1);
      this.slotOf[row] = slot;
      this.rowIds[slot] = row;
      // The first gradient of a row is stored, later ones added (+ 0 makes −0 +0, as
      // adding into a zeroed row would).
      const g = this.grad;
      const base = slot * dim;
      for (let j = 0; j < dim; j++) g[base + j] = src[offset + j] + 0;
      return;
    }
    const g = this.grad;
    const base = slot * dim;
    for (let j = 0; j < dim; j++) g[base + j] += src[offset + j];
  }

  /** Forget the touched rows; cost proportional to their number, not to V. */
  clear(): void {
    for (let s = 0; s < this.count; s++) this.slotOf[this.rowIds[s]] = -1;
    this.count = 0;
  }

  /** Room for `extra` more rows (the scatter kernel, which cannot grow the arrays, is given it first). */
  reserve(extra: number): void {
    if (this.count + extra > this.rowIds.length) this.growTo(this.count + extra);
  }

  private growTo(capacity: number): void {
    const bigger = Math.max(capacity, this.rowIds.length * 2);
    const rowIds = kernelInt32s(bigger);
    rowIds.set(this.rowIds);
    this.rowIds = rowIds;
    const grad = allocateForKernels(dtypeOf(this.grad), bigger * this.table.dim);
    grad.set(this.grad);
    this.grad = grad;
  }
}
