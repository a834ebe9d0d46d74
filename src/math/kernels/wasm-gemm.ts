import { loadKernels, unavailableReason, type LoadedKernels } from './module.js';
import { CONTROL_BYTES, KernelThreads, MAX_CHUNKS, MAX_THREADS, OP_NN, OP_NT, OP_TN, type KernelArgs } from './threads.js';
import { BC_ROWS, BC_VECS, NT_COLS, NT_ROWS } from './tiles.js';
import { KernelMemory } from './kernel-memory.js';
import { SplitPolicy } from './split-policy.js';

/**
 * Float32 GEMM on the WebAssembly SIMD kernels. The operands are copied into a scratch
 * region of the kernels' shared memory (TypedArray.set is a memcpy; at B = 32 the copies
 * cost about 10% of the product's time, at B = 256 a few %), multiplied there, and C is
 * copied back; the region is reused,
 * so a call allocates nothing but a few views. With more than one thread, products large
 * enough to pay for the hand-off are split by output rows or columns across workers that
 * share the memory (threads.ts).
 */

/**
 * Products below this many floating-point operations (2·M·N·K) stay on the calling thread:
 * posting a part and collecting it costs a few microseconds, about what 2^18 flops take
 * (measured with scripts/bench-kernels.ts).
 */
const SPLIT_MIN_FLOPS = 1 << 18;


/** Chunk boundaries fall on whole register tiles, so each chunk runs full tiles (results do not depend on it). */
const NT_ALIGN_M = NT_ROWS;
const NT_ALIGN_N = NT_COLS;
const BC_ALIGN_M = BC_ROWS;
const BC_ALIGN_N = 4 * BC_VECS;

/** Byte offsets of the operands in the scratch region start on a cache line. */
const LINE = 64;
const pad = (bytes: number): number => Math.ceil(bytes / LINE) * LINE;

function newArgs(): KernelArgs {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}

export class WasmGemm {
  /** Allocates arrays in the kernels' memory (kernelFloats) and the scratch region below. */
  readonly memory: KernelMemory;
  /** Where operands that do not live in the memory are copied to; grows as needed. */
  private scratch: Float32Array;
  private threads: KernelThreads | null = null;
  private threadCount = 1;
  /** Argument lists of the chunks of a split call, allocated once. */
  private readonly parts: KernelArgs[] = Array.from({ length: MAX_CHUNKS }, newArgs);
  private readonly whole: KernelArgs = newArgs();
  /** Tiles per chunk of the current split call (guidedChunks). */
  private readonly sizes = new Int32Array(MAX_CHUNKS);
  private chunkOp = OP_NT;
  /** Runs chunk c of the current split call on this thread (one closure, made once). */
  private readonly runChunk = (c: number): void => this.call(this.chunkOp, this.parts[c]);
  /** Products split across threads so far (tests check that splits happen). */
  splits = 0;
  /** Learns whether splitting pays on this machine now; null: always split (tests, benchmarks). */
  policy: SplitPolicy | null = new SplitPolicy();

  constructor(private readonly kernels: LoadedKernels) {
    this.memory = new KernelMemory(kernels.memory, CONTROL_BYTES);
    this.scratch = new Float32Array(0);
  }

  /** Every export of the kernels' instance, by name. */
  get exports(): Record<string, unknown> {
    return this.kernels.exports;
  }

  /** Threads (the caller's included) that split large products. */
  setThreads(n: number): void {
    this.threadCount = Math.max(1, Math.min(MAX_THREADS, Math.floor(n)));
    if (this.threadCount > 1 && !this.threads) this.threads = new KernelThreads(this.kernels);
    this.threads?.resize(this.threadCount);
  }

  get threadsInUse(): number {
    return this.threadCount;
  }

  /** Blocks until the helper threads have started (at most timeoutMs); true if they all have. */
  waitForThreads(timeoutMs: number): boolean {
    return this.threads ? this.threads.waitUntilReady(timeoutMs) : true;
  }

  /** Chunks of split products that helper threads ran so far. */
  get helped(): number {
    return this.threads ? this.threads.helped : 0;
  }

