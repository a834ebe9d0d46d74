import type { Transitions } from '../../src/decode/viterbi.js';
import { allocate, type DTypeName, type FloatArray } from '../../src/math/matrix.js';
import type { Rng } from '../../src/math/random.js';

/** Brute-force truth for the decoding and sentence-loss tests: every path, scored from the definition. */

/** Every label path of length n over K labels, as arrays. */
export function* allPaths(n: number, K: number): Generator<number[]> {
  const y = new Array<number>(n).fill(0);
  for (;;) {
    yield y.slice();
    let t = n - 1;
    while (t >= 0 && y[t] === K - 1) y[t--] = 0;
    if (t < 0) return;
    y[t]++;
  }
}

/** The score of a path, written out from the definition (no transition scores when `tr` is null). */
export function pathScoreByDefinition(S: ArrayLike<number>, offset: number, K: number, tr: Transitions | null, y: ArrayLike<number>): number {
  let s = 0;
  for (let t = 0; t < y.length; t++) {
    s += S[(offset + t) * K + y[t]];
    if (tr) s += t === 0 ? tr.start[y[0]] : tr.trans[y[t - 1] * K + y[t]];
  }
  return s;
}

/** `length` values uniform in [−spread, spread). */
export function randomArray(rng: Rng, dtype: DTypeName, length: number, spread = 2): FloatArray {
  const a = allocate(dtype, length);
  for (let i = 0; i < length; i++) a[i] = rng.range(-spread, spread);
  return a;
}
