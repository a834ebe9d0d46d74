import { pathScore, viterbi, ViterbiWorkspace, type Augment, type Transitions } from '../decode/viterbi.js';
import type { FloatArray } from '../math/matrix.js';

/**
 * Sentence-level objectives over a tag path: the window scores S of the sentence's tokens
 * plus learned transition scores,
 *   score(y) = start[y0] + S[0, y0] + Σ_{t≥1} (trans[y_{t−1}, y_t] + S[t, y_t]).
 *
 * Gold labels must be valid ids (0 ≤ gold < K): a type the label set does not know (−1)
 * has to be mapped to O by the caller, because a path cannot pass through "no label".
 *
 * Both losses ADD scale·gradient into dS (the sentence's rows only), dStart and dTrans, so
 * that a batch of sentences accumulates into buffers the caller zeroed once; each returns
 * the sentence's own, unscaled loss.
 */

/**
 * Scratch memory reused across sentences: forward/backward tables, a float64 accumulator
 * for the expected transition counts, the Viterbi buffers and the last decoded path.
 * Grows with the longest sentence (and K) and never shrinks.
 */
export class SentenceWorkspace {
  private K: number;
  private capacity = 0;
  alpha = new Float64Array(0);
  beta = new Float64Array(0);
  /** S[t, ·] + beta[t, ·] of the token being processed. */
  emitBeta: Float64Array;
  /** exp(alpha − max) and exp(emitBeta − max) of one token, and exp(trans − max trans). */
  expA: Float64Array;
  expB: Float64Array;
  expTrans: Float64Array;
  transAcc: Float64Array;
  path = new Int32Array(0);
  private length = 0;
  readonly viterbi: ViterbiWorkspace;
  /** Reused so that loss-augmented decoding allocates nothing per sentence. */
  readonly augment: Augment = { gold: new Int32Array(0), goldOffset: 0, margin: 0 };

  constructor(K: number) {
    this.K = K;
    this.emitBeta = new Float64Array(K);
    this.expA = new Float64Array(K);
    this.expB = new Float64Array(K);
    this.expTrans = new Float64Array(K * K);
    this.transAcc = new Float64Array(K * K);
    this.viterbi = new ViterbiWorkspace(K);
    this.ensure(32, K);
  }

  ensure(n: number, K: number): void {
    if (K > this.K) {
      this.K = K;
      this.emitBeta = new Float64Array(K);
      this.expA = new Float64Array(K);
      this.expB = new Float64Array(K);
      this.expTrans = new Float64Array(K * K);
      this.transAcc = new Float64Array(K * K);
      this.capacity = 0;
    }
    if (n > this.capacity) {
      this.capacity = Math.max(n, 2 * this.capacity);
      this.alpha = new Float64Array(this.capacity * this.K);
      this.beta = new Float64Array(this.capacity * this.K);
      this.path = new Int32Array(this.capacity);
    }
    this.viterbi.ensure(n, K);
  }

  /** The path the last `sentenceMarginLoss` chose (a view: it changes with the next call). */
  get lastPath(): Int32Array {
    return this.path.subarray(0, this.length);
  }

  /** Only sentenceMarginLoss calls this: lastPath must describe the sentence just decoded. */
  setLastLength(n: number): void {
    this.length = n;
  }
}

function checkGold(gold: Int32Array, goldOffset: number, n: number, K: number): void {
  for (let t = 0; t < n; t++) {
    const y = gold[goldOffset + t];
    if (!(y >= 0 && y < K)) {
      throw new RangeError(`sentence loss: gold label ${y} at token ${t} is not in [0, ${K}) (map unknown types to O)`);
    }
  }
}

/**
 * Sentence-level log-likelihood (Collobert et al.'s SLL):
 *   ℓ = log Σ_y exp score(y) − score(gold)
 * by the forward algorithm in log space, so that scores in the thousands neither overflow
 * nor lose the small terms. The gradient is expected minus gold counts, from forward–backward:
 *   dS[t, j]  += scale·(p(y_t = j) − 1[gold_t = j])
 *   dTrans[i, j] += scale·(Σ_t p(y_{t−1} = i, y_t = j) − #gold moves i→j)
 *   dStart[j] += scale·(p(y_0 = j) − 1[gold_0 = j])
 * The backward pass is skipped when no gradient buffer is given.
 */
