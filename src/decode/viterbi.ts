import type { FloatArray } from '../math/matrix.js';
import type { TransitionMask } from './constraints.js';

/** Transition scores: start[j] scores a path beginning with label j, trans[i·K + j] label j after label i. */
export interface Transitions {
  start: FloatArray;
  trans: FloatArray;
}

/** Loss-augmented decoding: every label other than the gold one earns `margin` extra. */
export interface Augment {
  gold: Int32Array;
  goldOffset: number;
  margin: number;
}

/**
 * Scratch memory for `viterbi`, reused across sentences so that decoding a corpus allocates
 * nothing once the longest sentence has been seen. Scores are accumulated in float64 even
 * for float32 inputs, so that a long sentence's path score does not drift.
 */
export class ViterbiWorkspace {
  private K: number;
  private capacity: number;
  /** Best score of a prefix ending in each label, at the previous and the current token. */
  prev: Float64Array;
  cur: Float64Array;
  /** back[t·K + j]: the label before j on the best prefix ending in j at token t. */
  back: Int32Array;

  constructor(K: number, maxLength = 64) {
    this.K = K;
    this.capacity = Math.max(1, maxLength);
    this.prev = new Float64Array(K);
    this.cur = new Float64Array(K);
    this.back = new Int32Array(this.capacity * K);
  }

  /** Grows (never shrinks) to hold a sentence of n tokens over K labels. */
  ensure(n: number, K: number): void {
    if (K > this.K) {
      this.K = K;
      this.prev = new Float64Array(K);
      this.cur = new Float64Array(K);
      this.back = new Int32Array(this.capacity * K);
    }
    if (n > this.capacity) {
      // Doubling keeps the number of reallocations logarithmic in the longest sentence.
      this.capacity = Math.max(n, 2 * this.capacity);
      this.back = new Int32Array(this.capacity * this.K);
    }
  }
}

/**
 * The best path of one sentence: writes label ids to out[outOffset + t] and returns its
 * score (including the margins when `augment` is given). The sentence's scores are rows
 * offset..offset+n−1 of the row-major S (K per row).
 *
 * `transitions` null means all transition scores are 0; `mask` null means every move is
 * allowed, otherwise forbidden moves are never chosen. If the mask forbids every path the
 * result is −Infinity and the written path is meaningless.
 *
 * Ties go to the lower label id (at the last token and at every back-pointer), so the
 * result does not depend on anything but the scores. n = 0 writes nothing and returns 0.
 */
export function viterbi(
  S: FloatArray,
  offset: number,
  n: number,
  K: number,
  transitions: Transitions | null,
  mask: TransitionMask | null,
  out: Int32Array,
  outOffset: number,
  ws: ViterbiWorkspace,
  augment?: Augment,
): number {
  if (n <= 0) return 0;
  if (mask && mask.K !== K) throw new RangeError(`viterbi: mask is for ${mask.K} labels, scores have ${K}`);
  ws.ensure(n, K);
  const start = transitions ? transitions.start : null;
  const trans = transitions ? transitions.trans : null;
  const mStart = mask ? mask.start : null;
  const mTrans = mask ? mask.trans : null;
  const gold = augment ? augment.gold : null;
  const goldOffset = augment ? augment.goldOffset : 0;
  const margin = augment ? augment.margin : 0;
  const back = ws.back;
  let prev = ws.prev;
  let cur = ws.cur;

  const base = offset * K;
  const g0 = gold ? gold[goldOffset] : -1;
  for (let j = 0; j < K; j++) {
    if (mStart && mStart[j] === 0) {
      prev[j] = -Infinity;
      continue;
    }
    // Same summation order as pathScore, so the returned score matches it exactly.
    let v = (start ? start[j] : 0) + S[base + j];
    if (gold && j !== g0) v += margin;
    prev[j] = v;
  }

  for (let t = 1; t < n; t++) {
    const row = base + t * K;
    const bt = t * K;
    const gt = gold ? gold[goldOffset + t] : -1;
    for (let j = 0; j < K; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < K; i++) {
        const ij = i * K + j;
        if (mTrans && mTrans[ij] === 0) continue;
        const v = prev[i] + (trans ? trans[ij] : 0);
        // Strict: an equal score later in i never displaces the lower label id.
        if (v > best) {
          best = v;
          arg = i;
        }
      }
      back[bt + j] = arg;
      let v = best + S[row + j];
      if (gold && j !== gt) v += margin;
      cur[j] = v;
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }

  let best = -Infinity;
  let arg = 0;
  for (let j = 0; j < K; j++) {
    if (prev[j] > best) {
      best = prev[j];
      arg = j;
    }
  }
  out[outOffset + n - 1] = arg;
  for (let t = n - 1; t > 0; t--) {
    arg = back[t * K + arg];
    out[outOffset + t - 1] = arg;
  }
  return best;
}

/** score(path) = start[y0] + S[0, y0] + Σ_{t≥1} (trans[y_{t−1}, y_t] + S[t, y_t]), in float64. */
export function pathScore(
  S: FloatArray,
  offset: number,
  n: number,
  K: number,
  transitions: Transitions | null,
  path: Int32Array,
  pathOffset: number,
): number {
  if (n <= 0) return 0;
  const base = offset * K;
  let y = path[pathOffset];
  let score = (transitions ? transitions.start[y] : 0) + S[base + y];
  for (let t = 1; t < n; t++) {
    const next = path[pathOffset + t];
    score = score + (transitions ? transitions.trans[y * K + next] : 0) + S[base + t * K + next];
    y = next;
  }
  return score;
}