  /** Helper threads running now. */
  get helpers(): number {
    return this.threads ? this.threads.helpers : 0;
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C (+ bias on every row, when given). Returns false,
   * having done nothing, when the kernels do not cover the case (AᵀBᵀ, or a product too
   * large for the memory); the caller then runs the plain kernel.
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, B: Float32Array, beta: number, C: Float32Array, bias: Float32Array | null,
  ): boolean {
    if (transA && transB) return false;
    const aLen = M * K;
    const bLen = K * N;
    const cLen = M * N;
    // Operands that live in the memory (kernel-memory.ts) are used where they are; the
    // others are copied into the scratch region (and C copied back from it).
    const memory = this.memory;
    let pA = memory.pointer(A);
    let pB = memory.pointer(B);
    let pC = memory.pointer(C);
    let pBias = bias ? memory.pointer(bias) : 0;
    const copyA = pA < 0 ? pad(4 * aLen) : 0;
    const copyB = pB < 0 ? pad(4 * bLen) : 0;
    const copyC = pC < 0 ? pad(4 * cLen) : 0;
    const copyBias = bias && pBias < 0 ? 4 * N : 0;
    if (copyA + copyB + copyC + copyBias > 0) {
      const scratch = this.scratchOf(copyA + copyB + copyC + copyBias);
      if (!scratch) return false;
      const base = memory.pointer(scratch);
      if (copyA) { pA = base; scratch.set(A.length === aLen ? A : A.subarray(0, aLen)); }
      if (copyB) { pB = base + copyA; scratch.set(B.length === bLen ? B : B.subarray(0, bLen), copyA >> 2); }
      if (copyC) {
        pC = base + copyA + copyB;
        if (beta !== 0) scratch.set(C.length === cLen ? C : C.subarray(0, cLen), (copyA + copyB) >> 2);
      }
      if (bias && copyBias) { pBias = base + copyA + copyB + copyC; scratch.set(bias.length === N ? bias : bias.subarray(0, N), (copyA + copyB + copyC) >> 2); }
    }
    // NT: A is M×K, B is N×K; NN: A is M×K, B is K×N; TN: A is K×M, B is K×N.
    const op = transB ? OP_NT : transA ? OP_TN : OP_NN;
    const w = this.whole;
    w[0] = M; w[1] = N; w[2] = K;
    w[3] = pA; w[4] = transA ? M : K;
    w[5] = pB; w[6] = transB ? K : N;
    w[7] = pC; w[8] = N;
    w[9] = alpha; w[10] = beta; w[11] = bias ? pBias : 0;
    if (!this.run(op, w)) {
      // A helper failed (it should not): stop the helpers and redo the product here, which
      // needs C as it was; a C updated in place (beta ≠ 0) cannot be redone.
      this.setThreads(1);
      if (beta !== 0 && !copyC) throw new Error('kernels: a helper thread failed during a product');
      if (beta !== 0) this.viewAt(pC, cLen).set(C.length === cLen ? C : C.subarray(0, cLen));
      this.call(op, w);
    }
    if (copyC) C.set(this.viewAt(pC, cLen));
    return true;
  }

  /** A view of n floats at byte address p of the memory. */
  private viewAt(p: number, n: number): Float32Array {
    return new Float32Array(this.kernels.memory.buffer, p, n);
  }

  /** The scratch region, at least `bytes` long (null when the memory cannot hold it). */
  private scratchOf(bytes: number): Float32Array | null {
    if (this.scratch.byteLength < bytes) {
      const grown = this.memory.alloc(Math.max(bytes, 2 * this.scratch.byteLength) / 4);
      if (!grown) return null;
      this.scratch = grown;
    }
    return this.scratch;
  }