export function sentenceLogLoss(
  S: FloatArray,
  offset: number,
  n: number,
  K: number,
  transitions: Transitions,
  gold: Int32Array,
  goldOffset: number,
  dS: FloatArray | null,
  dStart: FloatArray | null,
  dTrans: FloatArray | null,
  scale: number,
  ws: SentenceWorkspace,
): number {
  if (n <= 0) return 0;
  checkGold(gold, goldOffset, n, K);
  ws.ensure(n, K);
  const { start, trans } = transitions;
  const { alpha, beta, expTrans, expA, expB, emitBeta: eb } = ws;
  const base = offset * K;

  // exp(trans − max trans), once per sentence: it turns each token's K² exponentials into
  // K exponentials and K² multiplications. Every factorised sum below is checked against
  // underflow and redone exactly (per-term max-subtracted logsumexp) when it is too small
  // to be trusted, so extreme scores cost speed, never accuracy.
  let mT = -Infinity;
  for (let k = 0; k < K * K; k++) if (trans[k] > mT) mT = trans[k];
  const fast = Number.isFinite(mT);
  if (fast) for (let k = 0; k < K * K; k++) expTrans[k] = Math.exp(trans[k] - mT);

  for (let j = 0; j < K; j++) alpha[j] = start[j] + S[base + j];
  for (let t = 1; t < n; t++) {
    const a0 = (t - 1) * K;
    const row = base + t * K;
    const ma = maxOf(alpha, a0, K);
    if (ma === -Infinity) {
      alpha.fill(-Infinity, t * K, t * K + K);
      continue;
    }
    if (fast) for (let i = 0; i < K; i++) expA[i] = Math.exp(alpha[a0 + i] - ma);
    for (let j = 0; j < K; j++) {
      if (fast) {
        let sum = 0;
        for (let i = 0; i < K; i++) sum += expA[i] * expTrans[i * K + j];
        if (sum > TINY) {
          alpha[t * K + j] = ma + mT + Math.log(sum) + S[row + j];
          continue;
        }
      }
      alpha[t * K + j] = logSumExpInto(alpha, a0, trans, j, K) + S[row + j];
    }
  }
  const logZ = logSumExp(alpha, (n - 1) * K, K);
  const goldScore = pathScore(S, offset, n, K, transitions, gold, goldOffset);
  const loss = logZ - goldScore;
  if ((!dS && !dStart && !dTrans) || !Number.isFinite(logZ)) return loss;

  const last = (n - 1) * K;
  for (let j = 0; j < K; j++) beta[last + j] = 0;
  for (let t = n - 2; t >= 0; t--) {
    const next = (t + 1) * K;
    const row = base + (t + 1) * K;
    for (let j = 0; j < K; j++) eb[j] = S[row + j] + beta[next + j];
    const mb = maxOf(eb, 0, K);
    if (mb === -Infinity) {
      beta.fill(-Infinity, t * K, t * K + K);
      continue;
    }
    if (fast) for (let j = 0; j < K; j++) expB[j] = Math.exp(eb[j] - mb);
    for (let i = 0; i < K; i++) {
      if (fast) {
        let sum = 0;
        for (let j = 0; j < K; j++) sum += expTrans[i * K + j] * expB[j];
        if (sum > TINY) {
          beta[t * K + i] = mb + mT + Math.log(sum);
          continue;
        }
      }
      beta[t * K + i] = logSumExpFrom(trans, i * K, eb, K);
    }
  }

  if (dS || dStart) {
    for (let t = 0; t < n; t++) {
      const g = gold[goldOffset + t];
      const row = base + t * K;
      for (let j = 0; j < K; j++) {
        const p = Math.exp(alpha[t * K + j] + beta[t * K + j] - logZ);
        const d = p - (j === g ? 1 : 0);
        if (dS) dS[row + j] += scale * d;
        if (t === 0 && dStart) dStart[j] += scale * d;
      }
    }
  }

  if (dTrans && n > 1) {
    // Summed over the sentence in float64 first: a float32 dTrans would otherwise round at every token.
    const acc = ws.transAcc;
    acc.fill(0, 0, K * K);
    for (let t = 1; t < n; t++) {
      const row = base + t * K;
      const a0 = (t - 1) * K;
      for (let j = 0; j < K; j++) eb[j] = S[row + j] + beta[t * K + j];
      const ma = maxOf(alpha, a0, K);
      const mb = maxOf(eb, 0, K);
      // p(i, j) = exp(α_i − ma)·exp(trans_ij − mT)·exp(eb_j − mb)·exp(shift); shift ≥ 0 since
      // logZ bounds every term's log. A factor that underflows then loses at most e^(shift − 708)
      // of probability, negligible while shift ≤ MAX_SHIFT; beyond that, or with an unbounded
      // factor, every term is exponentiated on its own.
      const shift = ma + mT + mb - logZ;
      if (fast && shift <= MAX_SHIFT) {
        const f = Math.exp(shift);
        for (let j = 0; j < K; j++) expB[j] = Math.exp(eb[j] - mb);
        for (let i = 0; i < K; i++) {
          const fi = f * Math.exp(alpha[a0 + i] - ma);
          if (fi === 0) continue;
          for (let j = 0; j < K; j++) acc[i * K + j] += fi * expTrans[i * K + j] * expB[j];
        }
      } else {
        for (let i = 0; i < K; i++) {
          const a = alpha[a0 + i] - logZ;
          if (a === -Infinity) continue;
          for (let j = 0; j < K; j++) acc[i * K + j] += Math.exp(a + trans[i * K + j] + eb[j]);
        }
      }
      acc[gold[goldOffset + t - 1] * K + gold[goldOffset + t]] -= 1;
    }
    for (let k = 0; k < K * K; k++) dTrans[k] += scale * acc[k];
  }
  return loss;
}

