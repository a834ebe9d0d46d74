import { elementwiseKernels } from './kernels/elementwise.js';
import type { KernelMemory } from './kernels/kernel-memory.js';
import { kernelFloats } from './kernels/wasm-gemm.js';

/**
 * The one source of randomness: a seeded xoshiro128** generator. Every random choice
 * (initialisation, shuffling, dropout masks, corruption) draws from an instance passed in
 * explicitly, so the same seed gives the same numbers on every machine.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the 128-bit state (an all-zero state would be stuck).
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * out[i] = (uniform() < keep ? hit : miss) for i < n: the same draws and the same
   * decisions as that loop, one generator step per entry, but with the state held in
   * int32 locals for the whole run (no method call or double-valued field per draw), and
   * `uniform() < keep` tested as the exactly equivalent u < keep·2³² on the raw word.
   */
  fillBernoulli(out: { length: number; [i: number]: number }, n: number, keep: number, hit: number, miss: number): void {
    if (out instanceof Float32Array && this.fillBernoulliInKernels(out, n, keep, hit, miss)) return;
    // u < keep·2³² on the unsigned word u, tested on the signed word u − 2³¹ so that every
    // value in the loop stays an int32.
    const threshold = keep * 4294967296 - 2147483648;
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let i = 0; i < n; i++) {
      const r = Math.imul(s1, 5);
      const u = Math.imul((r << 7) | (r >>> 25), 9) ^ -2147483648;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = u < threshold ? hit : miss;
    }
    // Stored as the signed words (every use goes through ToInt32/ToUint32, and getState
    // normalises): no arithmetic after the loop, which an on-stack-replaced loop would
    // otherwise reach without type feedback and deoptimise on at every call.
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * fillBernoulli on the kernels (wat-elementwise.ts: the same generator steps and the same
   * decisions) when `out` lives in their memory; false, having drawn nothing, otherwise.
   */
  private fillBernoulliInKernels(out: Float32Array, n: number, keep: number, hit: number, miss: number): boolean {
    const kernels = elementwiseKernels();
    if (!kernels) return false;
    const pOut = kernels.memory.pointer(out);
    if (pOut < 0) return false;
    const state = kernelState(kernels.memory);
    if (!state) return false;
    const words = state.words;
    words[0] = this.s0;
    words[1] = this.s1;
    words[2] = this.s2;
    words[3] = this.s3;
    kernels.bernoulli(pOut, n, keep * 4294967296, hit, miss, state.pointer);
    this.s0 = words[0];
    this.s1 = words[1];
    this.s2 = words[2];
    this.s3 = words[3];
    return true;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (n <= 0) throw new RangeError(`Rng.int: n must be positive, got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let v = this.nextUint32();
    while (v >= limit) v = this.nextUint32();
    return v % n;
  }

  /**
   * Standard normal (Box–Muller). The second value of each pair is dropped rather than
   * cached, so the four state words are the whole state and getState/setState resume exactly.
   */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle in place; returns `out`. */
  shuffle<T extends { length: number; [i: number]: number }>(out: T): T {
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /** The full state, for checkpoints that resume exactly. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4) throw new RangeError('Rng.setState: expected 4 words');
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Four words in the kernels' memory that carry a generator's state into and out of the
 * Bernoulli kernel. `block` is the allocated view: held here so the words stay allocated.
 */
let stateWords: { memory: KernelMemory; block: Float32Array; words: Int32Array; pointer: number } | null = null;

function kernelState(memory: KernelMemory): { words: Int32Array; pointer: number } | null {
  if (stateWords?.memory !== memory) {
    const block = kernelFloats(4);
    const pointer = memory.pointer(block);
    if (pointer < 0) return null;
    stateWords = { memory, block, words: new Int32Array(block.buffer, block.byteOffset, 4), pointer };
  }
  return stateWords;
}