  private call(op: number, a: KernelArgs): void {
    this.kernels.kernels[op](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11]);
  }

  /**
   * Runs one kernel call, cut into chunks that every thread claims from when it is large
   * enough and the policy finds that splitting pays. Returns false if a helper failed; the
   * product must then be redone (it may have been half written).
   */
  private run(op: number, whole: KernelArgs): boolean {
    const M = whole[0];
    const N = whole[1];
    const flops = 2 * M * N * whole[2];
    const threads = this.threads;
    if (!threads || threads.helpers === 0 || flops < SPLIT_MIN_FLOPS) {
      this.call(op, whole);
      return true;
    }
    const byColumns = N >= M;
    const align = op === OP_NT ? (byColumns ? NT_ALIGN_N : NT_ALIGN_M) : byColumns ? BC_ALIGN_N : BC_ALIGN_M;
    const extent = byColumns ? N : M;
    const tiles = Math.floor(extent / align);
    const P = Math.min(tiles, MAX_CHUNKS);
    const policy = this.policy;
    const split = P >= 2 && (!policy || policy.split(op, flops));
    const t0 = policy ? performance.now() : 0;
    let ok = true;
    if (split) {
      // Chunks of whole tiles, shrinking (see guidedChunks); the last takes the fringe.
      const chunks = guidedChunks(tiles, threads.helpers + 1, this.sizes);
      let lo = 0;
      for (let p = 0; p < chunks; p++) {
        const hi = p === chunks - 1 ? extent : lo + this.sizes[p] * align;
        this.part(op, whole, this.parts[p], byColumns, lo, hi);
        threads.setChunk(p, this.parts[p]);
        lo = hi;
      }
      this.splits++;
      this.chunkOp = op;
      ok = threads.run(op, chunks, this.runChunk);
    } else {
      this.call(op, whole);
    }
    if (policy && P >= 2) policy.record(op, flops, split, (performance.now() - t0) / 1000);
    return ok;
  }

  /** `out` = the arguments of `whole` restricted to output rows or columns [lo, hi). */
  private part(op: number, whole: KernelArgs, out: KernelArgs, byColumns: boolean, lo: number, hi: number): void {
    // [M, N, K, pA, lda, pB, ldb, pC, ldc, alpha, beta, pBias]
    for (let i = 0; i < 12; i++) out[i] = whole[i];
    if (byColumns) {
      out[1] = hi - lo;
      // Column j of C is row j of B for NT, column j of B otherwise.
      out[5] = whole[5] + 4 * lo * (op === OP_NT ? whole[6] : 1);
      out[7] = whole[7] + 4 * lo;
      if (whole[11] !== 0) out[11] = whole[11] + 4 * lo;
    } else {
      out[0] = hi - lo;
      // Row i of C is row i of A, or column i of A for TN.
      out[3] = whole[3] + 4 * lo * (op === OP_TN ? 1 : whole[4]);
      out[7] = whole[7] + 4 * lo * whole[8];
    }
  }

}

/**
 * Splits `units` (tiles, windows, element blocks) into at most MAX_CHUNKS chunks for
 * `threads` threads, writing their sizes to `sizes` and returning their number: each chunk
 * takes 1/(2·threads) of what is left (at least one unit), so the first are large and the
 * last small (guided self-scheduling). The threads claim chunks in order, and the caller
 * then waits for a helper only while the helper finishes a small chunk: with equal chunks
 * that wait was about half a chunk per call, a tenth of a B = 256 training step.
 */
export function guidedChunks(units: number, threads: number, sizes: Int32Array): number {
  let left = units;
  let n = 0;
  while (left > 0 && n < MAX_CHUNKS - 1) {
    const size = Math.max(1, Math.floor(left / (2 * threads)));
    sizes[n++] = size;
    left -= size;
  }
  if (left > 0) sizes[n++] = left;
  return n;
}

let instance: WasmGemm | null | undefined;
let enabled = true;
let threads = threadsFromEnvironment();
let splitting: 'adaptive' | 'always' = 'adaptive';

/**
 * NER_TRAIN_THREADS sets the thread count for the whole process (predict, evaluate, or a
 * program using the library); training.threads overrides it while training. Anything but
 * a whole number ≥ 1 leaves the default, 1.
 */
function threadsFromEnvironment(): number {
  const value = Number(process.env.NER_TRAIN_THREADS ?? '1');
  return Number.isInteger(value) && value >= 1 ? Math.min(value, MAX_THREADS) : 1;
}

function loaded(): WasmGemm | null {
  if (instance === undefined) {
    const kernels = loadKernels();
    instance = kernels ? new WasmGemm(kernels) : null;
    instance?.setThreads(threads);
    if (instance && splitting === 'always') instance.policy = null;
  }
  return instance;
}

