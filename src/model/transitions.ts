import { allocate, type DTypeName, type FloatArray } from '../math/matrix.js';

/**
 * Learned tag-transition scores for sentence-level decoding: `start[j]` scores a sentence
 * beginning with label j, `trans[i·K + j]` label j following label i. They are added to the
 * window scores along a tag path; the gradient buffers have the same layout.
 */
export class TransitionParams {
  readonly start: FloatArray;
  readonly trans: FloatArray;
  readonly gradStart: FloatArray;
  readonly gradTrans: FloatArray;

  constructor(readonly K: number, dtype: DTypeName) {
    this.start = allocate(dtype, K);
    this.trans = allocate(dtype, K * K);
    this.gradStart = allocate(dtype, K);
    this.gradTrans = allocate(dtype, K * K);
  }

  zeroGrad(): void {
    this.gradStart.fill(0);
    this.gradTrans.fill(0);
  }
}
