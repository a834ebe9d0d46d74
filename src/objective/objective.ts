import type { FloatArray } from '../math/matrix.js';

/**
 * Every objective is one call: the summed loss of B windows given their scores S (B×K)
 * and gold labels, and, when dS is given, dS = scale · ∂(summed loss)/∂S. The trainer
 * passes scale = 1/B so the step follows the mean loss of the batch.
 */
export interface Objective {
  readonly name: string;
  loss(S: FloatArray, gold: Int32Array, B: number, K: number, dS: FloatArray | null, scale: number): number;
  /** How far the nearest hinge argument is from its kink (Infinity for smooth losses): gradcheck keeps clear of kinks. */
  kinkDistance(S: FloatArray, gold: Int32Array, B: number, K: number): number;
}