/** The wasm GEMM when it is loaded and enabled, else null (gemm then runs the plain kernels). */
export function activeWasmGemm(): WasmGemm | null {
  return enabled ? loaded() : null;
}

/** What float32 products run on: 'wasm' (the default, when the kernels load) or 'plain' (the TypeScript reference). */
export type KernelBackend = 'wasm' | 'plain';

export function setKernelBackend(backend: KernelBackend): void {
  enabled = backend === 'wasm';
}

/**
 * Threads (the calling one included) that large float32 products are split across.
 * 1, the default, starts no worker. Results are bitwise the same for any count.
 */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setKernelThreads: expected an integer ≥ 1, got ${n}`);
  threads = Math.min(n, MAX_THREADS);
  // Loading is deferred to the first product, unless there are workers to start now.
  if (instance || threads > 1) loaded()?.setThreads(threads);
}

/**
 * 'adaptive' (the default): split a large product across the threads when timing shows
 * that it pays (see split-policy.ts); 'always': split every large product (tests of the
 * split, and benchmarks of what splitting gives).
 */
export function setKernelSplitting(mode: 'adaptive' | 'always'): void {
  splitting = mode;
  const wasm = loaded();
  if (wasm) wasm.policy = mode === 'adaptive' ? new SplitPolicy() : null;
}

/** The mode setKernelSplitting set, for the other ops that split (step-kernels.ts). */
export function kernelSplitting(): 'adaptive' | 'always' {
  return splitting;
}

/**
 * Helper threads start in the background and take work once they are ready (until then
 * the calling thread does it all). Blocks until they are, at most `timeoutMs`; true if
 * they all are. For benchmarks and tests; training does not need to wait.
 */
export function waitForKernelThreads(timeoutMs = 10_000): boolean {
  return loaded()?.waitForThreads(timeoutMs) ?? true;
}

export interface KernelInfo {
  backend: KernelBackend;
  threads: number;
  /** Products split across threads so far. */
  splits: number;
  /** Chunks of those that helper threads ran. */
  helped: number;
  /** Helper threads running (threads − 1 once started; 0 with one thread). */
  helpers: number;
  /** Why the wasm kernels are not in use, when they are not. */
  reason: string | null;
}

export function kernelInfo(): KernelInfo {
  const wasm = activeWasmGemm();
  return {
    backend: wasm ? 'wasm' : 'plain',
    threads: wasm ? wasm.threadsInUse : 1,
    splits: wasm ? wasm.splits : 0,
    helped: wasm ? wasm.helped : 0,
    helpers: wasm ? wasm.helpers : 0,
    reason: wasm ? null : enabled ? unavailableReason : 'disabled by setKernelBackend',
  };
}

/**
 * A zero-filled Float32Array of n elements in the kernels' shared memory when the kernels
 * load (the kernels then read and write it in place: see kernel-memory.ts for the one rule
 * that comes with it), else on the JavaScript heap. Either way an ordinary Float32Array.
 */
export function kernelFloats(n: number): Float32Array {
  return loaded()?.memory.alloc(n) ?? new Float32Array(n);
}

/**
 * Gives back at once the block of an array kernelFloats or kernelInt32s made (see
 * KernelMemory.free: it must not be used afterwards); nothing for any other array.
 */
export function releaseKernelArray(view: Float32Array | Int32Array): void {
  instance?.memory.free(view);
}

/** kernelFloats for int32 values (window ids the kernels read). */
export function kernelInt32s(n: number): Int32Array {
  return loaded()?.memory.allocInt32(n) ?? new Int32Array(n);
}

/**
 * The loaded kernels' exports and their memory's allocator, when the kernels are loaded
 * and enabled (setKernelBackend); null otherwise, and callers then run their TypeScript
 * loops.
 */
export function activeKernels(): { exports: Record<string, unknown>; memory: KernelMemory } | null {
  const wasm = activeWasmGemm();
  if (!wasm) return null;
  // One object per instance: this is asked several times per training step.
  if (activeView?.exports !== wasm.exports) activeView = { exports: wasm.exports, memory: wasm.memory };
  return activeView;
}

let activeView: { exports: Record<string, unknown>; memory: KernelMemory } | null = null;