/** Below this a factorised sum of exponentials may have lost its largest terms to underflow. */
const TINY = 1e-250;
/** The largest rescaling exponent trusted in the factorised pairwise marginals (e^600 is finite). */
const MAX_SHIFT = 600;

function maxOf(x: Float64Array, from: number, K: number): number {
  let m = -Infinity;
  for (let j = 0; j < K; j++) if (x[from + j] > m) m = x[from + j];
  return m;
}

/** log Σ_i exp(alpha[a0 + i] + trans[i·K + j]), term by term. */
function logSumExpInto(alpha: Float64Array, a0: number, trans: FloatArray, j: number, K: number): number {
  let m = -Infinity;
  for (let i = 0; i < K; i++) {
    const v = alpha[a0 + i] + trans[i * K + j];
    if (v > m) m = v;
  }
  // All predecessors impossible (−∞ transitions): −∞ − −∞ would be NaN.
  if (m === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < K; i++) sum += Math.exp(alpha[a0 + i] + trans[i * K + j] - m);
  return m + Math.log(sum);
}

/** log Σ_j exp(trans[r0 + j] + eb[j]), term by term. */
function logSumExpFrom(trans: FloatArray, r0: number, eb: Float64Array, K: number): number {
  let m = -Infinity;
  for (let j = 0; j < K; j++) {
    const v = trans[r0 + j] + eb[j];
    if (v > m) m = v;
  }
  if (m === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < K; j++) sum += Math.exp(trans[r0 + j] + eb[j] - m);
  return m + Math.log(sum);
}

function logSumExp(x: Float64Array, from: number, K: number): number {
  const m = maxOf(x, from, K);
  if (m === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < K; j++) sum += Math.exp(x[from + j] - m);
  return m + Math.log(sum);
}

/**
 * Structured max-margin (structured hinge): ŷ is the loss-augmented best path, every wrong
 * label earning `margin` (no IOB2 mask: the scores must learn the scheme, and a masked
 * maximum would not bound the training error on forbidden paths), and
 *   ℓ = score(ŷ) + margin·Hamming(ŷ, gold) − score(gold)  ≥ 0.
 * The subgradient is +scale on ŷ's emissions, start and transitions and −scale on gold's;
 * where the two paths agree the terms cancel and nothing is written. ŷ is kept in
 * `ws.lastPath`.
 */
