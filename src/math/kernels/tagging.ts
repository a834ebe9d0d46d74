import type { ActivationName } from '../activations.js';
import type { KernelMemory } from './kernel-memory.js';
import { exportedFunction, KERNEL_NAMES, type Kernel } from './module.js';
import { kernelThreadsOf, MAX_CHUNKS, type KernelArgs, type KernelThreads } from './threads.js';
import { activeKernels, guidedChunks } from './wasm-gemm.js';

/**
 * The tagging kernels (wat-tagging.ts), typed, for PrecomputedScorer, and the split of a
 * pass's windows over the kernels' threads. Pointers are byte addresses in `memory`;
 * callers use them only when every array lives there.
 */
export interface TaggingKernels {
  readonly memory: KernelMemory;
  /**
   * A[i·lda ..] = f(Σ_j row(i, j) + bias) for n windows: see wat-tagging.ts. The 12-argument
   * shape of the kernels; pass 0 for the unused arguments.
   */
  tag_hidden: Kernel;
  /** tag_hidden, then S = A·Uᵀ + c, the sizes in a parameter block (TAG_PARAMS ints): see wat-tagging.ts. */
  tag_windows: Kernel;
  /**
   * Row addresses of `count` tokens from a direct index (see wat-tagging.ts): the number of
   * tokens without a row, or −1 for an id out of range.
   */
  tag_locate: (count: number, pIds: number, T: number, pRadices: number, pIndex: number, pRowAt: number) => number;
  /** The threads the kernels run on (setKernelThreads), or null with one thread. */
  readonly threads: KernelThreads | null;
}

/** tag_hidden's `act` argument for each activation. */
export const ACTIVATION_CODES: Record<ActivationName, number> = {
  tanh: 0,
  sigmoid: 1,
  hardtanh: 2,
  softsign: 3,
  relu: 4,
  'leaky-relu': 5,
};

/** tag_windows' op: its index in KERNEL_NAMES, which is how a helper thread finds it. */
const OP_TAG = KERNEL_NAMES.indexOf('tag_windows');

/**
 * Ints in tag_windows' parameter block: w, Hp, H, K, pBias, pU, pc, act, slope bits, rows
 * ahead to touch, then for chunks that locate their rows: T, pRadices, pIndex.
 */
export const TAG_PARAMS = 13;

let cached: { exports: Record<string, unknown>; kernels: TaggingKernels } | null = null;

/** The tagging kernels when the WebAssembly kernels are loaded and enabled (setKernelBackend), else null. */
export function taggingKernels(): TaggingKernels | null {
  const active = activeKernels();
  if (!active) return null;
  const e = active.exports;
  if (cached?.exports !== e) {
    cached = {
      exports: e,
      kernels: {
        memory: active.memory,
        tag_hidden: exportedFunction(e, 'tag_hidden'),
        tag_windows: exportedFunction(e, 'tag_windows'),
        tag_locate: exportedFunction(e, 'tag_locate'),
        // Looked up on every use: threads start when setKernelThreads asks for more than one.
        get threads() {
          return kernelThreadsOf(e);
        },
      },
    };
  }
  return cached.kernels;
}

/**
 * Windows per unit of a chunk: a chunk should take well over the microsecond or so a claim
 * costs (a window takes about a microsecond on the bench's shape).
 */
const UNIT_WINDOWS = 8;

/** One pass in this many takes the way the averages do not prefer, to keep both current. */
const EXPLORE = 16;
/** Weight of the newest timing in a moving average. */
const RATE = 0.25;
/** Split passes not timed at first: a helper's first chunks run before V8 has optimised its code. */
const SPLIT_WARMUP = 8;
/** Splitting stays the choice until it is this much slower than not splitting, per window. */
const SPLIT_TOLERANCE = 1.3;

/**
 * Whether to split the next pass over the threads, learned from the passes themselves, as
 * wasm-gemm.ts's SplitPolicy does for products: on a quiet machine a second thread makes a
 * pass about 1.5× as fast, on a busy one a helper descheduled while it holds a chunk makes
 * the caller wait. Passes are timed per window; splitting is preferred unless it is clearly
 * slower, because the noise of passes that also fill rows (first sight of their tokens)
 * otherwise makes it flip to the slower way for long stretches.
 */
class TagSplitPolicy {
  private split = 0;
  private whole = 0;
  private calls = 0;
  private splitsSeen = 0;

  choose(): boolean {
    const n = this.calls++;
    if (this.split === 0) return true;
    if (this.whole === 0) return false;
    const prefer = this.split <= SPLIT_TOLERANCE * this.whole;
    return n % EXPLORE === EXPLORE - 1 ? !prefer : prefer;
  }

  record(split: boolean, secondsPerWindow: number): void {
    if (split) {
      if (this.splitsSeen++ < SPLIT_WARMUP) return;
      this.split = this.split === 0 ? secondsPerWindow : this.split + RATE * (secondsPerWindow - this.split);
    } else {
      this.whole = this.whole === 0 ? secondsPerWindow : this.whole + RATE * (secondsPerWindow - this.whole);
    }
  }
}

