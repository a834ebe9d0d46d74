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
    const words = [0, 0, 0, 0];
    splitmix32(seed, words, 0, 1);
    [this.s0, this.s1, this.s2, this.s3] = words;
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
   * A Bernoulli mask, for dropout: out[i] = (u_i < keep·2³² ? hit : miss) for i < n, u_i
   * unsigned 32-bit words from four xoshiro128** streams, entry i taking the next word of
   * stream i mod 4 (so that the kernel draws four at a time on SIMD lanes). The streams are
   * seeded for each call from four words of this generator, spread by splitmix32 as the
   * constructor spreads a seed: this generator advances by exactly four words whatever n
   * is, and its four words stay the whole state (checkpoints resume exactly).
   */
  fillBernoulli(out: { length: number; [i: number]: number }, n: number, keep: number, hit: number, miss: number): void {
    const kernels = out instanceof Float32Array ? elementwiseKernels() : null;
    const pOut = kernels ? kernels.memory.pointer(out as Float32Array) : -1;
    const scratch = kernels && pOut >= 0 ? kernelStreams(kernels.memory) : null;
    const words = scratch ? scratch.words : heapStreams;
    for (let lane = 0; lane < 4; lane++) splitmix32(this.nextUint32(), words, lane, 4);
    // u < keep·2³² for a whole u is u ≤ ⌈keep·2³²⌉ − 1; −1 (keep ≤ 0): never.
    const last = Math.min(4294967295, Math.ceil(keep * 4294967296) - 1);
    if (kernels && scratch) {
      kernels.bernoulli(pOut, n, last >= 0 ? last | 0 : 0, last >= 0 ? 1 : 0, hit, miss, scratch.pointer);
      return;
    }
    fillFromStreams(out, n, words, last, hit, miss);
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

/** Where the four streams' words are laid out, word w of stream s at 4w + s (a SIMD lane per stream). */
const heapStreams = new Int32Array(16);

/**
 * The same 16 words in the kernels' memory, for the kernel to load. `block` is the allocated
 * view, held here so that the words stay allocated.
 */
let streamWords: { memory: KernelMemory; block: Float32Array; words: Int32Array; pointer: number } | null = null;

function kernelStreams(memory: KernelMemory): { words: Int32Array; pointer: number } | null {
  if (streamWords?.memory !== memory) {
    const block = kernelFloats(16);
    const pointer = memory.pointer(block);
    if (pointer < 0) return null;
    streamWords = { memory, block, words: new Int32Array(block.buffer, block.byteOffset, 16), pointer };
  }
  return streamWords;
}

/** splitmix32's first four outputs from `seed` into out[at], out[at + stride], … */
function splitmix32(seed: number, out: { [i: number]: number }, at: number, stride: number): void {
  let x = seed >>> 0;
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    out[at + k * stride] = (z ^ (z >>> 16)) >>> 0;
  }
}

/** fillBernoulli's loop in TypeScript: four xoshiro128** streams interleaved, u ≤ last keeps. */
function fillFromStreams(out: { [i: number]: number }, n: number, words: Int32Array, last: number, hit: number, miss: number): void {
  for (let lane = 0; lane < 4; lane++) {
    let s0 = words[lane];
    let s1 = words[4 + lane];
    let s2 = words[8 + lane];
    let s3 = words[12 + lane];
    for (let i = lane; i < n; i += 4) {
      const r = Math.imul(s1, 5);
      const u = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = u <= last ? hit : miss;
    }
  }
}