export function sentenceMarginLoss(
  S: FloatArray,
  offset: number,
  n: number,
  K: number,
  transitions: Transitions,
  gold: Int32Array,
  goldOffset: number,
  margin: number,
  dS: FloatArray | null,
  dStart: FloatArray | null,
  dTrans: FloatArray | null,
  scale: number,
  ws: SentenceWorkspace,
): number {
  ws.setLastLength(0);
  if (n <= 0) return 0;
  checkGold(gold, goldOffset, n, K);
  ws.ensure(n, K);
  const aug = ws.augment;
  aug.gold = gold;
  aug.goldOffset = goldOffset;
  aug.margin = margin;
  const path = ws.path;
  const augmented = viterbi(S, offset, n, K, transitions, null, path, 0, ws.viterbi, aug);
  ws.setLastLength(n);

  let same = true;
  for (let t = 0; t < n; t++) {
    if (path[t] !== gold[goldOffset + t]) {
      same = false;
      break;
    }
  }
  if (same) return 0;
  // Rounding can leave a tie marginally below zero; the hinge is never negative.
  const loss = Math.max(0, augmented - pathScore(S, offset, n, K, transitions, gold, goldOffset));

  const base = offset * K;
  for (let t = 0; t < n; t++) {
    const y = path[t];
    const g = gold[goldOffset + t];
    if (y !== g) {
      if (dS) {
        dS[base + t * K + y] += scale;
        dS[base + t * K + g] -= scale;
      }
      if (t === 0 && dStart) {
        dStart[y] += scale;
        dStart[g] -= scale;
      }
    }
    if (t > 0 && dTrans) {
      const from = path[t - 1] * K + y;
      const goldFrom = gold[goldOffset + t - 1] * K + g;
      if (from !== goldFrom) {
        dTrans[from] += scale;
        dTrans[goldFrom] -= scale;
      }
    }
  }
  return loss;
}

/**
 * How far the structured hinge is from a kink, for gradient checks: the gap between the
 * best and the second-best loss-augmented path scores (0 at a tie, where the maximising
 * path and so the gradient switch). Exact for any n and K, by a 2-best Viterbi that keeps
 * the two best distinct prefixes ending in each label. Infinity when there is only one path.
 */
export function marginKinkDistance(
  S: FloatArray,
  offset: number,
  n: number,
  K: number,
  transitions: Transitions,
  gold: Int32Array,
  goldOffset: number,
  margin: number,
): number {
  if (n <= 0) return Infinity;
  const { start, trans } = transitions;
  const base = offset * K;
  let best = new Float64Array(K);
  let second = new Float64Array(K);
  let nextBest = new Float64Array(K);
  let nextSecond = new Float64Array(K);
  const g0 = gold[goldOffset];
  for (let j = 0; j < K; j++) {
    best[j] = start[j] + S[base + j] + (j !== g0 ? margin : 0);
    second[j] = -Infinity;
  }
  for (let t = 1; t < n; t++) {
    const g = gold[goldOffset + t];
    const row = base + t * K;
    for (let j = 0; j < K; j++) {
      let m1 = -Infinity;
      let m2 = -Infinity;
      for (let i = 0; i < K; i++) {
        const tr = trans[i * K + j];
        for (const v of [best[i] + tr, second[i] + tr]) {
          if (v > m1) {
            m2 = m1;
            m1 = v;
          } else if (v > m2) {
            m2 = v;
          }
        }
      }
      const add = S[row + j] + (j !== g ? margin : 0);
      nextBest[j] = m1 + add;
      nextSecond[j] = m2 + add;
    }
    [best, nextBest] = [nextBest, best];
    [second, nextSecond] = [nextSecond, second];
  }
  let m1 = -Infinity;
  let m2 = -Infinity;
  for (let j = 0; j < K; j++) {
    for (const v of [best[j], second[j]]) {
      if (v > m1) {
        m2 = m1;
        m1 = v;
      } else if (v > m2) {
        m2 = v;
      }
    }
  }
  return m2 === -Infinity ? Infinity : m1 - m2;
}