/**
 * Runs tag_windows over n windows, split into chunks of windows over the kernels' threads
 * when there are helpers and timing shows that it pays (TagSplitPolicy). Every window is
 * computed by the same instructions whoever runs it, so the result is bitwise the same
 * either way.
 */
export class TagWindowsRunner {
  private readonly parts: KernelArgs[] = Array.from({ length: MAX_CHUNKS }, (): KernelArgs => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  private readonly policy = new TagSplitPolicy();
  private readonly sizes = new Int32Array(MAX_CHUNKS);
  private kernels: TaggingKernels | null = null;
  private readonly runChunk = (c: number): void => {
    const a = this.parts[c];
    this.kernels?.tag_windows(a[0], a[1], a[2], a[3], a[4], a[5], a[6], 0, 0, 0, 0, 0);
  };
  /** After a run that located rows: the windows of the chunks that failed, [redoFrom, redoTo). */
  redoFrom = 0;
  redoTo = 0;
  /** Passes split across threads so far (tests). */
  splits = 0;

  /**
   * Windows [0, n) with their row addresses at pRows (w per window), A rows of Hp floats at
   * pA and score rows of K floats at pS; pParams as tag_windows takes it.
   *
   * With `status` (an Int32Array of MAX_CHUNKS in the kernels' memory), each chunk first
   * looks up its rows from its windows' ids at pIds (T per token; the index named in the
   * parameter block): returns 0 when every chunk was scored, else what the failed chunks'
   * tag_locate said (−1 if any saw a bad id, else the tokens without a row), and
   * [redoFrom, redoTo) then spans the windows of the chunks that scored nothing. Without
   * `status`, returns 0.
   */
  run(kernels: TaggingKernels, n: number, pRows: number, pA: number, pS: number, pParams: number, w: number, Hp: number, K: number,
    pIds = 0, T = 0, status: Int32Array | null = null): number {
    const threads = kernels.threads;
    const units = Math.floor(n / UNIT_WINDOWS);
    const locating = pIds !== 0 && status !== null;
    const pStatus = locating ? kernels.memory.pointer(status) : 0;
    const ids = locating ? pIds : 0;
    if (!threads || threads.helpers === 0 || units < 2) return this.whole(kernels, n, pRows, pA, pS, pParams, ids, pStatus, status);
    const split = this.policy.choose();
    const t0 = performance.now();
    let result = 0;
    if (split) {
      // Chunks shrinking as they go (guidedChunks), the last taking the remainder.
      const chunks = guidedChunks(units, threads.helpers + 1, this.sizes);
      let lo = 0;
      for (let c = 0; c < chunks; c++) {
        const hi = c === chunks - 1 ? n : lo + this.sizes[c] * UNIT_WINDOWS;
        const a = this.parts[c];
        a[0] = hi - lo;
        a[1] = pRows + 4 * lo * w;
        a[2] = pA + 4 * lo * Hp;
        a[3] = pS + 4 * lo * K;
        a[4] = pParams;
        a[5] = ids === 0 ? 0 : ids + 4 * lo * w * T;
        a[6] = ids === 0 ? 0 : pStatus + 4 * c;
        threads.setChunk(c, a);
        this.sizes[c] = hi - lo;
        lo = hi;
      }
      this.kernels = kernels;
      this.splits++;
      if (!threads.run(OP_TAG, chunks, this.runChunk)) {
        // A helper that failed may have left its chunk half written: the whole pass again, here.
        return this.whole(kernels, n, pRows, pA, pS, pParams, ids, pStatus, status);
      }
      if (status && ids !== 0) result = this.failures(status, chunks);
    } else {
      result = this.whole(kernels, n, pRows, pA, pS, pParams, ids, pStatus, status);
    }
    // Passes that stopped at a missing row took no time to speak of: not a timing of either way.
    if (result === 0) this.policy.record(split, (performance.now() - t0) / 1000 / n);
    return result;
  }

  /** The pass as one call on this thread (see run). */
  private whole(kernels: TaggingKernels, n: number, pRows: number, pA: number, pS: number, pParams: number, pIds: number, pStatus: number, status: Int32Array | null): number {
    kernels.tag_windows(n, pRows, pA, pS, pParams, pIds, pStatus, 0, 0, 0, 0, 0);
    if (pIds === 0 || !status) return 0;
    this.redoFrom = 0;
    this.redoTo = n;
    return status[0];
  }

  /** What the chunks' statuses say (see run), and the span of those that failed (sizes holds the chunks' windows). */
  private failures(status: Int32Array, chunks: number): number {
    let missing = 0;
    let bad = false;
    let lo = 0;
    this.redoFrom = -1;
    for (let c = 0; c < chunks; c++) {
      const hi = lo + this.sizes[c];
      const s = status[c];
      if (s !== 0) {
        if (s < 0) bad = true;
        else missing += s;
        if (this.redoFrom < 0) this.redoFrom = lo;
        this.redoTo = hi;
      }
      lo = hi;
    }
    if (this.redoFrom < 0) this.redoFrom = this.redoTo = 0;
    return bad ? -1 : missing;
  }
}
